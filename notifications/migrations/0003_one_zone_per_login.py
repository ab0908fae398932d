"""A staff member's zone moves from their notification preferences to their login."""

from django.db import migrations


def copy_zones(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    NotificationPreference = apps.get_model("notifications", "NotificationPreference")
    for user_id, zone in NotificationPreference.objects.values_list("user_id", "timezone"):
        User.objects.filter(pk=user_id).update(timezone=zone)


def copy_back(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    NotificationPreference = apps.get_model("notifications", "NotificationPreference")
    for preference in NotificationPreference.objects.all():
        preference.timezone = User.objects.get(pk=preference.user_id).timezone
        preference.save(update_fields=["timezone"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_profile_and_token_families"),
        ("notifications", "0002_device_token_per_login"),
    ]

    operations = [
        migrations.RunPython(copy_zones, copy_back),
        migrations.RemoveField(model_name="notificationpreference", name="timezone"),
    ]
