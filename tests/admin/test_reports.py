"""The report admin: list, search, and the read-only report page with its log links."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from taskmanager.models import Report, Task
from tests.admin.pages import add_report, add_reports, page, queries_of, result_list

pytestmark = pytest.mark.django_db


def chunks(response: object) -> Iterator[bytes]:
    """What a streamed response sends, chunk by chunk (and that it is streamed)."""
    assert isinstance(response, StreamingHttpResponse)
    yield from response


def streamed(response: object) -> str:
    return b"".join(chunks(response)).decode()


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


def test_a_report_page_has_no_delete_button_nor_delete_page(
    admin_client: Client, task: Task, tmp_path: Path
) -> None:
    report = add_report(task, 1, tmp_path)

    html = page(admin_client.get(reverse("admin:taskmanager_report_change", args=(report.pk,))))
    changelist = page(admin_client.get(reverse("admin:taskmanager_report_changelist")))

    assert "deletelink" not in html
    assert reverse("admin:taskmanager_report_delete", args=(report.pk,)) not in html
    assert "delete_selected" not in changelist
    assert (
        admin_client.post(
            reverse("admin:taskmanager_report_delete", args=(report.pk,)), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Report.objects.filter(pk=report.pk).exists()


def test_deleting_a_task_still_deletes_its_reports(admin_client: Client, task: Task, tmp_path: Path) -> None:
    add_report(task, 1, tmp_path)

    response = admin_client.post(reverse("admin:taskmanager_task_delete", args=(task.pk,)), {"post": "yes"})

    assert response.status_code == 302
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("disabled", "shown"),
    [
        (False, "on: each handler whose level the result reaches"),
        (True, "off for this run"),
    ],
)
def test_the_report_says_positively_whether_notifications_were_on(
    admin_client: Client, task: Task, tmp_path: Path, disabled: bool, shown: str
) -> None:
    report = add_report(task, 1, tmp_path)
    Report.objects.filter(pk=report.pk).update(notifications_disabled=disabled)

    html = page(admin_client.get(reverse("admin:taskmanager_report_change", args=(report.pk,))))

    assert shown in html
    assert "Notifications disabled" not in html


def test_the_report_list_runs_no_query_over_the_dates_of_every_report(
    admin_client: Client, task: Task
) -> None:
    add_reports(task, 30)

    queries = queries_of(admin_client, reverse("admin:taskmanager_report_changelist"))

    # A date_hierarchy asks the DISTINCT days (or months, years) of every row: one call per row.
    assert not [sql for sql in queries if "DISTINCT" in sql.upper()]


def test_the_report_list_filters_by_date_range(admin_client: Client, task: Task, tmp_path: Path) -> None:
    add_report(task, 1, tmp_path)  # 1 March 2026, 00:01 in Rome: still February in UTC
    url = reverse("admin:taskmanager_report_changelist")

    html = page(admin_client.get(url))
    assert "Past 7 days" in html
    assert "This year" in html

    def between(start: str, end: str):
        return admin_client.get(url, {"invocation_datetime__gte": start, "invocation_datetime__lt": end})

    assert "nightly import" in result_list(between("2026-02-01 00:00:00+00:00", "2026-04-01 00:00:00+00:00"))
    assert "0 reports" in page(between("2026-04-01 00:00:00+00:00", "2026-05-01 00:00:00+00:00"))


@pytest.mark.parametrize("where", ["list", "page"])
def test_the_report_pages_ask_as_many_queries_with_50_reports_as_with_10(
    admin_client: Client, task: Task, where: str
) -> None:
    add_reports(task, 10)
    report = Report.objects.order_by("pk").first()
    assert report is not None
    url = (
        reverse("admin:taskmanager_report_changelist")
        if where == "list"
        else reverse("admin:taskmanager_report_change", args=(report.pk,))
    )
    with_10 = queries_of(admin_client, url)

    add_reports(task, 40)
    with_50 = queries_of(admin_client, url)

    assert len(with_50) == len(with_10) <= 20
