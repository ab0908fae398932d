"""Who was told what, and when: alerts to the care team, reminders to patients.

"Once" is a database fact here: a delivery is unique per (flag, recipient,
channel, reason), an inbox item per (recipient, flag, reason), a check-in
reminder per (treatment, step). Whatever runs twice runs into these.
"""

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Clinic
from diary.models import Flag, Patient, Treatment


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class Reason(models.TextChoices):
    RAISED = "raised", "Flag raised"
    ESCALATED = "escalated", "Still open: escalated"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for its due time (or a retry)
    SENDING = "sending", "Sending"  # claimed by one worker
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed permanently"
    SKIPPED = "skipped", "Skipped"  # nothing to send any more (e.g. no address)


class FanOut(models.Model):
    """A flag's notifications for one reason were planned: the safety net and
    the escalation sweep look for flags without one."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="fan_outs")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["flag", "reason"], name="fanout_once_per_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} fan-out of {self.flag_id}"


class Delivery(models.Model):
    """One message on one channel: written before the send, it records the outcome."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    # A person for email; the clinic for its webhook.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    clinic = models.ForeignKey(
        Clinic, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    # Part of the recipient's daily digest rather than sent on its own.
    digest = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    due_at = models.DateTimeField()  # first send, or the next retry
    attempts = models.PositiveSmallIntegerField(default=0)
    # Who holds the send: a conditional UPDATE sets it; a stale one is taken back.
    claim = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["flag", "recipient", "channel", "reason"],
                condition=Q(recipient__isnull=False),
                name="delivery_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["flag", "clinic", "channel", "reason"],
                condition=Q(recipient__isnull=True),
                name="delivery_once_per_clinic",
            ),
            models.CheckConstraint(
                name="delivery_has_one_target",
                condition=Q(recipient__isnull=False, clinic__isnull=True)
                | Q(recipient__isnull=True, clinic__isnull=False),
            ),
            models.CheckConstraint(
                name="delivery_status_valid", condition=Q(status__in=DeliveryStatus.values)
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="delivery_status_due")]

    def __str__(self) -> str:
        return f"{self.channel} {self.reason} of {self.flag_id}: {self.status}"


class InboxItem(models.Model):
    """A flag in a staff member's in-app inbox; read when they open the flag."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_items"
    )
    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="inbox_items")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "flag", "reason"], name="inbox_once_per_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="inbox_recipient_read"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.flag_id} for {self.recipient_id}"


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", "One email per flag"
    DIGEST = "digest", "One daily digest"


class NotificationPreference(models.Model):
    """How a clinician (or coordinator) wants to be emailed. No row: the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_enabled = models.BooleanField(default=True)
    email_mode = models.CharField(
        max_length=16, choices=EmailMode.choices, default=EmailMode.IMMEDIATE
    )
    # The digest goes out at this local time in this zone.
    digest_time = models.TimeField(default=dt.time(8, 0))

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="preference_email_mode_valid", condition=Q(email_mode__in=EmailMode.values)
            ),
        ]

    def __str__(self) -> str:
        return f"Notification preferences of {self.user_id}"

    @property
    def timezone(self) -> str:
        """The digest follows the login's own zone: one stored value, shown here too."""
        return self.user.timezone


class ClinicWebhook(models.Model):
    """A clinic's own endpoint for flags: JSON, signed with HMAC-SHA256."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="webhook")
    url = models.URLField(max_length=500)
    # Shared with the clinic to verify signatures; never shown through the API.
    secret = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Webhook of {self.clinic}"


class Platform(models.TextChoices):
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"


class Device(models.Model):
    """A phone's push token, per login: a token registered by two logins (a shared
    phone, or someone copying another's token) is two rows, and each login's
    logout removes its own. It never moves from one login to another."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices"
    )
    platform = models.CharField(max_length=8, choices=Platform.choices)
    token = models.CharField(max_length=4096)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="device_platform_valid", condition=Q(platform__in=Platform.values)
            ),
            models.UniqueConstraint(fields=["user", "token"], name="device_unique_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.platform} device of {self.user_id}"


class PushMessage(models.Model):
    """What the stored-message push backend "sent" (the embedded default, and tests)."""

    device = models.ForeignKey(Device, null=True, on_delete=models.SET_NULL, related_name="+")
    token = models.CharField(max_length=4096)
    title = models.CharField(max_length=200)
    body = models.CharField(max_length=500)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Push '{self.title}' at {self.created_at:%Y-%m-%d %H:%M}Z"


class ReminderPreference(models.Model):
    """A patient's opt-in daily reminder, at a local time outside quiet hours."""

    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, related_name="reminder_preference"
    )
    daily_enabled = models.BooleanField(default=False)
    daily_time = models.TimeField(default=dt.time(19, 0))

    def __str__(self) -> str:
        return f"Reminder preferences of {self.patient_id}"


class ReminderKind(models.TextChoices):
    CHECKIN = "checkin", "Check-in after a treatment"
    DAILY = "daily", "Daily reminder"


class ReminderStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"


class Reminder(models.Model):
    """A stored next-due time, claimed by the periodic task with a conditional UPDATE."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=8, choices=ReminderKind.choices)
    treatment = models.ForeignKey(
        Treatment, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    step = models.CharField(max_length=8, blank=True)  # "6h", "24h", ... for check-ins
    status = models.CharField(
        max_length=16, choices=ReminderStatus.choices, default=ReminderStatus.SCHEDULED
    )
    next_due_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["treatment", "step"],
                condition=Q(kind="checkin"),
                name="reminder_checkin_once_per_step",
            ),
            models.UniqueConstraint(
                fields=["patient"], condition=Q(kind="daily"), name="reminder_one_daily"
            ),
            models.CheckConstraint(
                name="reminder_kind_valid", condition=Q(kind__in=ReminderKind.values)
            ),
        ]
        indexes = [models.Index(fields=["status", "next_due_at"], name="reminder_status_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.step} for {self.patient_id}: {self.status}"
