"""taskmanager.spooler, uWSGI's entry point, called here in-process as uWSGI calls it.

The jobs themselves are tested in tests/execution/uwsgi/test_jobs.py; a real
uWSGI runs them in tests/execution/uwsgi/test_uwsgi_*.py.
"""

from pathlib import Path

import pytest

from taskmanager import spooler as taskmanager_spooler
from taskmanager.execution.uwsgi import rides, spoolfiles
from taskmanager.models import Report
from tests.execution.factories import make_task
from tests.execution.uwsgi.spooling import uwsgi_args

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def test_a_tasks_file_is_run_by_its_job_then_let_go(tmp_path: Path) -> None:
    task = make_task("ends_with_errors")
    path = rides.spool(task, directory=str(tmp_path))
    assert path is not None
    # uWSGI deletes the file once the function returns SPOOL_OK.
    assert taskmanager_spooler.spooler_job(uwsgi_args(path)) == spoolfiles.SPOOL_OK
    assert Report.objects.get(task=task).invocation_result == "errors"


def test_a_resend_file_is_let_go(tmp_path: Path) -> None:
    path = spoolfiles.spool_resend(directory=str(tmp_path))
    assert taskmanager_spooler.spooler_job(uwsgi_args(path)) == spoolfiles.SPOOL_OK


def test_a_job_never_raises_so_uwsgi_does_not_retry_it_forever(caplog: pytest.LogCaptureFixture) -> None:
    assert (
        taskmanager_spooler.spooler_job({"job": "task", "task": "not a number", "spooler_task_name": "f"})
        == -2
    )
    assert "Spool file f failed" in caplog.text
    assert taskmanager_spooler.spooler_job({"job": "task", "task": "424242", "spooler_task_name": "g"}) == -2
    assert taskmanager_spooler.spooler_job({"job": "mystery", "spooler_task_name": "h"}) == -2
    assert "unknown job 'mystery'" in caplog.text


def test_outside_a_spooler_process_nothing_is_recovered_at_start(tmp_path: Path) -> None:
    task = make_task()
    path = rides.spool(task, directory=str(tmp_path))
    assert path is not None
    Path(path).unlink()  # lost: a recovery would spool it again
    taskmanager_spooler.recover_at_spooler_start()
    assert list(tmp_path.glob("uwsgi_spoolfile_on_*")) == []


def test_it_names_what_uwsgi_and_the_docs_use() -> None:
    assert taskmanager_spooler.spool_resend is spoolfiles.spool_resend
    assert spoolfiles.SPOOL_FUNCTION == "taskmanager_spooler_job"
