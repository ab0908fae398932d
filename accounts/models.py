from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

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


class User(AbstractUser):
    """A login. Staff roles belong to a clinic; a patient's clinic is on their Patient."""

    role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    clinic = models.ForeignKey(
        Clinic, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    # Set when a patient closes their account (is_active goes false with it).
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
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
