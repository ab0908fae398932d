import uuid

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts.time_zones import DEFAULT_ZONE, validate_timezone

# How long a closed patient account's diary is kept before it is removed.
DEFAULT_RETENTION_DAYS = 10 * 365


class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The clinic's record-keeping duty: a closed account's diary stays this long.
    retention_days = models.PositiveIntegerField(default=DEFAULT_RETENTION_DAYS)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    CLINICIAN = "clinician", "Clinician"
    COORDINATOR = "coordinator", "Coordinator"


class Language(models.TextChoices):
    """The languages of messages, push texts and emails (catalogues under locale/)."""

    EN = "en", "English"
    DE = "de", "Deutsch"
    FR = "fr", "Français"
    ES = "es", "Español"


class User(AbstractUser):
    """A login. Staff roles belong to a clinic; a patient's clinic is on their Patient."""

    role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    clinic = models.ForeignKey(
        Clinic, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    # Set when a patient closes their account (is_active goes false with it).
    closed_at = models.DateTimeField(null=True, blank=True)
    # The profile (GET/PATCH /api/v1/me/profile/). A patient's name and zone
    # live on their diary (Patient), which the judgement reads; these two are
    # staff's, and `timezone` is the one zone their digest emails follow.
    display_name = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(max_length=64, default=DEFAULT_ZONE, validators=[validate_timezone])
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="user_language_valid", condition=models.Q(language__in=Language.values)
            ),
            models.CheckConstraint(
                name="user_role_valid",
                condition=models.Q(role__in=["", *Role.values]),
            ),
            # Clinicians and coordinators always belong to a clinic.
            models.CheckConstraint(
                name="staff_role_has_clinic",
                condition=~models.Q(role__in=[Role.CLINICIAN, Role.COORDINATOR])
                | models.Q(clinic__isnull=False),
            ),
            # `COORDA` beside `coordA` would be two logins a person cannot tell apart.
            models.UniqueConstraint(Lower("username"), name="user_username_unique_ignoring_case"),
        ]

    def clean(self):
        super().clean()
        # Said on the field (the constraint alone would only say "constraint violated").
        taken = User.objects.filter(username__iexact=self.username).exclude(pk=self.pk)
        if self.username and taken.exists():
            raise ValidationError(
                {"username": [_("A user with that username already exists.")]}, code="unique"
            )

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_clinician(self) -> bool:
        return self.role == Role.CLINICIAN

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR


class TokenFamily(models.Model):
    """One login (password, enrolment or reset) and every refresh token rotated from it.

    Revoking the family ends the login on that phone: its refresh tokens and,
    through the `fam` claim, its access tokens.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="token_families")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Why it ended: "logout", "logout_all" (logged out everywhere), "reused",
    # "password", "reset", "closed".
    revoked_reason = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name_plural = "token families"

    def __str__(self) -> str:
        return f"Token family {self.pk} of {self.user_id}"


class IssuedRefreshToken(models.Model):
    """A refresh token handed out in a family, by its jti (never the token itself).

    `used_at` is its first refresh: presented again within the grace period it
    answers a new pair (the phone lost the reply); later it is a reuse.
    """

    jti = models.CharField(max_length=64, primary_key=True)
    family = models.ForeignKey(TokenFamily, on_delete=models.CASCADE, related_name="tokens")
    issued_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Refresh token {self.jti}"
