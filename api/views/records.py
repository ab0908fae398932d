"""Diary records (entries, treatments, day logs, PGIC answers): the patient
writes, the care team reads; clinicians may record treatments and PGIC answers."""

import functools

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.errors import error_body, error_response
from api.filters import DayLogFilter, EntryFilter, ImpressionFilter, TreatmentFilter
from api.permissions import IsClinician, IsDiaryReader, IsPatient
from api.serializers.entry_fast_path import entry_fast_path
from api.serializers.history import (
    DayLogHistorySerializer,
    EntryHistorySerializer,
    ImpressionHistorySerializer,
    TreatmentHistorySerializer,
)
from api.serializers.records import (
    DayLogSerializer,
    EntrySerializer,
    ImpressionSerializer,
    TreatmentSerializer,
)
from api.views.auditing import AuditedReads
from api.views.scope import own_patient
from audit.queries import record_revisions
from diary.models import DayLog, Impression, SymptomEntry, Treatment
from diary.services.records import (
    RecordClash,
    RecordDeleted,
    RecordIdTaken,
    UnknownTreatment,
    VersionMismatch,
    record_create,
    record_delete,
    record_update,
)
from diary.services.sync import ID_TAKEN_MESSAGE

# The serializer that shows each kind of record (the stored one in a clash, too).
SERIALIZERS = {
    SymptomEntry: EntrySerializer,
    Treatment: TreatmentSerializer,
    DayLog: DayLogSerializer,
    Impression: ImpressionSerializer,
}


def with_etag(response: Response) -> Response:
    """The record's `version` as its strong ETag, for a later If-Match."""
    if isinstance(response.data, dict) and "version" in response.data:
        response["ETag"] = f'"{response.data["version"]}"'
    return response


def if_match_versions(request) -> frozenset[int] | None:
    """The versions If-Match allows a write to (None: no header, or `*`)."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    versions = set()
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*":
            return None
        tag = tag.removeprefix("W/").strip('"')
        if tag.isdigit():
            versions.add(int(tag))
    return frozenset(versions)  # nothing readable: matches no version


def precondition_failed(serializer_class, current) -> Response:
    """412 with the record as stored now (and its ETag), for the phone to merge."""
    record = serializer_class(current).data
    response = error_response(
        "precondition_failed",
        _("This record was changed elsewhere since your copy; nothing was written."),
        status.HTTP_412_PRECONDITION_FAILED,
        current=record,
    )
    response["ETag"] = f'"{record["version"]}"'
    return response


def deleted_response():
    return error_response(
        "deleted",
        _("A record with this id was deleted; it is not created again."),
        status.HTTP_409_CONFLICT,
    )


def clash_body(current) -> dict:
    """409 `day_exists` / `impression_exists`, with the stored record under `current`."""
    shown = SERIALIZERS[type(current)](current).data
    if isinstance(current, DayLog):
        return error_body(
            "day_exists",
            _("This day already has a log; change that one instead."),
            current=shown,
        )
    return error_body(
        "impression_exists",
        _("This treatment already has an answer for this checkpoint; change that one."),
        current=shown,
    )


def clash_response(current) -> Response:
    return Response(clash_body(current), status=status.HTTP_409_CONFLICT)


def unknown_treatment_response() -> Response:
    return error_response(
        "invalid",
        _("Some fields are not valid."),
        status.HTTP_400_BAD_REQUEST,
        {"treatment": [_("No such treatment in this diary.")]},
    )


def write_refused(exc: Exception) -> Response:
    """The answer to a write the service refused."""
    if isinstance(exc, RecordIdTaken):
        return error_response("id_taken", ID_TAKEN_MESSAGE, status.HTTP_409_CONFLICT)
    if isinstance(exc, RecordClash):
        return clash_response(exc.current)
    if isinstance(exc, UnknownTreatment):
        return unknown_treatment_response()
    return deleted_response()


def create_record(serializer, *, model, patient, recorded_by=None) -> Response:
    """Validate → service → shape; a retried create answers 200 with what is stored."""
    serializer.is_valid(raise_exception=True)
    return create_validated(
        dict(serializer.validated_data),
        shown_by=type(serializer),
        model=model,
        patient=patient,
        recorded_by=recorded_by,
    )


@functools.cache
def shower(serializer_class):
    """One serializer a process to show created records: its fields are built
    once, not per request (showing reads no state of the instance)."""
    return serializer_class()


def create_validated(values, *, shown_by, model, patient, recorded_by=None) -> Response:
    """Service → shape, for values already validated (`shown_by` shows the record)."""
    record_uuid = values.pop("uuid", None)
    try:
        record, created = record_create(
            model=model,
            patient=patient,
            values=values,
            record_uuid=record_uuid,
            recorded_by=recorded_by,
        )
    except (RecordDeleted, RecordClash, UnknownTreatment, RecordIdTaken) as exc:
        return write_refused(exc)
    return with_etag(
        Response(
            shower(shown_by).to_representation(record),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
    )


class DiaryRecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    lookup_value_converter = "uuid"
    model = None
    # Who may change or delete a record (creating is the patient's, on these paths).
    change_permissions = IsPatient

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        view = super().as_view(actions, **initkwargs)
        if actions and "post" in actions:
            # A create's one transaction is record_create's own: outside
            # ATOMIC_REQUESTS the login's look-up before it needs no BEGIN and
            # the create no savepoint (docs/web-path.md).
            view = transaction.non_atomic_requests(view)
        return view

    def dispatch(self, request, *args, **kwargs):
        # The route's reads keep their transaction. So does a create made inside
        # one already (a test's): DRF's error answers mark the innermost atomic
        # block for rollback, which must be the request's, not the caller's.
        if "post" in self.action_map and (
            request.method != "POST" or transaction.get_connection().in_atomic_block
        ):
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def get_permissions(self):
        # No action: a method the route does not offer, answered 405 after this.
        if self.action in ("list", "retrieve", "metadata", "history", None):
            return [IsDiaryReader()]
        if self.action == "create":
            return [IsPatient()]
        return [self.change_permissions()]

    # Related rows the serializer shows (a PGIC answer names its treatment).
    select_related: tuple[str, ...] = ()

    def get_queryset(self):
        records = self.model.objects.visible_to(self.request.user)
        if self.select_related:
            records = records.select_related(*self.select_related)
        # History is what a deleted record still has to show.
        return records if self.action == "history" else records.live()

    def get_object(self):
        # The id is unique per patient; a reader of several patients who somehow
        # matches two rows gets 404 rather than someone else's record.
        matches = list(self.get_queryset().filter(uuid=self.kwargs["id"])[:2])
        if len(matches) != 1:
            raise Http404
        self.check_object_permissions(self.request, matches[0])
        return matches[0]

    def create(self, request, *args, **kwargs):
        return create_record(
            self.get_serializer(data=request.data),
            model=self.model,
            patient=own_patient(request.user),
            recorded_by=request.user,
        )

    def retrieve(self, request, *args, **kwargs):
        return with_etag(super().retrieve(request, *args, **kwargs))

    def partial_update(self, request, *args, **kwargs):
        """Change some fields. With `If-Match: "<version>"` (the ETag of your
        copy), a record changed elsewhere meanwhile answers 412
        `precondition_failed` with the current record in `error.current`, and
        nothing is written: merge, then send again with the new ETag."""
        record = self.get_object()
        serializer = self.get_serializer(record, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        values.pop("uuid", None)  # the id is fixed at creation
        try:
            record = record_update(
                record=record,
                values=values,
                by=request.user,
                if_version_in=if_match_versions(request),
            )
        except VersionMismatch as exc:
            return precondition_failed(self.get_serializer_class(), exc.current)
        except (RecordDeleted, RecordClash, UnknownTreatment) as exc:
            return write_refused(exc)
        return with_etag(Response(self.get_serializer(record).data))

    def destroy(self, request, *args, **kwargs):
        """Delete (a tombstone for sync). `If-Match` as for a change: 412 if
        the record changed elsewhere meanwhile."""
        record = self.get_object()
        try:
            record_delete(record=record, by=request.user, if_version_in=if_match_versions(request))
        except VersionMismatch as exc:
            return precondition_failed(self.get_serializer_class(), exc.current)
        return Response(status=status.HTTP_204_NO_CONTENT)

    history_serializer_class = None

    def history(self, request, *args, **kwargs):
        """Earlier versions of this record: what changed, when and by whom (newest first).

        Kept for edits and deletes, so the care team can see what changed
        after a flag was raised. A deleted record still has its history.
        """
        record = self.get_object()
        body = {
            "id": record.uuid,
            "current": None if record.is_deleted else record,
            "versions": [
                {
                    "change": revision.change,
                    "changed_at": revision.changed_at,
                    "changed_by": revision.changed_by
                    and {"id": revision.changed_by.pk, "role": revision.changed_by.role},
                    "valid_from": revision.valid_from,
                    "record": earlier,
                }
                for revision, earlier in record_revisions(record=record)
            ],
        }
        return Response(self.history_serializer_class(body).data)


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description='The ETag of the phone\'s copy (`"<version>"`): write only if it is still current.',
)


def _documented(serializer, noun: str, nouns: str, who_changes: str):
    """The words a client developer needs on each operation of a diary record."""
    return extend_schema_view(
        list=extend_schema(
            description=f"The {nouns} this login may read, newest first, paginated "
            "(`next`/`previous`/`results`). A patient sees their own diary; a clinician their "
            "care team's; a coordinator their clinic's. Filter with `from`/`to`."
        ),
        create=extend_schema(
            # 200: a retried create (an id already stored) answers with the stored record.
            responses={201: serializer, 200: serializer},
            description=f"Record a {noun} of the patient logged in. Send the `id` the phone "
            "chose (a UUID): resending the same create (after a lost reply, a timeout) "
            "answers 200 with the stored record and never duplicates it, so a create is "
            "safe to retry as is. 201 when it was created now. An id that was deleted "
            "answers 409 `deleted`: drop the local copy.",
        ),
        retrieve=extend_schema(description=f"One {noun}, by the id the phone chose."),
        partial_update=extend_schema(
            parameters=[IF_MATCH],
            description=f"Change some fields of a {noun} ({who_changes}); the `id` never "
            "changes. Answers the record with its `version` and `ETag`. With `If-Match: "
            '"<version>"` (the ETag of the phone\'s copy), a record changed elsewhere '
            "meanwhile answers 412 `precondition_failed` with the stored record in "
            "`error.current` and nothing is written: merge, then send again with the new "
            "ETag. Without `If-Match` the change goes through (last write wins). A record "
            "deleted meanwhile answers 404 or 409 `deleted`.",
        ),
        destroy=extend_schema(
            parameters=[IF_MATCH],
            description=f"Delete a {noun} ({who_changes}). It leaves a tombstone that "
            "`GET /sync/` hands to the patient's other devices; the id is never used again. "
            "`If-Match` as for a change (412 if the record changed elsewhere). A second "
            "delete answers 404, which a phone retrying may treat as done.",
        ),
    )


@extend_schema(tags=["entries"])
@_documented(EntrySerializer, "symptom entry", "symptom entries", "the patient")
class EntryViewSet(AuditedReads, DiaryRecordViewSet):
    model = SymptomEntry
    serializer_class = EntrySerializer
    filterset_class = EntryFilter
    audit_record_type = "entry"

    def create(self, request, *args, **kwargs):
        # A well-formed entry (nearly all) is read without the serializer's
        # machinery, which costs more than storing it; anything else is judged
        # and worded by the serializer (entry_fast_path, tested to agree).
        values = entry_fast_path()(request.data)
        if values is None:
            return super().create(request, *args, **kwargs)
        return create_validated(
            values,
            shown_by=EntrySerializer,
            model=self.model,
            patient=own_patient(request.user),
            recorded_by=request.user,
        )

    history_serializer_class = EntryHistorySerializer

    @extend_schema(responses=EntryHistorySerializer)
    @action(detail=True, methods=["get"])
    def history(self, request, *args, **kwargs):
        return super().history(request, *args, **kwargs)


@extend_schema(tags=["patches"])
@_documented(
    TreatmentSerializer, "treatment", "treatments", "the patient or a clinician of the care team"
)
class TreatmentViewSet(AuditedReads, DiaryRecordViewSet):
    model = Treatment
    serializer_class = TreatmentSerializer
    filterset_class = TreatmentFilter
    change_permissions = IsPatient | IsClinician
    audit_record_type = "patch"
    history_serializer_class = TreatmentHistorySerializer

    @extend_schema(responses=TreatmentHistorySerializer)
    @action(detail=True, methods=["get"])
    def history(self, request, *args, **kwargs):
        return super().history(request, *args, **kwargs)


@extend_schema(tags=["day-logs"])
@_documented(DayLogSerializer, "day log", "day logs", "the patient")
class DayLogViewSet(AuditedReads, DiaryRecordViewSet):
    """One log per local day: upright time and conservative care.

    A second create for a day that has a log answers 409 `day_exists` with the
    stored log under `error.current`.
    """

    model = DayLog
    serializer_class = DayLogSerializer
    filterset_class = DayLogFilter
    audit_record_type = "day_log"
    history_serializer_class = DayLogHistorySerializer

    @extend_schema(responses=DayLogHistorySerializer)
    @action(detail=True, methods=["get"])
    def history(self, request, *args, **kwargs):
        return super().history(request, *args, **kwargs)


@extend_schema(tags=["impressions"])
@_documented(
    ImpressionSerializer,
    "PGIC answer",
    "PGIC answers",
    "the patient or a clinician of the care team",
)
class ImpressionViewSet(AuditedReads, DiaryRecordViewSet):
    """Patient Global Impression of Change after a treatment, at 72 h and 7 days.

    At most one answer per treatment and checkpoint (`72h`, `7d`): another
    answers 409 `impression_exists` with the stored one under `error.current`.
    """

    model = Impression
    serializer_class = ImpressionSerializer
    filterset_class = ImpressionFilter
    change_permissions = IsPatient | IsClinician
    select_related = ("treatment",)
    audit_record_type = "impression"
    history_serializer_class = ImpressionHistorySerializer

    @extend_schema(responses=ImpressionHistorySerializer)
    @action(detail=True, methods=["get"])
    def history(self, request, *args, **kwargs):
        return super().history(request, *args, **kwargs)
