from django import forms

from accounts.models import Role, User
from diary.models import Condition
from diary.models.patients import validate_single_line
from diary.time_zones import validate_timezone
from exports.models import ExportFormat, validate_export_day


class DateInput(forms.DateInput):
    input_type = "date"


class DateRangeForm(forms.Form):
    """Patient-local days, inclusive; both optional."""

    date_from = forms.DateField(
        label="From", required=False, widget=DateInput, validators=[validate_export_day]
    )
    date_to = forms.DateField(
        label="To", required=False, widget=DateInput, validators=[validate_export_day]
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("The first day is after the last day.")
        return cleaned


class ExportForm(DateRangeForm):
    format = forms.ChoiceField(label="Format", choices=ExportFormat.choices, initial="pdf")


class ResolveForm(forms.Form):
    note = forms.CharField(
        label="Resolution note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EnrolForm(forms.Form):
    display_name = forms.CharField(
        label="Name shown to the care team", max_length=200, validators=[validate_single_line]
    )
    timezone = forms.CharField(
        label="Time zone",
        max_length=64,
        initial="Europe/Zurich",
        help_text="The patient's IANA time zone, e.g. Europe/Zurich: their diary days follow it.",
        validators=[validate_timezone],
    )
    condition = forms.ChoiceField(
        label="Condition", choices=Condition.choices, initial=Condition.UNKNOWN
    )
    clinicians = forms.ModelMultipleChoiceField(
        label="Care team",
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
