from accounts.models import Role
from clinic.time import reader_zone
from notifications.services.inbox import inbox_unread_count


def clinic_header(request) -> dict:
    """The unread count in the clinic pages' header (one COUNT, clinic pages only) and
    the reader's own zone, in which the pages show the moments a clinician acted."""
    user = getattr(request, "user", None)
    if (
        not request.path.startswith("/clinic/")
        or user is None
        or not user.is_authenticated
        or user.role not in (Role.CLINICIAN, Role.COORDINATOR)
    ):
        return {}
    return {"unread_count": inbox_unread_count(user=user), "reader_zone": reader_zone(user)}
