"""taskmanager.runs.runner: a task's command run in-process, captured and classified."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from taskmanager.execution.running import run_and_notify
from taskmanager.models import AppCommand, Report, Task
from taskmanager.results import line_severity
from taskmanager.runs.runner import run_task
from tests.runs.file_project import add_task, project_env, start_manage
from tests.sampleapp.management.commands.logs_isolated import ISOLATED

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def make_task(command: str, arguments: str = "", **fields: Any) -> Task:
    app_command, _ = AppCommand.objects.get_or_create(app_name="tests.sampleapp", name=command)
    return Task.objects.create(
        name=command.replace("_", " "), command=app_command, arguments=arguments, **fields
    )


def logfile_text(report: Report) -> str:
    return Path(report.logfile).read_text(encoding="utf-8")


def counts(report: Report) -> tuple[str, int, int, int]:
    assert report.n_log_errors is not None
    assert report.n_log_warnings is not None
    assert report.n_log_lines is not None
    return report.invocation_result, report.n_log_errors, report.n_log_warnings, report.n_log_lines


def test_a_quiet_command_ends_ok() -> None:
    report = run_task(make_task("ends_ok"))
    assert counts(report) == ("ok", 0, 0, 3)
    assert report.log == "importing rows\nimported 3 rows\ndone"
    assert logfile_text(report) == "importing rows\nimported 3 rows\ndone\n"


def test_it_counts_a_logging_warning_and_a_warning_line() -> None:
    report = run_task(make_task("ends_with_warnings"))
    assert counts(report) == ("warnings", 0, 2, 4)
    lines = report.log.splitlines()
    assert lines[0] == "checking rows"
    assert lines[1].endswith(
        " WARNING tests.sampleapp.management.commands.ends_with_warnings: row 4 has no date"
    )
    assert lines[2:] == ["WARNING: row 9 is a duplicate", "done"]


def test_errors_outrank_warnings() -> None:
    report = run_task(make_task("ends_with_errors"))
    assert counts(report) == ("errors", 2, 1, 4)


def test_it_captures_print_sys_streams_and_logging_in_order() -> None:
    report = run_task(make_task("writes_everywhere"))
    assert counts(report) == ("errors", 2, 2, 8)
    lines = logfile_text(report).splitlines()
    assert lines[:5] == [
        "printed line",
        "WARNING printed",
        "partial line",
        "ERROR on stderr",
        "plain stderr line",
    ]
    assert lines[5].endswith("WARNING tests.sampleapp.management.commands.writes_everywhere: logged warning")
    assert lines[6].endswith("ERROR tests.sampleapp.management.commands.writes_everywhere: logged error")
    # The record's second line says ERROR too, yet the record counts once.
    assert lines[7] == "second line of the ERROR record"


def test_it_captures_the_commands_worker_threads() -> None:
    report = run_task(make_task("writes_from_a_thread"))
    assert counts(report) == ("warnings", 0, 1, 2)
    assert report.log.startswith("from the worker\n")


def test_a_record_written_by_the_commands_own_handler_is_counted_by_level_not_text() -> None:
    report = run_task(make_task("logs_through_stdout"))
    # The handler's format has no level name and the warning's text says ERROR.
    assert counts(report) == ("warnings", 0, 1, 3)
    assert logfile_text(report) == "row 3 has an ERROR code\nsecond line of the record\nafter the record\n"


def test_it_counts_records_of_a_logger_that_does_not_propagate() -> None:
    logger = logging.getLogger(ISOLATED)
    logger.propagate = False
    try:
        report = run_task(make_task("logs_isolated"))
    finally:
        logger.propagate = True
    assert counts(report) == ("errors", 1, 1, 2)
    assert "isolated warning" in report.log
    assert "isolated error" in report.log


def test_records_count_whatever_the_projects_log_format(settings: Any) -> None:
    # A project handler on the root, formatting without the level name, writing
    # to whatever sys.stdout is at the time (as a console handler would).
    class ConsoleHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            sys.stdout.write(self.format(record) + "\n")

    handler = ConsoleHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        report = run_task(make_task("ends_with_errors"))
    finally:
        root.removeHandler(handler)
    assert counts(report) == ("errors", 2, 1, 4)
    assert logfile_text(report).splitlines() == [
        "cannot reach the registry",
        "ERROR row 12: bad zip code",
        "row 13 is empty",
        "done",
    ]


@pytest.mark.parametrize(
    ("how", "last_line"),
    [
        ("exception", "ValueError: unexpected row format"),
        ("commanderror", "django.core.management.base.CommandError: the source file is missing"),
        ("exit", "SystemExit: 3"),
    ],
)
def test_a_raising_command_fails_with_its_traceback_in_the_log(how: str, last_line: str) -> None:
    report = run_task(make_task("fails", f"--how {how}"))
    assert report.invocation_result == "failed"
    lines = logfile_text(report).splitlines()
    assert lines[0] == "starting"
    assert lines[1].endswith(f" ERROR taskmanager: the command failed: {last_line}")
    assert lines[2] == "Traceback (most recent call last):"
    assert lines[-1] == last_line
    assert report.log.endswith(last_line)
    assert report.n_log_lines == len(lines)


def test_a_failure_counts_as_one_error_marked_by_the_line_rule() -> None:
    report = run_task(make_task("fails"))
    assert (report.n_log_errors, report.n_log_warnings) == (1, 0)
    # What the log viewer highlights, "errors only" keeps and log_severity colours.
    errors = [line for line in logfile_text(report).splitlines() if line_severity(line) == "error"]
    assert len(errors) == 1
    assert errors[0].endswith(" ERROR taskmanager: the command failed: ValueError: unexpected row format")


def test_a_failures_traceback_shows_the_commands_frames_not_the_task_managers() -> None:
    report = run_task(make_task("fails"))
    frames = [line for line in logfile_text(report).splitlines() if line.startswith("  File ")]
    assert len(frames) == 1
    assert frames[0].endswith(f'{os.sep}fails.py", line 29, in handle')
    # The stored tail, which notifications show, ends with the command's own code.
    assert report.log.splitlines()[-3:] == [
        frames[0],
        '    raise ValueError("unexpected row format")',
        "ValueError: unexpected row format",
    ]


def test_exiting_with_code_zero_is_not_a_failure() -> None:
    report = run_task(make_task("fails", "--how exit0"))
    assert counts(report) == ("ok", 0, 0, 1)


def test_an_interrupted_run_is_saved_as_failed_then_the_interrupt_goes_on() -> None:
    task = make_task("fails", "--how interrupt")
    with pytest.raises(KeyboardInterrupt):
        run_task(task)
    report = Report.objects.get(task=task)
    assert report.invocation_result == "failed"
    assert report.log.endswith("KeyboardInterrupt")
    assert Task.objects.get(pk=task.pk).status == Task.STATUS_IDLE


def test_bad_arguments_fail_the_run_with_the_parsers_message() -> None:
    report = run_task(make_task("writes_lines", "--long-line many"))
    assert report.invocation_result == "failed"
    assert report.log.endswith("CommandError: Error: argument --long-line: invalid int value: 'many'")


def test_unparsable_arguments_fail_the_run_with_a_clear_message() -> None:
    report = run_task(make_task("ends_ok", '--title "open'))
    assert report.invocation_result == "failed"
    assert "ArgumentsError: Cannot parse argument '--title \"open'" in report.log


def test_2x_style_arguments_reach_the_commands_parser() -> None:
    report = run_task(make_task("writes_lines", "2, --long-line 30, --chunk=7"))
    assert counts(report) == ("ok", 0, 0, 3)
    assert report.log.splitlines()[-1] == "y" * 30


def test_the_stored_tail_is_bounded(settings: Any) -> None:
    settings.UWSGI_TASKMANAGER_N_LINES_IN_REPORT_LOG = 3
    report = run_task(make_task("writes_lines", "50"))
    assert report.n_log_lines == 50
    assert [line[:8] for line in report.log.splitlines()] == ["00000047", "00000048", "00000049"]
    assert len(logfile_text(report).splitlines()) == 50


@pytest.mark.parametrize("chunk", [0, 1000])
def test_a_long_line_is_cut_in_the_tail_with_a_marker_but_kept_whole_in_the_file(
    settings: Any, chunk: int
) -> None:
    settings.UWSGI_TASKMANAGER_MAX_LOG_LINE_LENGTH = 100
    report = run_task(make_task("writes_lines", f"0, --long-line 5334, --chunk {chunk}"))
    assert report.log == "y" * 100 + "… [5,234 more characters]"
    assert logfile_text(report) == "y" * 5334 + "\n"
    assert report.n_log_lines == 1


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    report = run_task(make_task("writes_invalid_utf8"))
    assert counts(report) == ("ok", 0, 0, 4)
    assert logfile_text(report) == "latin-1 caf\ufffd\nsplit €\nescaped caf\ufffd\ncut short \ufffd"
    assert report.log.splitlines() == [
        "latin-1 caf\ufffd",
        "split €",
        "escaped caf\ufffd",
        "cut short \ufffd",
    ]


def test_the_log_file_is_kept_under_media_root(media_root: Path) -> None:
    task = make_task("ends_ok")
    report = run_task(task)
    path = Path(report.logfile)
    assert path.is_absolute()
    assert path.parent == media_root / "taskmanager" / "logs"
    assert path.name.startswith(f"{task.pk}-{report.pk}-")
    assert path.suffix == ".log"


def test_the_log_file_is_deleted_when_not_to_be_saved(settings: Any, media_root: Path) -> None:
    settings.UWSGI_TASKMANAGER_SAVE_LOGFILE = False
    report = run_task(make_task("ends_with_warnings"))
    assert report.logfile == ""
    assert list((media_root / "taskmanager" / "logs").iterdir()) == []
    assert counts(report) == ("warnings", 0, 2, 4)
    assert "WARNING: row 9 is a duplicate" in report.log


def test_a_log_file_that_cannot_be_opened_fails_the_run_and_says_why(settings: Any, media_root: Path) -> None:
    (media_root / "taskmanager").write_text("a file where the folder should be")
    report = run_task(make_task("ends_ok"))
    assert (report.invocation_result, report.n_log_errors) == ("failed", 1)
    assert report.logfile == ""
    assert f" ERROR taskmanager: Cannot open the log file {media_root}/taskmanager/logs/" in report.log


def test_the_commands_extra_is_saved_as_json() -> None:
    report = run_task(make_task("fills_extra"))
    report.refresh_from_db()
    assert report.extra["imported"] == 1234
    assert report.extra["summary"] == "imported 1,234 rows, 3 skipped"
    assert report.extra["day"] == "2024-05-01"
    assert report.extra["odd"].startswith("<object object at ")


def test_an_extra_json_cannot_hold_is_stored_as_it_can_and_the_run_ends() -> None:
    task = make_task("fills_unstorable_extra")
    report = run_task(task)
    report.refresh_from_db()
    assert (report.invocation_result, report.end_datetime is not None) == ("ok", True)
    assert report.extra == {
        "rows": [1, 2, "[circular reference]"],
        "itself": "[circular reference]",
        "ratio": None,
        "limits": [None, None],
        "by_pair": {"(1, 2)": "a tuple as a key"},
        "tags": "{'only'}",
        "imported": 3,
    }
    task.refresh_from_db()
    assert (task.status, task.cached_last_invocation_result) == ("idle", "ok")


def test_a_run_outside_extra_collection_leaves_extra_empty() -> None:
    report = run_task(make_task("ends_ok"))
    assert report.extra == {}


def test_the_report_records_the_run_and_the_task_its_last_result() -> None:
    task = make_task("ends_with_errors")
    report = run_task(task)
    report.refresh_from_db()
    task.refresh_from_db()
    assert report.end_datetime is not None
    assert report.end_datetime >= report.invocation_datetime
    assert task.status == Task.STATUS_IDLE
    assert task.cached_last_invocation_datetime == report.invocation_datetime
    assert task.cached_last_invocation_result == "errors"
    assert (task.cached_last_invocation_n_errors, task.cached_last_invocation_n_warnings) == (2, 1)


def test_the_task_is_started_while_its_command_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    task = make_task("ends_ok")
    seen: list[str] = []

    from taskmanager.runs import runner

    real = runner.execute_command

    def spy(app_command: AppCommand, argv: list[str]) -> None:
        seen.append(Task.objects.get(pk=task.pk).status)
        real(app_command, argv)

    monkeypatch.setattr(runner, "execute_command", spy)
    run_task(task)
    assert seen == [Task.STATUS_STARTED]


@pytest.mark.parametrize(
    ("enabled", "arguments", "disabled"),
    [(True, "", False), (False, "", True), (True, "--disable-notifications", True)],
)
def test_notifications_are_disabled_by_the_task_or_its_arguments(
    enabled: bool, arguments: str, disabled: bool
) -> None:
    report = run_task(make_task("ends_ok", arguments, notifications_enabled=enabled))
    assert report.notifications_disabled is disabled
    # --disable-notifications is not passed on to the command.
    assert report.invocation_result == "ok"


def test_notifications_are_emitted_once_after_the_report_is_saved(monkeypatch: pytest.MonkeyPatch) -> None:
    saved: list[tuple[str, int | None]] = []

    def emit(report: Report) -> None:
        stored = Report.objects.get(pk=report.pk)
        saved.append((stored.invocation_result, stored.n_log_warnings))

    monkeypatch.setattr(Report, "emit_notifications", emit)
    run_and_notify(make_task("ends_with_warnings"))
    assert saved == [("warnings", 2)]


def test_a_notification_failure_changes_nothing_and_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def emit(report: Report) -> None:
        raise RuntimeError("slack is down")

    monkeypatch.setattr(Report, "emit_notifications", emit)
    with caplog.at_level(logging.ERROR, logger="taskmanager.notifications"):
        report = run_and_notify(make_task("ends_ok"))
    assert Report.objects.get(pk=report.pk).invocation_result == "ok"
    [record] = [r for r in caplog.records if r.name == "taskmanager.notifications"]
    assert "Notifications for report" in record.getMessage()
    assert record.exc_info is not None
    assert "slack is down" not in report.log


def test_streams_logging_and_the_record_factory_are_restored() -> None:
    stdout, stderr = sys.stdout, sys.stderr
    factory = logging.getLogRecordFactory()
    handlers = list(logging.getLogger().handlers)
    run_task(make_task("fails"))
    assert (sys.stdout, sys.stderr) == (stdout, stderr)
    assert logging.getLogRecordFactory() is factory
    assert logging.getLogger().handlers == handlers


@pytest.mark.slow
def test_40_mb_of_output_streams_to_the_file_in_bounded_memory(settings: Any) -> None:
    settings.UWSGI_TASKMANAGER_N_LINES_IN_REPORT_LOG = 5
    tracemalloc.start()
    try:
        report = run_task(make_task("writes_lines", "200000"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert counts(report) == ("ok", 0, 0, 200_000)
    assert len(report.log.splitlines()) == 5
    assert report.log.splitlines()[-1].startswith("00199999 ")
    assert os.path.getsize(report.logfile) == 200_000 * 200
    # The output is 40 MB; what the run holds at once stays far below that.
    assert peak < 8 * 1024 * 1024


@pytest.mark.slow
def test_what_a_run_wrote_survives_its_process_being_killed(tmp_path: Path) -> None:
    env = project_env(tmp_path)
    add_task(env, "long wait", "waits_for_file", f"{tmp_path / 'never'}, --timeout 60")
    runtask = start_manage(env, "runtask", "long wait")
    logs = tmp_path / "media" / "taskmanager" / "logs"
    try:
        # The command wrote "waiting" and now sleeps: only the periodic flush can write it out.
        deadline = time.monotonic() + 20
        while not any(path.read_text() == "waiting\n" for path in logs.glob("*.log")):
            assert time.monotonic() < deadline, "the line never reached the log file"
            assert runtask.poll() is None, runtask.communicate()
            time.sleep(0.05)
    finally:
        os.kill(runtask.pid, signal.SIGKILL)
        runtask.communicate()
    [path] = logs.glob("*.log")
    assert path.read_text() == "waiting\n"
