"""taskmanager.execution.uwsgi.spoolfiles: uWSGI's spool files written and read outside uWSGI."""

import os
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from taskmanager.execution.uwsgi import spoolfiles
from tests.execution.uwsgi.spooling import spool_files


def test_a_spool_file_keeps_its_arguments_and_at(spool_dir: Path) -> None:
    path = spoolfiles.write_spool_file(
        str(spool_dir), {"job": "task", "task": "7", "note": "è ok"}, at=2_000_000_000
    )
    assert os.path.basename(path).startswith("uwsgi_spoolfile_on_")
    assert spoolfiles.read_spool_file(path) == {
        "job": "task",
        "task": "7",
        "note": "è ok",
        "at": "2000000000",
    }
    # uWSGI's spooler leaves a file alone while its modification time is ahead.
    assert os.stat(path).st_mtime == 2_000_000_000


def test_a_spool_file_is_written_aside_then_renamed_whole(spool_dir: Path) -> None:
    spoolfiles.write_spool_file(str(spool_dir), {"job": "task"})
    spoolfiles.write_spool_file(str(spool_dir), {"job": "task"})
    assert len(spool_files(spool_dir)) == 2
    assert sorted(p.name for p in spool_dir.iterdir() if not p.name.startswith("uwsgi_spoolfile_on_")) == []


def test_arguments_beyond_64_kib_are_refused() -> None:
    with pytest.raises(spoolfiles.SpoolerError, match="64 KiB"):
        spoolfiles.encode_spool_vars({"big": "x" * 70_000})


def test_a_file_that_is_not_a_spool_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(ValueError, match=r"notes\.txt is not a uWSGI spool file"):
        spoolfiles.read_spool_file(str(path))


def test_a_file_locked_by_another_process_is_running(
    spool_dir: Path, locked: Callable[[str | Path], None]
) -> None:
    path = Path(spoolfiles.write_spool_file(str(spool_dir), {"job": "task"}))
    assert not spoolfiles.is_running(str(path))
    locked(path)
    assert spoolfiles.is_running(str(path))
    assert not spoolfiles.discard_spool_file(str(path))
    assert path.exists()


def test_a_waiting_file_is_discarded_and_a_missing_one_is_not_running(spool_dir: Path) -> None:
    path = spoolfiles.write_spool_file(str(spool_dir), {"job": "task"})
    assert spoolfiles.discard_spool_file(path)
    assert not os.path.exists(path)
    assert not spoolfiles.is_running(path)
    assert not spoolfiles.discard_spool_file(path)


def test_outside_uwsgi_there_is_no_spooler() -> None:
    assert spoolfiles.uwsgi_module() is None
    assert not spoolfiles.has_spooler()
    assert not spoolfiles.in_spooler()
    assert spoolfiles.spooler_directories() == []
    with pytest.raises(spoolfiles.SpoolerError, match="no uWSGI spooler"):
        spoolfiles.spool_job({"job": "task"})


def test_a_job_spooled_into_a_directory_names_our_spooler_function(spool_dir: Path) -> None:
    path = spoolfiles.spool_job({"job": "task", "task": "3"}, at=2_000_000_000, directory=str(spool_dir))
    assert spoolfiles.read_spool_file(path) == {
        "ud_spool_func": spoolfiles.SPOOL_FUNCTION,
        "ud_spool_ret": str(spoolfiles.SPOOL_OK),
        "job": "task",
        "task": "3",
        "at": "2000000000",
    }


def test_a_resend_is_spooled_with_its_filters(spool_dir: Path) -> None:
    path = spoolfiles.spool_resend(handler="mail", directory=str(spool_dir))
    args = spoolfiles.read_spool_file(path)
    assert (args["job"], args["report"], args["handler"]) == ("resend", "", "mail")
    assert "since" not in args


@pytest.mark.django_db
def test_resend_notifications_spool_leaves_the_resend_to_the_spooler(spool_dir: Path) -> None:
    out = StringIO()
    call_command(
        "resend_notifications", "--spool", str(spool_dir), "--handler", "slack", "--report", "12", stdout=out
    )
    [path] = spool_files(spool_dir)
    assert out.getvalue() == f"Resend spooled: {path}\n"
    args = spoolfiles.read_spool_file(str(path))
    assert (args["job"], args["handler"], args["report"]) == ("resend", "slack", "12")
