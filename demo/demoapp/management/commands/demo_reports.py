"""Print the demo tasks' reports as a small table, with links to their logs."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from taskmanager.conf import settings
from taskmanager.models import Report

from .demo_setup import DEMO_TASKS


def duration(report: Report) -> str:
    return f"{report.duration.total_seconds():.1f} s" if report.duration else "-"


def mail_folder() -> str:
    from django.conf import settings as django_settings

    # Django 6.1's MAILERS, else the EMAIL_* settings of the releases before it.
    mailers = getattr(django_settings, "MAILERS", None)
    if mailers is not None:
        return str(mailers["default"]["OPTIONS"]["file_path"])
    return str(getattr(django_settings, "EMAIL_FILE_PATH", "the configured email backend"))


class Command(BaseCommand):
    help = "Show the latest reports of the demo's tasks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=8, help="how many reports, newest first")

    def handle(self, *args: Any, **options: Any) -> None:
        reports = list(
            Report.objects.filter(task__name__in=[name for name, *_ in DEMO_TASKS]).select_related("task")[
                : options["limit"]
            ]
        )
        if not reports:
            self.stdout.write("No reports yet: run a task (demo/manage.py runtask 'Nightly import').")
            return
        rows = [("#", "task", "result", "errors", "warnings", "took", "summary")]
        for report in reports:
            rows.append(
                (
                    str(report.pk),
                    report.task.name,
                    report.get_invocation_result_display(),
                    str(report.n_log_errors if report.n_log_errors is not None else "-"),
                    str(report.n_log_warnings if report.n_log_warnings is not None else "-"),
                    duration(report),
                    str(report.extra.get("summary", "")),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for i, row in enumerate(rows):
            self.stdout.write(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )
            if i == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
        self.stdout.write("")
        self.stdout.write("Where the notifications went:")
        for report in reports:
            for delivery in report.deliveries.order_by("handler"):
                where = self.destination(delivery.handler)
                status = delivery.status + (f" ({delivery.last_error})" if delivery.last_error else "")
                self.stdout.write(
                    f"  report #{report.pk} {report.task.name}: {delivery.handler} -> {where}: {status}"
                )
        base = (settings.BASE_URL or "").rstrip("/")
        self.stdout.write("")
        viewer = f"{base}{reports[0].get_log_viewer_url()}"
        self.stdout.write(f"Whole log of report #{reports[0].pk}: {viewer} (for another, change the number)")

    def destination(self, handler: str) -> str:
        if handler == "mail":
            return f"a mail file in {mail_folder()}"
        if handler == "log":
            return "demo/out/notifications.log"
        if handler == "slack":
            return "Slack"
        return handler
