"""Push tokens of phones: one row per login and token."""

from django.db import IntegrityError, transaction

from notifications.models import Device


@transaction.atomic
def device_register(*, user, platform: str, token: str) -> tuple[Device, bool]:
    """Register a token for this login (again: its platform is updated).

    Returns (device, created). A token another login registered stays theirs
    too: taking it over would let one patient silence another's reminders and
    keep the owner's logout from removing it.
    """
    try:
        with transaction.atomic():
            return Device.objects.update_or_create(
                user=user, token=token, defaults={"platform": platform}
            )
    except IntegrityError:
        # A concurrent registration of the same token by this login won the insert.
        device = Device.objects.select_for_update().get(user=user, token=token)
        device.platform = platform
        device.save(update_fields=["platform", "updated_at"])
        return device, False


def devices_remove(*, user_id: int, token: str | None = None, every: bool = False) -> int:
    """Forget one of the user's tokens, or all of them (logout). Never another user's."""
    devices = Device.objects.filter(user_id=user_id)
    if not every:
        devices = devices.filter(token=token)
    return devices.delete()[0]


def account_closed_received(*, user_id: int, **kwargs) -> None:
    """diary's `account_closed`: no more reminders on that login's phones."""
    devices_remove(user_id=user_id, every=True)
