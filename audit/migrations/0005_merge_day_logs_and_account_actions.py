# Joins issue 13's 0004 (revision record types) and main's 0004 (account actions):
# they alter different fields, so nothing else to do.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_account_actions"),
        ("audit", "0004_revision_record_types"),
    ]

    operations = []
