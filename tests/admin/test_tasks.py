"""The task admin: list, form with the latest reports inline, launch and stop actions and buttons."""

import re
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from taskmanager.models import AppCommand, Report, Task
from tests.admin.pages import (
    add_report,
    add_reports,
    files_opened,
    message_texts,
    page,
    queries_of,
    result_list,
)

pytestmark = pytest.mark.django_db


def test_the_task_list_shows_each_task_with_a_result_badge_and_counts(
    admin_client: Client, task: Task, command: AppCommand, tmp_path: Path
) -> None:
    Task.objects.create(name="never run", command=command)
    Task.objects.filter(pk=task.pk).update(
        cached_last_invocation_result=Report.RESULT_ERRORS,
        cached_last_invocation_n_errors=3,
        cached_last_invocation_n_warnings=7,
    )

    html = page(admin_client.get(reverse("admin:taskmanager_task_changelist")))

    assert "nightly import" in html
    assert "never run" in html
    assert "django.core: check" in html
    assert "imports" in html
    assert '<span class="tm-badge tm-badge-errors">ERRORS</span>' in html
    assert '<span class="tm-badge tm-badge-none">---</span>' in html
    assert '<td class="field-cached_last_invocation_n_errors">3</td>' in html
    assert '<td class="field-cached_last_invocation_n_warnings">7</td>' in html


def test_the_last_result_badge_links_to_the_last_reports_log(
    admin_client: Client, task: Task, tmp_path: Path, settings
) -> None:
    add_report(task, 1, tmp_path)
    last = add_report(task, 2, tmp_path)

    html = page(admin_client.get(reverse("admin:taskmanager_task_changelist")))
    assert f'<a href="{reverse("log_viewer", args=(last.pk,))}"' in html

    settings.UWSGI_TASKMANAGER_SHOW_LOGVIEWER_LINK = False
    html = page(admin_client.get(reverse("admin:taskmanager_task_changelist")))
    assert reverse("log_viewer", args=(last.pk,)) not in html


def test_the_task_list_filters_by_last_result_and_app(
    admin_client: Client, task: Task, command: AppCommand
) -> None:
    Task.objects.filter(pk=task.pk).update(cached_last_invocation_result=Report.RESULT_FAILED)
    other_app = AppCommand.objects.create(app_name="django.contrib.auth", name="changepassword")
    Task.objects.create(name="reset password", command=other_app)
    url = reverse("admin:taskmanager_task_changelist")

    html = result_list(admin_client.get(url, {"cached_last_invocation_result__exact": "failed"}))
    assert "nightly import" in html
    assert "reset password" not in html

    html = result_list(admin_client.get(url, {"command__app_name": "django.contrib.auth"}))
    assert "reset password" in html
    assert "nightly import" not in html


@pytest.mark.parametrize("query", ["nightly", "check", "--deploy", "2am"])
def test_the_task_list_searches_name_command_arguments_and_note(
    admin_client: Client, task: Task, command: AppCommand, query: str
) -> None:
    other = AppCommand.objects.create(app_name="django.contrib.auth", name="changepassword")
    Task.objects.create(name="reset password", command=other)

    html = result_list(admin_client.get(reverse("admin:taskmanager_task_changelist"), {"q": query}))

    assert "nightly import" in html
    assert "reset password" not in html


def test_the_task_form_shows_the_latest_reports_newest_first(
    admin_client: Client, task: Task, tmp_path: Path, settings
) -> None:
    settings.UWSGI_TASKMANAGER_N_REPORTS_INLINE = 2
    settings.UWSGI_TASKMANAGER_N_LINES_IN_REPORT_INLINE = 4
    reports = [add_report(task, n, tmp_path) for n in (1, 2, 3)]

    html = page(admin_client.get(reverse("admin:taskmanager_task_change", args=(task.pk,))))

    assert html.index("tail of run 3") < html.index("tail of run 2")
    assert "tail of run 1" not in html
    # The inline tail is the stored one (3 lines, fewer than the 4 asked), the rest a link away.
    assert "run 3 line 8" in html
    assert "run 3 line 7" not in html
    assert f'<a href="{reverse("log_viewer", args=(reports[2].pk,))}">7 earlier lines</a>' in html
    assert '<span class="tm-badge tm-badge-warnings">WARNINGS</span>' in html
    assert "1 min 15 s" in html
    assert reverse("admin:taskmanager_report_change", args=(reports[2].pk,)) in html
    assert reverse("log_viewer", args=(reports[2].pk,)) in html
    assert reverse("log_viewer", args=(reports[0].pk,)) not in html


def test_the_inline_reports_have_no_log_viewer_link_when_it_is_off(
    admin_client: Client, task: Task, tmp_path: Path, settings
) -> None:
    settings.UWSGI_TASKMANAGER_SHOW_LOGVIEWER_LINK = False
    report = add_report(task, 1, tmp_path)

    html = page(admin_client.get(reverse("admin:taskmanager_task_change", args=(task.pk,))))

    assert reverse("admin:taskmanager_report_change", args=(report.pk,)) in html
    assert reverse("log_viewer", args=(report.pk,)) not in html


def task_form_data(task: Task, **changes: str) -> dict[str, str]:
    data = {
        "name": task.name,
        "command": str(task.command_id),
        "arguments": task.arguments,
        "category": str(task.category_id or ""),
        "note": task.note or "",
        "scheduling_0": "",
        "scheduling_1": "",
        "repetition_period": "",
        "repetition_rate": "",
        "notifications_enabled": "on",
        "report_set-TOTAL_FORMS": "0",
        "report_set-INITIAL_FORMS": "0",
        "report_set-MIN_NUM_FORMS": "0",
        "report_set-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_unbalanced_quotes_in_arguments_are_a_clear_form_error(admin_client: Client, task: Task) -> None:
    url = reverse("admin:taskmanager_task_change", args=(task.pk,))

    response = admin_client.post(url, task_form_data(task, arguments='--title "open'))

    assert response.status_code == 200
    assert "Cannot parse argument" in response.content.decode()
    task.refresh_from_db()
    assert task.arguments == "--deploy"


def test_the_launch_action_runs_the_task_and_tells_its_outcome(admin_client: Client, task: Task) -> None:
    response = admin_client.post(
        reverse("admin:taskmanager_task_changelist"),
        {"action": "launch_tasks", "_selected_action": [str(task.pk)]},
    )

    assert response.status_code == 302
    report = Report.objects.get(task=task)
    texts = message_texts(response)
    assert len(texts) == 1, texts
    assert texts[0].startswith(f'Task "nightly import" ran: {report.get_invocation_result_display()} ')
    assert f"({report.n_log_errors or 0} errors, " in texts[0]
    assert reverse("admin:taskmanager_report_change", args=(report.pk,)) in texts[0]


def test_the_launch_message_counts_in_proper_plurals(admin_client: Client, media_root: Path) -> None:
    command = AppCommand.objects.create(app_name="tests.sampleapp", name="ends_with_errors")
    task = Task.objects.create(name="two errors, one warning", command=command)

    response = admin_client.post(
        reverse("admin:taskmanager_task_changelist"),
        {"action": "launch_tasks", "_selected_action": [str(task.pk)]},
    )

    [text] = message_texts(response)
    assert "(2 errors, 1 warning, " in text, Report.objects.get(task=task).log


def test_the_stop_action_puts_tasks_back_to_idle(admin_client: Client, task: Task) -> None:
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_SPOOLED, spooler_id="/spool/job-1")

    response = admin_client.post(
        reverse("admin:taskmanager_task_changelist"),
        {"action": "stop_tasks", "_selected_action": [str(task.pk)]},
    )

    assert response.status_code == 302
    assert message_texts(response) == ["1 task stopped."]
    task.refresh_from_db()
    assert (task.status, task.spooler_id) == (Task.STATUS_IDLE, "")


def test_the_admins_messages_name_a_task_by_its_name_alone(admin_client: Client, task: Task) -> None:
    url = reverse("admin:taskmanager_task_change", args=(task.pk,))

    response = admin_client.post(url, task_form_data(task, note="runs at 3am"))

    [text] = message_texts(response)
    assert re.sub("<[^>]+>", "", text) == "The task “nightly import” was changed successfully."


def test_the_change_forms_stop_button_saves_then_stops(admin_client: Client, task: Task) -> None:
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_SCHEDULED, spooler_id="/spool/job-2")
    url = reverse("admin:taskmanager_task_change", args=(task.pk,))
    assert 'name="_stop"' in page(admin_client.get(url))

    response = admin_client.post(url, task_form_data(task, note="paused", _stop="Save and stop"))

    assert response.status_code == 302
    assert response["Location"] == url
    task.refresh_from_db()
    assert (task.note, task.status, task.spooler_id) == ("paused", Task.STATUS_IDLE, "")


def test_a_refused_launch_is_a_warning_without_a_traceback(admin_client: Client, task: Task, caplog) -> None:
    task.status = Task.STATUS_STARTED
    task.save()
    url = reverse("admin:taskmanager_task_changelist")
    response = admin_client.post(url, {"action": "launch_tasks", "_selected_action": [task.pk]}, follow=True)
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("was not launched" in t for t in texts)
    assert "Traceback" not in caplog.text


def test_the_task_page_opens_no_log_file(admin_client: Client, task: Task, tmp_path: Path, settings) -> None:
    settings.UWSGI_TASKMANAGER_N_LINES_IN_REPORT_INLINE = 20
    reports = [add_report(task, n, tmp_path) for n in (1, 2, 3)]

    with files_opened() as opened:
        html = page(admin_client.get(reverse("admin:taskmanager_task_change", args=(task.pk,))))

    assert [path for path in opened if path.endswith(".log")] == []
    assert "tail of run 3" in html
    assert "run 3 line 7" not in html
    assert reverse("log_viewer", args=(reports[2].pk,)) in html


def test_the_task_page_without_log_viewer_links_shows_the_stored_tail_alone(
    admin_client: Client, task: Task, tmp_path: Path, settings
) -> None:
    settings.UWSGI_TASKMANAGER_SHOW_LOGVIEWER_LINK = False
    add_report(task, 1, tmp_path)

    html = page(admin_client.get(reverse("admin:taskmanager_task_change", args=(task.pk,))))

    assert "tail of run 1" in html
    assert "earlier lines" not in html


@pytest.mark.parametrize("where", ["list", "page"])
def test_the_task_pages_ask_as_many_queries_with_50_reports_a_task_as_with_10(
    admin_client: Client, task: Task, command: AppCommand, where: str
) -> None:
    others = [Task.objects.create(name=f"task {i}", command=command) for i in range(5)]
    url = (
        reverse("admin:taskmanager_task_changelist")
        if where == "list"
        else reverse("admin:taskmanager_task_change", args=(task.pk,))
    )
    for each in [task, *others]:
        add_reports(each, 10, logfile=str(Path("/nonexistent") / "run.log"))
    with_10 = queries_of(admin_client, url)

    for each in [task, *others]:
        add_reports(each, 40)
    with_50 = queries_of(admin_client, url)

    assert len(with_50) == len(with_10) <= 20
