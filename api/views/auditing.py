"""Reads of a patient's data by anyone but that patient go into the audit trail.

One hook per kind of read, in the view mixin every staff-facing view uses:
a record fetched on its own (retrieve, history), and each page of a list
(one event per patient on the page, no record id).
"""

from rest_framework.permissions import SAFE_METHODS

from accounts.models import Role
from audit.models import Action
from audit.services import audit_record


class AuditedReads:
    audit_record_type: str = ""
    # Actions whose single-object reads are recorded here (None: all of them);
    # an action that records its own event (an export download) is left out.
    audit_read_actions: tuple[str, ...] | None = None
    # The attribute holding an object's patient id ("pk" for patients themselves).
    audit_patient_attr: str = "patient_id"

    def _audits_reads(self) -> bool:
        user = self.request.user
        # A patient only ever reads their own diary: not an access to audit.
        return self.request.method in SAFE_METHODS and user.role != Role.PATIENT

    def get_object(self):
        obj = super().get_object()
        wanted = self.audit_read_actions is None or self.action in self.audit_read_actions
        if wanted and self._audits_reads():
            audit_record(
                action=Action.READ,
                record_type=self.audit_record_type,
                record_id=obj.pk if self.audit_patient_attr == "pk" else _record_id(obj),
                patient_id=getattr(obj, self.audit_patient_attr),
            )
        return obj

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None and self._audits_reads():
            for patient_id in self.audited_patients(page):
                audit_record(
                    action=Action.READ, record_type=self.audit_record_type, patient_id=patient_id
                )
        return page

    def audited_patients(self, page) -> list:
        return list(dict.fromkeys(getattr(obj, self.audit_patient_attr) for obj in page))


def _record_id(obj):
    # Diary records are known to the API by their phone-chosen uuid.
    return getattr(obj, "uuid", None) or obj.pk
