"""What a coordinator sees of their clinic's webhook: is it set up, is it failing."""

from django.db.models import Count, Q

from notifications.models import Channel, ClinicWebhook, Delivery, DeliveryStatus

RECENT = 20


def webhook_status(*, clinic_id: int) -> dict:
    webhook = ClinicWebhook.objects.filter(clinic_id=clinic_id).first()
    deliveries = Delivery.objects.filter(clinic_id=clinic_id, channel=Channel.WEBHOOK)
    counts = deliveries.aggregate(
        failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
        pending=Count("pk", filter=Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING])),
    )
    return {
        "configured": webhook is not None,
        "url": webhook.url if webhook else None,
        "is_active": bool(webhook and webhook.is_active),
        **counts,
        "recent": list(deliveries.order_by("-created_at")[:RECENT]),
    }
