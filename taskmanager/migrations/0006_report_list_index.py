"""Indexes for the reports' order, newest first with ties by id (issue 16).

Over every task, for the admin's report list: without it the list's ``ORDER BY
invocation_datetime DESC, id DESC`` reads and sorts every report. Within a task, replacing
``(task, -invocation_datetime)``: the report before a report (the notification context's
``previous``, on every emission) sorted all of the task's reports for the tie on id.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("taskmanager", "0005_notification_policy"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="report", name="taskmanager_task_id_d75cc4_idx"),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(
                fields=["task", "-invocation_datetime", "-id"], name="taskmanager_report_task_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(fields=["-invocation_datetime", "-id"], name="taskmanager_report_list_idx"),
        ),
    ]
