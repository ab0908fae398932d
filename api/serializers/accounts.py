from rest_framework import serializers


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
    refresh = serializers.CharField()
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
