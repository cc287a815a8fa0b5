"""The admin: task, report, command and category pages, actions, and the log viewer's links."""

import datetime
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from taskmanager.models import AppCommand, Report, Task, TaskCategory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    # No password: hashing one costs half a second per test.
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", password=None))
    return client


@pytest.fixture
def command() -> AppCommand:
    # A command every Django project has, so launching works without sample apps.
    return AppCommand.objects.create(app_name="django.core", name="check")


@pytest.fixture
def task(command: AppCommand) -> Task:
    category = TaskCategory.objects.create(name="imports")
    return Task.objects.create(
        name="nightly import", command=command, category=category, arguments="--deploy", note="runs at 2am"
    )


def add_report(task: Task, n: int, tmp_path: Path, result: str = Report.RESULT_WARNINGS) -> Report:
    """Report number ``n`` of ``task``, started ``n`` minutes after midnight, with a log file."""
    lines = [f"run {n} line {i}" for i in range(1, 9)] + [
        f"WARNING run {n} price missing",
        f"tail of run {n}",
    ]
    logfile = tmp_path / f"run-{n}.log"
    logfile.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = timezone.make_aware(datetime.datetime(2026, 3, 1, 0, n))
    report = Report.objects.create(
        task=task,
        invocation_result=result,
        invocation_datetime=started,
        end_datetime=started + datetime.timedelta(seconds=75),
        log="\n".join(lines[-3:]),
        logfile=str(logfile),
        n_log_lines=len(lines),
        n_log_errors=0,
        n_log_warnings=1,
    )
    Task.objects.filter(pk=task.pk).update(
        cached_last_invocation_result=result,
        cached_last_invocation_datetime=started,
        cached_last_invocation_n_errors=0,
        cached_last_invocation_n_warnings=1,
    )
    return report


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def result_list(response) -> str:
    """The changelist's table of results, without the filters beside it."""
    match = re.search(r'<table id="result_list">.*?</table>', page(response), re.S)
    assert match, "no result list on the page"
    return match.group(0)


def chunks(response: object) -> Iterator[bytes]:
    """What a streamed response sends, chunk by chunk (and that it is streamed)."""
    assert isinstance(response, StreamingHttpResponse)
    yield from response


def streamed(response: object) -> str:
    return b"".join(chunks(response)).decode()


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


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
    # The inline tail is read from the log file: 4 lines, more than the 3 stored.
    assert "run 3 line 7" in html
    assert "run 3 line 6" not in html
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
    assert f"({report.n_log_errors or 0} errors, {report.n_log_warnings or 0} warnings" in texts[0]
    assert reverse("admin:taskmanager_report_change", args=(report.pk,)) in texts[0]


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


def test_the_change_forms_stop_button_saves_then_stops(admin_client: Client, task: Task) -> None:
    Task.objects.filter(pk=task.pk).update(status=Task.STATUS_SCHEDULED, spooler_id="/spool/job-2")
    url = reverse("admin:taskmanager_task_change", args=(task.pk,))
    assert 'name="_stop"' in page(admin_client.get(url))

    response = admin_client.post(url, task_form_data(task, note="paused", _stop="Save and stop"))

    assert response.status_code == 302
    assert response["Location"] == url
    task.refresh_from_db()
    assert (task.note, task.status, task.spooler_id) == ("paused", Task.STATUS_IDLE, "")


def test_the_report_list_shows_result_duration_and_counts(
    admin_client: Client, task: Task, tmp_path: Path
) -> None:
    add_report(task, 1, tmp_path, result=Report.RESULT_FAILED)

    html = page(admin_client.get(reverse("admin:taskmanager_report_changelist")))

    assert '<span class="tm-badge tm-badge-failed">FAILED</span>' in html
    assert "nightly import" in html
    assert '<td class="field-duration">1 min 15 s</td>' in html
    assert '<td class="field-n_log_lines">10</td>' in html
    assert '<td class="field-n_log_warnings">1</td>' in html


def test_the_report_list_searches_by_task_name(admin_client: Client, task: Task, tmp_path: Path) -> None:
    add_report(task, 1, tmp_path)
    other = Task.objects.create(name="weekly export", command=task.command)
    add_report(other, 2, tmp_path)

    html = result_list(admin_client.get(reverse("admin:taskmanager_report_changelist"), {"q": "weekly"}))

    assert "weekly export" in html
    assert "nightly import" not in html


def test_the_report_page_is_read_only_with_the_stored_tail_and_log_links(
    admin_client: Client, task: Task, tmp_path: Path
) -> None:
    report = add_report(task, 1, tmp_path)
    report.extra = {"summary": "imported <1234> rows"}
    report.save()

    html = page(admin_client.get(reverse("admin:taskmanager_report_change", args=(report.pk,))))

    assert 'name="_save"' not in html
    assert '<pre class="tm-log-tail">run 1 line 8\nWARNING run 1 price missing\ntail of run 1</pre>' in html
    assert "imported &lt;1234&gt; rows" in html
    viewer = reverse("log_viewer", args=(report.pk,))
    download = reverse("log_download", args=(report.pk,))
    assert f'href="{viewer}"' in html
    assert f'href="{download}"' in html

    log_page = streamed(admin_client.get(viewer))
    assert '<span class="tm-badge tm-badge-warnings">WARNINGS</span>' in log_page
    assert "10 lines" in log_page
    assert "run 1 line 1" in log_page  # beyond the stored tail
    assert '<span id="L9" class="tm-line tm-line-warning">' in log_page
    raw = streamed(admin_client.get(download))
    assert raw.splitlines()[0] == "run 1 line 1"


def test_reports_cannot_be_added_by_hand(admin_client: Client) -> None:
    assert admin_client.get(reverse("admin:taskmanager_report_add")).status_code == 403


def test_the_command_list_and_page_show_the_commands_help(admin_client: Client, command: AppCommand) -> None:
    html = page(admin_client.get(reverse("admin:taskmanager_appcommand_changelist")))
    assert "check" in html
    assert "django.core" in html

    html = page(admin_client.get(reverse("admin:taskmanager_appcommand_change", args=(command.pk,))))
    assert "usage: manage.py check" in html
    assert "--deploy" in html


def test_a_command_that_cannot_be_loaded_says_why(admin_client: Client) -> None:
    gone = AppCommand.objects.create(app_name="removed_app", name="old_command")

    html = page(admin_client.get(reverse("admin:taskmanager_appcommand_change", args=(gone.pk,))))

    assert "This command cannot be loaded: ModuleNotFoundError" in html


def test_the_toggle_action_flips_each_selected_command(admin_client: Client, command: AppCommand) -> None:
    inactive = AppCommand.objects.create(app_name="django.core", name="diffsettings", active=False)

    response = admin_client.post(
        reverse("admin:taskmanager_appcommand_changelist"),
        {"action": "toggle_active", "_selected_action": [str(command.pk), str(inactive.pk)]},
    )

    assert response.status_code == 302
    assert message_texts(response) == ["2 commands toggled."]
    command.refresh_from_db()
    inactive.refresh_from_db()
    assert (command.active, inactive.active) == (False, True)


def test_the_category_list_counts_tasks_and_the_page_lists_them(admin_client: Client, task: Task) -> None:
    TaskCategory.objects.create(name="exports")

    html = page(admin_client.get(reverse("admin:taskmanager_taskcategory_changelist")))
    assert re.search(r"imports</a></th><td class=\"field-n_tasks\">1</td>", html)
    assert re.search(r"exports</a></th><td class=\"field-n_tasks\">0</td>", html)

    html = page(admin_client.get(reverse("admin:taskmanager_taskcategory_change", args=(task.category_id,))))
    assert "nightly import" in html


def test_the_filter_collapse_script_follows_the_setting(admin_client: Client, task: Task, settings) -> None:
    url = reverse("admin:taskmanager_task_changelist")
    assert "taskmanager/filter_collapse.js" in page(admin_client.get(url))

    settings.UWSGI_TASKMANAGER_USE_FILTER_COLLAPSE = False
    assert "taskmanager/filter_collapse.js" not in page(admin_client.get(url))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_filters_start_collapsed_except_the_active_one_in_a_browser(live_server, client: Client) -> None:
    from playwright.sync_api import sync_playwright

    command = AppCommand.objects.create(app_name="django.core", name="check")
    Task.objects.create(name="nightly import", command=command, cached_last_invocation_result="ok")
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", password=None))
    session = client.cookies["sessionid"].value
    url = live_server.url + reverse("admin:taskmanager_task_changelist")

    # Playwright's loop must not be running while the ORM is used: no DB access below.
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            context = browser.new_context()
            context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
            browser_page = context.new_page()
            browser_page.goto(url + "?cached_last_invocation_result__exact=ok")

            def is_open(title: str) -> bool:
                return browser_page.eval_on_selector(f'details[data-filter-title="{title}"]', "d => d.open")

            assert is_open("last result")
            assert not is_open("status")
            assert not is_open("app name")

            # What the user opens stays open on the next page (Django's filters.js memory).
            browser_page.click('details[data-filter-title="status"] > summary')
            browser_page.goto(url)
            assert is_open("status")
            assert not is_open("last result")
        finally:
            browser.close()


def test_a_refused_launch_is_a_warning_without_a_traceback(admin_client: Client, task: Task, caplog) -> None:
    task.status = Task.STATUS_STARTED
    task.save()
    url = reverse("admin:taskmanager_task_changelist")
    response = admin_client.post(url, {"action": "launch_tasks", "_selected_action": [task.pk]}, follow=True)
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("was not launched" in t for t in texts)
    assert "Traceback" not in caplog.text
