"""Push tokens of phones. A token names one phone; it belongs to whoever registered it last."""

from django.db import IntegrityError, transaction

from notifications.models import Device


@transaction.atomic
def device_register(*, user, platform: str, token: str) -> tuple[Device, bool]:
    """Register a token, or move it to this login (a shared phone, a re-login).

    Returns (device, created).
    """
    try:
        with transaction.atomic():
            return Device.objects.update_or_create(
                token=token, defaults={"user": user, "platform": platform}
            )
    except IntegrityError:
        # A concurrent registration of the same token won the insert: move it.
        device = Device.objects.select_for_update().get(token=token)
        device.user, device.platform = user, platform
        device.save(update_fields=["user", "platform", "updated_at"])
        return device, False


def devices_remove(*, user_id: int, token: str | None = None, every: bool = False) -> int:
    """Forget one of the user's tokens, or all of them (logout). Never another user's."""
    devices = Device.objects.filter(user_id=user_id)
    if not every:
        devices = devices.filter(token=token)
    return devices.delete()[0]
