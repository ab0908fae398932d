from django.contrib import admin

from audit.admin import ReadOnlyAdmin
from diary.models import (
    ClinicThresholds,
    Flag,
    Patient,
    SymptomEntry,
    Treatment,
    TreatmentFollowUp,
)
from diary.services.changes import judgements_ask_everything
from diary.services.thresholds import clinic_thresholds_delete, clinic_thresholds_save


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("display_name", "clinic", "condition", "timezone", "created_at")
    list_filter = ("clinic", "condition")
    search_fields = ("display_name",)
    filter_horizontal = ("care_team",)
    readonly_fields = ("diary_version", "evaluation_requested_at", "user")

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # Only what the form changed: the diary version and the sync fingerprint
        # move under the diary lock and must not be written back from this copy.
        columns = {f.name for f in obj._meta.concrete_fields}
        obj.save(update_fields=[name for name in form.changed_data if name in columns])
        if {"clinic", "timezone"} & set(form.changed_data):
            # Other thresholds, other local days: every treatment may judge differently.
            judgements_ask_everything(Patient.objects.filter(pk=obj.pk))


class DiaryRecordAdmin(ReadOnlyAdmin):
    """Diary records are the patient's: staff may look, never edit here."""

    list_filter = ("patient__clinic",)
    list_select_related = ("patient",)


@admin.register(SymptomEntry)
class SymptomEntryAdmin(DiaryRecordAdmin):
    list_display = ("patient", "recorded_at", "posture", "headache", "deleted_at")


@admin.register(Treatment)
class TreatmentAdmin(DiaryRecordAdmin):
    list_display = ("patient", "performed_at", "kind", "approach", "levels", "deleted_at")


@admin.register(Flag)
class FlagAdmin(DiaryRecordAdmin):
    list_display = ("patient", "kind", "status", "detected_at", "still_supported")
    list_filter = ("kind", "status", "still_supported")


@admin.register(TreatmentFollowUp)
class TreatmentFollowUpAdmin(DiaryRecordAdmin):
    """What the last evaluation found per treatment (the clinic's outcomes read it)."""

    list_display = (
        "treatment",
        "patient",
        "evaluable",
        "improved_by_72h",
        "improved_within_7d",
        "relapse_proven_at",
        "updated_at",
    )
    list_select_related = ("patient", "treatment")


@admin.register(ClinicThresholds)
class ClinicThresholdsAdmin(admin.ModelAdmin):
    """Overrides of the DOMAIN.md thresholds, e.g. {"relapse_min_score": 5}; validated on save."""

    list_display = ("clinic", "overrides")

    # Every path that changes the overrides asks for the clinic's patients to be judged.
    def save_model(self, request, obj, form, change):
        clinic_thresholds_save(thresholds=obj)

    def delete_model(self, request, obj):
        clinic_thresholds_delete(clinic_ids=[obj.clinic_id])

    def delete_queryset(self, request, queryset):
        clinic_thresholds_delete(clinic_ids=queryset.values_list("clinic_id", flat=True))
