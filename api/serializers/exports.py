from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.fields import OffsetDateTimeField
from exports.models import ExportFormat, ExportJob, ExportStatus, validate_export_day


class ExportRequestSerializer(serializers.Serializer):
    """`from` and `to` are patient-local calendar days, both included; either may be
    left out for an open-ended range. A patient may leave out `patient` (their own)."""

    patient = serializers.UUIDField(required=False)
    format = serializers.ChoiceField(choices=ExportFormat.choices)

    def get_fields(self):
        fields = super().get_fields()
        # `from` is a Python keyword, so these two cannot be class attributes.
        for name, source in (("from", "date_from"), ("to", "date_to")):
            fields[name] = serializers.DateField(
                required=False, allow_null=True, source=source, validators=[validate_export_day]
            )
        return fields

    def validate(self, attrs):
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and start > end:
            raise serializers.ValidationError({"to": [_("`to` is before `from`.")]})
        return attrs


class ExportAcceptedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ExportStatus.choices)


class ExportJobSerializer(serializers.ModelSerializer):
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    download = serializers.SerializerMethodField(
        help_text="The file's URL once `status` is `done`; null before, and after it expired."
    )
    created_at = OffsetDateTimeField(read_only=True)
    finished_at = OffsetDateTimeField(read_only=True)
    expires_at = OffsetDateTimeField(read_only=True)

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "status",
            "progress",
            "download",
            "patient",
            "format",
            "created_at",
            "finished_at",
            "expires_at",
            "error",
        ]
        read_only_fields = fields

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(source="date_from", read_only=True)
        fields["to"] = serializers.DateField(source="date_to", read_only=True)
        return fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download(self, job: ExportJob) -> str | None:
        if not job.is_downloadable:
            return None
        url = reverse("export-download", kwargs={"pk": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url
