"""The clinic's outcomes page and its CSV: the same figures as GET /api/v1/outcomes/."""

import csv
import datetime as dt
import io

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from clinic.access import staff_required
from diary.analysis.outcomes import SMALL_NUMBERS, Outcome, Share
from diary.services.outcomes import ClinicOutcomes, clinic_outcomes
from exports.chart import relapse_free_chart_svg

DEFAULT_DAYS = 365
# The days of the curve the data table beside the chart reads out.
TABLE_DAYS = (0, 1, 2, 3, 7, 14, 30, 60, 90)
GROUPINGS = (
    ("approach", gettext_lazy("Approach (blind, targeted)")),
    ("kind", gettext_lazy("Kind of treatment")),
    ("volume", gettext_lazy("Volume band")),
    ("condition", gettext_lazy("Condition")),
)


class DateInput(forms.DateInput):
    input_type = "date"


class OutcomesForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput)
    group_by = forms.ChoiceField(
        label=gettext_lazy("Group by"), choices=GROUPINGS, required=False, initial="approach"
    )

    def clean(self):
        cleaned = super().clean()
        end = cleaned.get("date_to") or timezone.now().astimezone(dt.UTC).date()
        start = cleaned.get("date_from") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError(_("The first day is after the last day."))
        cleaned.update(date_from=start, date_to=end, group_by=cleaned.get("group_by") or "approach")
        return cleaned


def _query(request) -> tuple[OutcomesForm, ClinicOutcomes | None]:
    form = OutcomesForm(request.GET)
    if not form.is_valid():
        return form, None
    params = form.cleaned_data
    outcomes = clinic_outcomes(
        clinic_id=request.user.clinic_id,
        start=params["date_from"],
        end=params["date_to"],
        group_by=params["group_by"],
    )
    return OutcomesForm(initial=params), outcomes  # the inputs show the period used


def _rows(outcomes: ClinicOutcomes) -> list[tuple[str, str, Outcome]]:
    return [
        *((g.key, g.label, g.outcome) for g in outcomes.groups),
        ("all", _("All treatments"), outcomes.overall),
    ]


@require_GET
@staff_required
def outcomes_page(request):
    form, outcomes = _query(request)
    context = {"form": form, "outcomes": outcomes, "small_numbers": SMALL_NUMBERS}
    if outcomes is not None:
        rows = _rows(outcomes) if outcomes.groups else []  # no treatments: an empty table
        curves = [
            (label, [(p.day, p.survival) for p in o.relapse_free]) for _key, label, o in rows[:-1]
        ]
        context.update(
            rows=rows,
            chart_svg=mark_safe(relapse_free_chart_svg(curves)),  # noqa: S308 - matplotlib's own markup, text escaped
            curve_table=_curve_table(rows[:-1]),
            csv_query=request.GET.urlencode(),
        )
    return render(request, "clinic/outcomes.html", context, status=400 if outcomes is None else 200)


def _curve_table(rows) -> list[dict]:
    """The curve at a few telling days, per group: what the chart shows, as text."""
    table = []
    for day in TABLE_DAYS:
        cells = []
        for _key, _label, outcome in rows:
            point = next((p for p in outcome.relapse_free if p.day == day), None)
            cells.append(point)
        if any(cells):
            table.append({"day": day, "cells": cells})
    return table


@require_GET
@staff_required
def outcomes_csv(request):
    _form, outcomes = _query(request)
    if outcomes is None:
        return HttpResponse(_("Invalid period or grouping."), status=400, content_type="text/plain")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            "row_type",
            "group_by",
            "group",
            "label",
            "treatments",
            *(
                f"{m}_{part}"
                for m in MEASURES
                for part in ("k", "n", "share", "ci95_low", "ci95_high")
            ),
            "median_days_to_relapse",
            "day",
            "at_risk",
            "relapse_free",
        ]
    )
    for key, label, outcome in _rows(outcomes):
        writer.writerow(
            [
                "group",
                outcomes.group_by,
                key,
                label,
                outcome.treatments,
                *(value for m in MEASURES for value in _share_cells(getattr(outcome, m))),
                "" if outcome.median_days_to_relapse is None else outcome.median_days_to_relapse,
                "",
                "",
                "",
            ]
        )
    for key, label, outcome in _rows(outcomes)[:-1]:
        for point in outcome.relapse_free:
            writer.writerow(
                ["curve", outcomes.group_by, key, label, "", *[""] * 5 * len(MEASURES), "",
                 point.day, point.at_risk, point.survival]
            )  # fmt: skip
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"outcomes-{outcomes.start}-{outcomes.end}-{outcomes.group_by}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


MEASURES = ("evaluable", "improved_72h", "improved_7d", "relapsed", "pgic_responders")


def _share_cells(share: Share) -> list:
    if share.n == 0:
        return [share.k, share.n, "", "", ""]
    return [share.k, share.n, round(share.share, 4), *share.ci95]
