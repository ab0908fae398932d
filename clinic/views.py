"""Clinic pages: thin views over the same services and scoping as the API.

Every patient, flag and export is looked up through `visible_to(request.user)`,
so whatever the API would answer 404 for is a 404 here too.
"""

import segno
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from audit.models import Action, Outcome
from audit.services import audit_record
from clinic.access import staff_required, visible_patient_or_404
from clinic.forms import DateRangeForm, EnrolForm, ExportForm, ResolveForm
from diary.models import Flag, FlagStatus, Patient
from diary.services.flags import FlagTransitionRefused, flag_acknowledge, flag_resolve
from diary.services.patients import patient_enroll
from diary.wording import (
    APPROACH_LABELS,
    flag_evidence_text,
    lower_first,
    treatment_description,
)
from exports.chart import course_chart_svg
from exports.models import ExportJob
from exports.services import (
    ExportExpired,
    ExportNotReady,
    diary_data_load,
    export_open_for_download,
    export_request,
)
from exports.summary import day_scores
from notifications.services.inbox import inbox_mark_read, inbox_unread_flag_ids

ENTRIES_PER_PAGE = 60


class LoginView(auth_views.LoginView):
    """Session login; every attempt goes into the audit trail, as the API's do."""

    template_name = "clinic/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        audit_record(action=Action.LOGIN, record_type="account", record_id=user.pk, actor=user)
        return response

    def form_invalid(self, form):
        # Axes marks the request when it refused a locked-out username or address.
        locked = bool(getattr(self.request, "axes_locked_out", False))
        audit_record(
            action=Action.LOGIN_FAILED,
            record_type="account",
            actor_username=str(self.request.POST.get("username", ""))[:150],
            outcome=Outcome.LOCKED_OUT if locked else Outcome.FAILURE,
        )
        return super().form_invalid(form)


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_GET
@staff_required
def home(request):
    return redirect("clinic:inbox" if request.user.role == Role.CLINICIAN else "clinic:patients")


# --- flags ---------------------------------------------------------------------------


def _flag_card(flag: Flag, *, unread: bool = False, form=None, error: str = "") -> dict:
    treatment = flag.treatment
    return {
        "flag": flag,
        "unread": unread,
        "treatment_text": lower_first(
            treatment_description(
                kind=treatment.kind,
                approach=treatment.approach,
                levels=treatment.levels,
                volume_ml=treatment.volume_ml,
            )
        ),
        "evidence_text": flag_evidence_text(flag.evidence),
        "resolve_form": form or ResolveForm(),
        "error": error,
    }


@require_GET
@staff_required
def inbox(request):
    show = request.GET.get("show", "active")
    flags = Flag.objects.visible_to(request.user).select_related("patient", "treatment")
    if show != "all":
        flags = flags.exclude(status=FlagStatus.RESOLVED)
    page = Paginator(flags.open_first(), 50).get_page(request.GET.get("page"))
    # A read of patients' data, like the API's flag list: one event per patient shown.
    for patient_id in dict.fromkeys(flag.patient_id for flag in page):
        audit_record(action=Action.READ, record_type="flag", patient_id=patient_id)
    unread = inbox_unread_flag_ids(user=request.user, flag_ids=[f.pk for f in page])
    cards = [_flag_card(flag, unread=flag.pk in unread) for flag in page]
    return render(request, "clinic/inbox.html", {"cards": cards, "page": page, "show": show})


def _flag_transition(request, flag_id, service, **kwargs):
    flag = get_object_or_404(
        Flag.objects.visible_to(request.user).select_related("patient", "treatment"), pk=flag_id
    )
    error = ""
    try:
        flag = service(flag=flag, by=request.user, **kwargs)
    except FlagTransitionRefused as exc:
        error = str(exc)
        flag.refresh_from_db()
    inbox_mark_read(user=request.user, flag_id=flag.pk)  # acted on: no longer unread
    if not _is_htmx(request):
        return redirect("clinic:inbox")
    # The card replaces itself; the header's unread count follows out of band.
    return render(
        request,
        "clinic/_flag_update.html",
        {**_flag_card(flag, error=error), "unread_count_oob": True},
        status=409 if error else 200,
    )


@require_POST
@staff_required
def flag_acknowledge_view(request, flag_id):
    return _flag_transition(request, flag_id, flag_acknowledge)


@require_POST
@staff_required
def flag_resolve_view(request, flag_id):
    form = ResolveForm(request.POST)
    if not form.is_valid():
        flag = get_object_or_404(
            Flag.objects.visible_to(request.user).select_related("patient", "treatment"),
            pk=flag_id,
        )
        return render(request, "clinic/_flag.html", _flag_card(flag, form=form), status=400)
    return _flag_transition(request, flag_id, flag_resolve, note=form.cleaned_data["note"])


# --- patients ------------------------------------------------------------------------


@require_GET
@staff_required
def patients(request):
    # PostgreSQL text cannot hold a NUL character: searching for one is searching for nothing.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    rows = (
        Patient.objects.visible_to(request.user)
        .annotate(open_flags=Count("flags", filter=Q(flags__status=FlagStatus.OPEN)))
        .order_by("display_name", "id")
    )
    if query:
        rows = rows.filter(display_name__icontains=query)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "clinic/patients.html", {"page": page, "query": query})


@require_GET
@staff_required
def patient_timeline(request, patient_id):
    patient = visible_patient_or_404(request.user, patient_id)
    # The same trail as an API read of this diary (audit/services.py).
    audit_record(
        action=Action.READ, record_type="patient", record_id=patient.pk, patient_id=patient.pk
    )
    filters = DateRangeForm(request.GET or None)
    date_from = date_to = None
    if filters.is_valid():
        date_from, date_to = filters.cleaned_data["date_from"], filters.cleaned_data["date_to"]
    data = diary_data_load(patient_id=patient.pk, date_from=date_from, date_to=date_to)
    entries = Paginator(list(reversed(data.entries)), ENTRIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    treatments = {t.id: t for t in data.treatments}
    flags = [
        (flag, lower_first(treatments[flag.treatment_id].describe()), treatments[flag.treatment_id])
        for flag in sorted(data.flags, key=lambda f: (f.status == FlagStatus.RESOLVED, f.proven_at))
    ]
    exports = (
        ExportJob.objects.visible_to(request.user)
        .filter(patient=patient, requested_by=request.user)
        .select_related("patient")[:5]
    )
    return render(
        request,
        "clinic/patient.html",
        {
            "patient": patient,
            "data": data,
            "zone": patient.timezone,
            "chart_svg": mark_safe(course_chart_svg(data, day_scores(data), width_in=8.5)),  # noqa: S308 - matplotlib's own markup, text escaped
            "filters": filters,
            "entries": entries,
            "flags": flags,
            "treatments": [(t, APPROACH_LABELS.get(t.approach, "")) for t in data.treatments],
            "export_form": ExportForm(),
            "exports": exports,
            "page_query": _without_page(request),
        },
    )


def _without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_http_methods(["GET", "POST"])
@staff_required(roles=(Role.COORDINATOR,))
def patient_enrol(request):
    coordinator = request.user
    form = EnrolForm(request.POST or None, clinic=coordinator.clinic)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            patient, issued = patient_enroll(
                coordinator=coordinator,
                display_name=data["display_name"],
                timezone_name=data["timezone"],
                condition=data["condition"],
                clinician_ids=[c.pk for c in data["clinicians"]],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # Shown once, never stored in clear; the page is not cached (see access.py).
            qr = segno.make(issued.link, error="m")  # opens the patient app, code filled in
            return render(
                request,
                "clinic/enrolled.html",
                {
                    "patient": patient,
                    "issued": issued,
                    "qr_svg": mark_safe(  # noqa: S308 - segno's markup of our own code
                        qr.svg_inline(scale=6, title=f"Enrolment code {issued.code}")
                    ),
                },
            )
    return render(request, "clinic/enrol.html", {"form": form})


# --- exports -------------------------------------------------------------------------


@require_POST
@staff_required
def export_create(request, patient_id):
    patient = visible_patient_or_404(request.user, patient_id)
    form = ExportForm(request.POST)
    if not form.is_valid():
        # Shown above the list of jobs, where the new job would have appeared.
        return render(request, "clinic/_form_errors.html", {"form": form}, status=400)
    job = export_request(
        patient=patient,
        requested_by=request.user,
        export_format=form.cleaned_data["format"],
        date_from=form.cleaned_data["date_from"],
        date_to=form.cleaned_data["date_to"],
    )
    if not _is_htmx(request):
        return redirect(reverse("clinic:patient", args=[patient.pk]) + "#exports")
    return render(request, "clinic/_export_job.html", {"job": job, "fresh": True})


@require_GET
@staff_required
def export_status(request, job_id):
    job = get_object_or_404(
        ExportJob.objects.visible_to(request.user).select_related("patient"), pk=job_id
    )
    return render(request, "clinic/_export_job.html", {"job": job})


@require_GET
@staff_required
def export_download(request, job_id):
    job = get_object_or_404(ExportJob.objects.visible_to(request.user), pk=job_id)
    try:
        download = export_open_for_download(job=job, user=request.user)
    except ExportExpired:
        return HttpResponse("This export has expired; request a new one.", status=410)
    except ExportNotReady:
        return HttpResponse(job.error or "This export is not ready yet.", status=409)
    response = FileResponse(
        download.file,
        as_attachment=True,
        filename=download.filename,
        content_type=download.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
