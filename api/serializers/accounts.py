from rest_framework import serializers

from accounts.models import Language
from api.serializers.fields import TimeZoneField


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.CharField()
    clinic = serializers.SerializerMethodField()
    patient = serializers.SerializerMethodField()

    def get_clinic(self, user) -> int | None:
        if user.clinic_id is not None:
            return user.clinic_id
        patient = getattr(user, "patient", None)
        return patient.clinic_id if patient else None

    def get_patient(self, user) -> str | None:
        patient = getattr(user, "patient", None)
        return str(patient.pk) if patient else None


class EnrollSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=128, write_only=True, style={"input_type": "password"}
    )


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField(help_text="The refresh token of this login.")
    everywhere = serializers.BooleanField(
        default=False,
        help_text="End every login of yours, on every phone (their refresh and access tokens "
        "stop working), and forget every push token of yours; this refresh token must be of a "
        "login still live.",
    )
    # Notifications: the phone logging out stops its reminders.
    device_token = serializers.CharField(
        max_length=4096, required=False, help_text="Forget this push token of yours."
    )
    all_devices = serializers.BooleanField(
        default=False, help_text="Forget every push token of yours (log out everywhere)."
    )


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class ProfileSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=200)
    timezone = TimeZoneField(
        help_text="A canonical IANA zone such as `Europe/Zurich` (aliases are refused). "
        "Changing it never moves a stored moment: later judgements use the new local days."
    )
    language = serializers.ChoiceField(
        choices=Language.choices, help_text="Messages, push texts and emails use it."
    )


class TokenRefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=128, style={"input_type": "password"})
    new_password = serializers.CharField(max_length=128, style={"input_type": "password"})


class PasswordResetSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    new_password = serializers.CharField(max_length=128, style={"input_type": "password"})


class ResetTokenPairSerializer(TokenPairSerializer):
    username = serializers.CharField(
        help_text="The login's username (the patient may have forgotten it too)."
    )


class ResetCodeSerializer(serializers.Serializer):
    reset_code = serializers.CharField()
    expires_at = serializers.DateTimeField()
    link = serializers.URLField(help_text="What the QR code holds: the patient app's reset page.")
