from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from diary.models import Condition
from diary.models.patients import validate_single_line
from diary.time_zones import canonical_zones
from exports.models import ExportFormat, validate_export_day


class DateInput(forms.DateInput):
    input_type = "date"


class DateRangeForm(forms.Form):
    """Patient-local days, inclusive; both optional."""

    date_from = forms.DateField(
        label=_("From"), required=False, widget=DateInput, validators=[validate_export_day]
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=DateInput, validators=[validate_export_day]
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The first day is after the last day."))
        return cleaned


class ExportForm(DateRangeForm):
    format = forms.ChoiceField(label=_("Format"), choices=ExportFormat.choices, initial="pdf")


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=_("Resolution note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The canonical zones grouped by area ("Europe", "America", ...) for a <select>."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(canonical_zones()):
        area, _slash, place = name.partition("/")
        groups.setdefault(area if place else _("Other"), []).append(
            (name, place.replace("_", " ") or name)
        )
    return list(groups.items())


class EnrolForm(forms.Form):
    display_name = forms.CharField(
        label=_("Name shown to the care team"), max_length=200, validators=[validate_single_line]
    )
    record_number = forms.CharField(
        label=_("Clinic record number"),
        max_length=40,
        required=False,
        validators=[validate_single_line],
        help_text=_("Optional: the patient's number in the clinic's own records."),
    )
    # A picker, not free text: only canonical IANA names, never an alias.
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=zone_choices,
        initial="Europe/Zurich",
        help_text=_("The patient's own zone: their diary days follow it."),
    )
    condition = forms.ChoiceField(
        label=_("Condition"), choices=Condition.choices, initial=Condition.UNKNOWN
    )
    clinicians = forms.ModelMultipleChoiceField(
        label=_("Care team"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinicians"].queryset = User.objects.filter(
            role=Role.CLINICIAN, clinic=clinic
        ).order_by("last_name", "username")
        self.fields["clinicians"].label_from_instance = lambda u: u.get_full_name() or u.username

    def clean_record_number(self) -> str:
        return self.cleaned_data["record_number"].strip()
