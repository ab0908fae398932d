"""The audit trail and the history of diary changes.

`AuditEvent` says who did what to which record, when, from where and how it
ended: never the health data itself, never a token or password. It is
append-only: no code path updates or deletes a row, the admin is read-only,
and on PostgreSQL a trigger refuses UPDATE and DELETE (migration 0002). It
holds plain ids, not foreign keys, so it outlives the users and diaries it
describes (a diary removed after its retention period keeps its trail). On
PostgreSQL the table is partitioned by month of `occurred_at` (migration 0007,
audit/partitions.py); old months are archived to files by an operator
(audit/archive.py).

`RecordRevision` keeps the earlier versions of an edited or deleted entry or
treatment. That *is* health data, so it belongs to the diary: it goes when
the patient's diary is removed.
"""

import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class ExactJSONEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder cuts times to milliseconds; a kept version keeps them whole."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        return super().default(o)


class Action(models.TextChoices):
    READ = "read", "Read"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    EXPORT = "export", "Export requested"
    DOWNLOAD = "download", "Download"
    LOGIN = "login", "Login"
    LOGIN_FAILED = "login_failed", "Failed login"
    LOGOUT = "logout", "Logout"
    TOKEN_REFRESH = "token_refresh", "Token refresh"
    ENROLL = "enroll", "Enrolment"
    ACCOUNT_CLOSE = "account_close", "Account closed"
    PURGE = "purge", "Removed after retention"
    RESET_CODE = "reset_code", "Reset code issued"
    PASSWORD_RESET = "password_reset", "Password reset"
    PASSWORD_CHANGE = "password_change", "Password changed"


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"  # refused or rolled back
    LOCKED_OUT = "locked_out", "Locked out"


class AuditEvent(models.Model):
    # On PostgreSQL the table's key is (id, occurred_at), as partitioning asks;
    # `id` alone stays the model's primary key (one sequence keeps it unique).
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)  # UTC (USE_TZ)
    actor_id = models.BigIntegerField(null=True, blank=True)
    # The username as typed, for a failed login; the login's for the others.
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    record_type = models.CharField(max_length=32, blank=True)
    record_id = models.CharField(max_length=64, blank=True)
    patient_id = models.UUIDField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    # Method and path without the query string (a search could hold a name).
    request = models.CharField(max_length=300, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    # What an action needs beyond its record, e.g. an export's format and date
    # range. Never health data.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["patient_id", "occurred_at"], name="audit_patient_time"),
        ]

    def __str__(self) -> str:
        who = self.actor_username or "system"
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S}Z {who} {self.action} {self.record_type}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")


class RecordRevision(models.Model):
    """An earlier version of a diary record, kept when it was changed or deleted."""

    class Change(models.TextChoices):
        UPDATE = "update", "Changed"
        DELETE = "delete", "Deleted"

    patient = models.ForeignKey("diary.Patient", on_delete=models.CASCADE, related_name="+")
    record_type = models.CharField(max_length=16)  # "entry" | "patch" | …, as in sync
    record_uuid = models.UUIDField()
    # The record's fields as they were before the change (model field names).
    values = models.JSONField(encoder=ExactJSONEncoder)
    valid_from = models.DateTimeField()  # when that version was written
    change = models.CharField(max_length=8, choices=Change.choices)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["record_type", "record_uuid", "-changed_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "record_type", "record_uuid"], name="revision_record"),
        ]

    def __str__(self) -> str:
        when = f"{self.changed_at:%Y-%m-%d %H:%M}Z"
        return f"{self.record_type} {self.record_uuid} {self.change} at {when}"
