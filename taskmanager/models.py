"""Models of the taskmanager app, keeping 2.x's names and fields."""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management import BaseCommand, load_command_class
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taskmanager import logfiles, scheduling
from taskmanager.arguments import command_argv
from taskmanager.deliveries import Delivery as Delivery  # Django finds the models here
from taskmanager.execution_state import Watchdog as Watchdog
from taskmanager.notification_state import HandlerState as HandlerState
from taskmanager.results import Result, level_of_result

if TYPE_CHECKING:
    from collections.abc import Iterator


class AppCommand(models.Model):
    """A management command of an installed app that tasks can run."""

    name = models.CharField(_("name"), max_length=100)
    app_name = models.CharField(_("app name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("command")
        verbose_name_plural = _("commands")
        ordering = ("app_name", "name")
        constraints = [
            models.UniqueConstraint(fields=("app_name", "name"), name="taskmanager_unique_appcommand"),
        ]

    def __str__(self) -> str:
        return f"{self.app_name}: {self.name}"

    def get_command_class(self) -> BaseCommand:
        """Return an instance of the command (Django's loader, as manage.py does)."""
        return load_command_class(app_name=self.app_name, name=self.name)

    @property
    def help_text(self) -> str:
        output = StringIO()
        self.get_command_class().create_parser("manage.py", self.name).print_help(file=output)
        return output.getvalue()


class TaskCategory(models.Model):
    """A group of tasks, for filtering when tasks are many."""

    name = models.CharField(_("name"), max_length=255, unique=True)

    class Meta:
        verbose_name = _("task category")
        verbose_name_plural = _("task categories")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Report(models.Model):
    """The classified outcome of one run of a task."""

    # 2.x's names of the results; the field stores a Result as its name.
    RESULT_NO = ""
    RESULT_OK = Result.OK
    RESULT_WARNINGS = Result.WARNINGS
    RESULT_ERRORS = Result.ERRORS
    RESULT_FAILED = Result.FAILED
    RESULT_CHOICES = (
        (RESULT_NO, "---"),
        (RESULT_OK, "OK"),
        (RESULT_WARNINGS, "WARNINGS"),
        (RESULT_ERRORS, "ERRORS"),
        (RESULT_FAILED, "FAILED"),
    )

    task = models.ForeignKey("Task", on_delete=models.CASCADE, verbose_name=_("task"))
    invocation_result = models.CharField(
        _("result"), max_length=20, choices=RESULT_CHOICES, default=RESULT_NO, blank=True
    )
    invocation_datetime = models.DateTimeField(_("started"), default=timezone.now)
    end_datetime = models.DateTimeField(_("ended"), blank=True, null=True)
    # Moved on every few seconds while the run goes on: a run whose heartbeat stops is dead.
    heartbeat = models.DateTimeField(_("heartbeat"), blank=True, null=True)
    log = models.TextField(_("log tail"), blank=True)
    logfile = models.CharField(_("log file"), max_length=4096, blank=True, default="")
    n_log_lines = models.PositiveIntegerField(_("lines"), null=True, blank=True)
    n_log_errors = models.PositiveIntegerField(_("errors"), null=True, blank=True)
    n_log_warnings = models.PositiveIntegerField(_("warnings"), null=True, blank=True)
    # Filled by the command through taskmanager.extra (see the docs' "From the
    # task" section); reaches notification templates as ``extra``.
    extra = models.JSONField(_("extra"), default=dict, blank=True)
    notifications_disabled = models.BooleanField(_("notifications disabled"), default=False)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ("-invocation_datetime", "-id")
        indexes = [
            # A task's reports newest first, ties by id: its last report, the report before one
            # (the notification policy's "previous"), read from the index without a sort.
            models.Index(fields=("task", "-invocation_datetime", "-id"), name="taskmanager_report_task_idx"),
            # The report list's order over every task: without it the list sorts the whole table.
            models.Index(fields=("-invocation_datetime", "-id"), name="taskmanager_report_list_idx"),
            # The runs not ended, for the recovery that looks for dead ones every few seconds.
            models.Index(
                fields=("heartbeat",), name="taskmanager_report_open", condition=models.Q(end_datetime=None)
            ),
        ]

    def __str__(self) -> str:
        started = self.invocation_datetime
        if started is not None and timezone.is_aware(started):
            started = timezone.localtime(started)  # admin titles read in local time
        return f"Report {self.task.name} {self.invocation_result} {started:%Y-%m-%d %H:%M:%S}"

    def get_absolute_url(self) -> str:
        return reverse("admin:taskmanager_report_change", args=(self.pk,))

    @property
    def result(self) -> Result | None:
        """``invocation_result`` as a :class:`~taskmanager.results.Result`; None while the run goes on."""
        return level_of_result(self.invocation_result)

    @property
    def duration(self) -> datetime.timedelta | None:
        if self.end_datetime is None or self.invocation_datetime is None:
            return None
        return self.end_datetime - self.invocation_datetime

    def get_log_viewer_url(self) -> str:
        return reverse("log_viewer", args=(self.pk,))

    def has_logfile(self) -> bool:
        return bool(self.logfile) and os.path.isfile(self.logfile)

    def iter_log_pieces(self) -> Iterator[logfiles.Piece]:
        """The whole log, from the log file when kept, else the stored tail, as
        :class:`~taskmanager.logfiles.Piece` s: a line at a time, a long line in pieces of
        at most ``logfiles.PIECE_BYTES`` bytes, so that no line is ever held whole."""
        if self.has_logfile():
            with open(self.logfile, "rb") as fh:
                yield from logfiles.read_pieces(fh)
        else:
            for line in logfiles.split_lines(self.log):
                yield logfiles.Piece(line, first=True, last=True)

    def log_tail_lines(self, n: int) -> list[str]:
        """The last ``n`` lines: the stored tail when it has them (or is the whole log),
        else read from the end of the log file (:func:`taskmanager.logfiles.read_tail`:
        at most ``n * TAIL_BYTES_PER_LINE`` bytes, each line cut as the stored ones are)."""
        if n <= 0:
            return []
        stored = logfiles.split_lines(self.log)
        whole_log = self.n_log_lines is not None and len(stored) >= self.n_log_lines
        if len(stored) >= n or whole_log or not self.has_logfile():
            return stored[-n:]
        return logfiles.tail_of_file(self.logfile, n)

    def emit_notifications(self) -> Any:
        """Send this report to every notification handler whose level it reaches
        (:func:`taskmanager.notifications.emission.emit_notifications`)."""
        return layers_above().emit_notifications(self)


class Task(models.Model):
    """A management command with arguments, run on demand, at a time or repeatedly."""

    REPETITION_PERIOD_MINUTE = "minute"
    REPETITION_PERIOD_HOUR = "hour"
    REPETITION_PERIOD_DAY = "day"
    REPETITION_PERIOD_MONTH = "month"
    REPETITION_PERIOD_CHOICES = (
        (REPETITION_PERIOD_MINUTE, "MINUTE"),
        (REPETITION_PERIOD_HOUR, "HOUR"),
        (REPETITION_PERIOD_DAY, "DAY"),
        (REPETITION_PERIOD_MONTH, "MONTH"),
    )

    STATUS_IDLE = "idle"
    STATUS_SPOOLED = "spooled"
    STATUS_SCHEDULED = "scheduled"
    STATUS_STARTED = "started"
    STATUS_CHOICES = (
        (STATUS_IDLE, "IDLE"),
        (STATUS_SPOOLED, "SPOOLED"),
        (STATUS_SCHEDULED, "SCHEDULED"),
        (STATUS_STARTED, "STARTED"),
    )

    name = models.CharField(_("name"), max_length=255)
    command = models.ForeignKey(
        AppCommand, on_delete=models.CASCADE, limit_choices_to={"active": True}, verbose_name=_("command")
    )
    arguments = models.TextField(
        _("arguments"),
        blank=True,
        help_text=_(
            'Separate arguments with a comma "," and parameters with a blank space " ". '
            "eg: -f, --secondarg param1 param2, --thirdarg=pippo, --thirdarg"
        ),
    )
    category = models.ForeignKey(
        TaskCategory,
        on_delete=models.SET_NULL,
        blank=True,
        null=True,
        verbose_name=_("category"),
        help_text=_("Choose a category for this task"),
    )
    note = models.TextField(_("note"), blank=True, null=True, help_text=_("A note on how this task is used."))
    status = models.CharField(
        _("status"), max_length=20, choices=STATUS_CHOICES, default=STATUS_IDLE, editable=False
    )
    scheduling = models.DateTimeField(_("scheduling"), blank=True, null=True)
    repetition_period = models.CharField(
        _("repetition period"), max_length=20, choices=REPETITION_PERIOD_CHOICES, blank=True
    )
    repetition_rate = models.PositiveSmallIntegerField(_("repetition rate"), blank=True, null=True)
    spooler_id = models.CharField(_("spooler id"), max_length=255, blank=True, editable=False)
    notifications_enabled = models.BooleanField(
        _("send notifications"),
        default=True,
        help_text=_("Untick to run this task without notifying anyone of its reports."),
    )
    cached_last_invocation_datetime = models.DateTimeField(_("last run"), blank=True, null=True)
    cached_last_invocation_result = models.CharField(
        _("last result"), max_length=20, choices=Report.RESULT_CHOICES, blank=True, null=True
    )
    cached_last_invocation_n_errors = models.PositiveIntegerField(_("errors"), null=True, blank=True)
    cached_last_invocation_n_warnings = models.PositiveIntegerField(_("warnings"), null=True, blank=True)
    cached_next_ride = models.DateTimeField(_("next run"), blank=True, null=True)
    # Read by the notification policy (docs/policy.rst); set with taskmanager.notification_state's
    # snooze() and resume(). Its SNOOZED_UNTIL_RESUMED means no end.
    notifications_snoozed_until = models.DateTimeField(
        _("notifications snoozed until"),
        blank=True,
        null=True,
        editable=False,
        help_text=_("Reports until then are not sent (they leave skipped delivery records)."),
    )

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ("name", "id")

    def __str__(self) -> str:
        # The name alone: it is how the admin's messages, titles and choices name a task; the
        # status changes while a page is open and is shown in its own column.
        return self.name

    @property
    def command_argv(self) -> list[str]:
        """The argv passed to the command (``--disable-notifications`` taken out)."""
        return command_argv(self.arguments)[0]

    @property
    def notifications_disabled_by_arguments(self) -> bool:
        return command_argv(self.arguments)[1]

    @property
    def last_report(self) -> Report | None:
        return self.report_set.order_by("-invocation_datetime", "-id").first()

    def record_last_run(self, report: Report, *also: str) -> None:
        """Copy ``report``'s start, result and counts to the ``cached_last_*`` fields the admin's
        list shows, and save only those and the fields named in ``also``: the task may have
        been edited in the admin meanwhile."""
        self.cached_last_invocation_datetime = report.invocation_datetime
        self.cached_last_invocation_result = report.invocation_result
        self.cached_last_invocation_n_errors = report.n_log_errors
        self.cached_last_invocation_n_warnings = report.n_log_warnings
        self.save(update_fields=[*_LAST_RUN_FIELDS, *also])

    def launch(self) -> Report | None:
        """Run the task on the execution backend in use (``UWSGI_TASKMANAGER_BACKEND``).

        Queued (uWSGI's spooler, the Tasks framework), it runs at its scheduling
        when that is ahead, else at once, then every repetition period; returns
        None. Run in this process, its report is returned. See :mod:`taskmanager.execution`.
        """
        return layers_above().launch(self)

    def stop(self) -> None:
        """Cancel what the task waits for (its spool file, its queued ride); it becomes idle.

        A run in progress goes on to its report; the task is not spooled again after it.
        """
        layers_above().stop(self)

    def get_next_ride(
        self, after: datetime.datetime | None = None, anchor: datetime.datetime | None = None
    ) -> datetime.datetime | None:
        """When the task would run next after ``after`` (default: now), or None.

        Its scheduling while that is ahead; else, for a repeating task, the
        next ride of its grid, anchored at its scheduling (or ``anchor``, the
        first ride of a task launched without one). See :mod:`taskmanager.scheduling`.
        """
        after = after or timezone.now()
        if self.scheduling and self.scheduling > after:
            return self.scheduling
        anchor = self.scheduling or anchor
        if not self.repetition_period or anchor is None:
            return None
        return scheduling.next_ride(anchor, self.repetition_period, self.repetition_rate, after)


_LAST_RUN_FIELDS = (
    "cached_last_invocation_datetime",
    "cached_last_invocation_result",
    "cached_last_invocation_n_errors",
    "cached_last_invocation_n_warnings",
)


@dataclass(frozen=True)
class LayersAbove:
    """What the models' convenience methods call in the layers above the models.

    The models sit at the bottom and import nothing above them: the app hands
    these down when it starts (:meth:`taskmanager.apps.TaskmanagerConfig.ready`).
    """

    launch: Callable[[Task], Report | None]
    stop: Callable[[Task], None]
    emit_notifications: Callable[[Report], Any]


_layers_above: LayersAbove | None = None


def connect_layers_above(layers: LayersAbove) -> None:
    global _layers_above
    _layers_above = layers


def layers_above() -> LayersAbove:
    if _layers_above is None:
        raise ImproperlyConfigured(
            "taskmanager has not started: add 'taskmanager' to INSTALLED_APPS and call django.setup()."
        )
    return _layers_above
