# The schema of django-uwsgi-taskmanager 2.x, so that a 2.x database upgrades in place:
# its applied 0001/0002 match these, and 0003 onwards bring it to 3.x.

import django.db.models.deletion
from django.db import migrations, models

RESULTS = [("", "---"), ("ok", "OK"), ("failed", "FAILED"), ("errors", "ERRORS"), ("warnings", "WARNINGS")]


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="AppCommand",
            fields=[
                (
                    "id",
                    models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                ),
                ("name", models.CharField(max_length=100)),
                ("app_name", models.CharField(max_length=100)),
                ("active", models.BooleanField(default=True)),
            ],
            options={
                "ordering": ("app_name", "name"),
                "verbose_name": "Command",
                "verbose_name_plural": "Commands",
            },
        ),
        migrations.CreateModel(
            name="TaskCategory",
            fields=[
                (
                    "id",
                    models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                ),
                ("name", models.CharField(max_length=255)),
            ],
            options={"verbose_name": "Task category", "verbose_name_plural": "Tasks categories"},
        ),
        migrations.CreateModel(
            name="Task",
            fields=[
                (
                    "id",
                    models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                ),
                ("name", models.CharField(max_length=255)),
                ("arguments", models.TextField(blank=True)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("idle", "IDLE"),
                            ("spooled", "SPOOLED"),
                            ("scheduled", "SCHEDULED"),
                            ("started", "STARTED"),
                        ],
                        default="idle",
                        editable=False,
                        max_length=20,
                    ),
                ),
                ("scheduling", models.DateTimeField(blank=True, null=True)),
                ("spooler_id", models.CharField(blank=True, max_length=255)),
                (
                    "command",
                    models.ForeignKey(
                        limit_choices_to={"active": True},
                        on_delete=django.db.models.deletion.CASCADE,
                        to="taskmanager.appcommand",
                    ),
                ),
                (
                    "repetition_period",
                    models.CharField(
                        blank=True,
                        choices=[("minute", "MINUTE"), ("hour", "HOUR"), ("day", "DAY"), ("month", "MONTH")],
                        max_length=20,
                    ),
                ),
                ("repetition_rate", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("cached_last_invocation_datetime", models.DateTimeField(blank=True, null=True)),
                (
                    "cached_last_invocation_result",
                    models.CharField(blank=True, choices=RESULTS, max_length=20, null=True),
                ),
                ("cached_next_ride", models.DateTimeField(blank=True, null=True)),
                ("cached_last_invocation_n_errors", models.PositiveIntegerField(blank=True, null=True)),
                ("cached_last_invocation_n_warnings", models.PositiveIntegerField(blank=True, null=True)),
                ("note", models.TextField(blank=True, null=True)),
                (
                    "category",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        to="taskmanager.taskcategory",
                    ),
                ),
            ],
            options={"ordering": ("name",), "verbose_name": "Task", "verbose_name_plural": "Tasks"},
        ),
        migrations.CreateModel(
            name="Report",
            fields=[
                (
                    "id",
                    models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                ),
                ("invocation_result", models.CharField(choices=RESULTS, default="", max_length=20)),
                ("invocation_datetime", models.DateTimeField(auto_now_add=True)),
                ("log", models.TextField(blank=True)),
                (
                    "task",
                    models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="taskmanager.task"),
                ),
                ("n_log_errors", models.PositiveIntegerField(blank=True, null=True)),
                ("n_log_lines", models.PositiveIntegerField(blank=True, null=True)),
                ("n_log_warnings", models.PositiveIntegerField(blank=True, null=True)),
                ("logfile", models.CharField(blank=True, default="", max_length=4096)),
            ],
            options={
                "ordering": ("-invocation_datetime", "-id"),
                "verbose_name": "Report",
                "verbose_name_plural": "Reports",
            },
        ),
    ]
