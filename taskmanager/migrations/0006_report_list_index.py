"""An index for the admin's report list, ordered by date over every task (issue 16).

Without it the list's ``ORDER BY invocation_datetime DESC, id DESC`` reads and sorts
every report; with it the first page is read from the index.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("taskmanager", "0005_notification_policy"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="report",
            index=models.Index(fields=["-invocation_datetime", "-id"], name="taskmanager_report_list_idx"),
        ),
    ]
