"""taskmanager.execution.backend: the interface every execution backend implements."""

import pytest

from taskmanager.execution.backend import Backend, LaunchError, refuse_if_running
from taskmanager.models import Report, Task
from tests.execution.factories import make_task


class HalfDone(Backend):
    """A backend being written: it can launch, nothing else yet."""

    def launch(self, task: Task) -> Report | None:
        return None


def test_every_method_of_the_bare_interface_says_it_must_be_defined() -> None:
    backend, task = Backend(), Task(name="nightly")
    with pytest.raises(NotImplementedError, match=r"^Backend must define launch\(task\)$"):
        backend.launch(task)
    with pytest.raises(NotImplementedError, match=r"^Backend must define stop\(task\)$"):
        backend.stop(task)
    with pytest.raises(NotImplementedError, match=r"^Backend must define recover\(dry_run=, foreground=\)$"):
        backend.recover()
    with pytest.raises(
        NotImplementedError, match=r"^Backend must define resend_later\(report=, handler=, since=\)$"
    ):
        backend.resend_later(report=None, handler=None, since=None)


def test_a_backend_has_no_checks_of_its_own_unless_it_says_so() -> None:
    assert Backend.check() == []


@pytest.mark.django_db
def test_a_running_task_is_refused_with_a_message_for_the_admin() -> None:
    task = make_task(status=Task.STATUS_STARTED)
    with pytest.raises(LaunchError, match=r'^Task "ends_ok" is running\. Wait for its report'):
        refuse_if_running(task)


def test_a_missing_method_names_the_backend_it_is_missing_from() -> None:
    backend = HalfDone()
    assert backend.launch(Task(name="nightly")) is None
    with pytest.raises(NotImplementedError, match=r"^HalfDone must define stop\(task\)$"):
        backend.stop(Task(name="nightly"))
    with pytest.raises(NotImplementedError, match="HalfDone must define recover"):
        backend.recover(dry_run=True)


def test_a_launch_error_is_an_ordinary_error_carrying_its_message() -> None:
    # The admin shows the message; nothing else catches it.
    error = LaunchError('Task "nightly" is running.')
    assert isinstance(error, Exception)
    assert str(error) == 'Task "nightly" is running.'
