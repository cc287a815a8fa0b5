"""The log viewer: a report's whole log, streamed and escaped, and its raw download."""

import datetime
import tracemalloc
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ImproperlyConfigured
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from taskmanager.logfiles import PIECE_BYTES
from taskmanager.models import AppCommand, Report, Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    # No password: hashing one costs half a second per test.
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", password=None))
    return client


@pytest.fixture
def task() -> Task:
    command = AppCommand.objects.create(app_name="django.core", name="check")
    return Task.objects.create(name="nightly import", command=command)


def make_report(task: Task, logfile: Path | None, lines: list[str], tail: int = 3, **fields) -> Report:
    if logfile is not None:
        logfile.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    started = timezone.now() - datetime.timedelta(seconds=5)
    return Report.objects.create(
        task=task,
        invocation_result=fields.pop("invocation_result", Report.RESULT_WARNINGS),
        invocation_datetime=started,
        end_datetime=started + datetime.timedelta(seconds=4),
        log="\n".join(lines[-tail:]),
        logfile=str(logfile) if logfile else "",
        n_log_lines=len(lines),
        n_log_errors=sum("ERROR" in line for line in lines),
        n_log_warnings=sum("WARNING" in line and "ERROR" not in line for line in lines),
        **fields,
    )


def chunks(response: object) -> Iterator[bytes]:
    """What a streamed response sends, chunk by chunk (and that it is streamed)."""
    assert isinstance(response, StreamingHttpResponse)
    yield from response


def streamed(response: object) -> str:
    return b"".join(chunks(response)).decode()


def viewer(report: Report, query: str = "") -> str:
    return reverse("log_viewer", args=(report.pk,)) + query


def test_the_log_viewer_streams_the_whole_file(admin_client: Client, task: Task, tmp_path: Path) -> None:
    lines = [f"row {i} imported" for i in range(1, 2001)]
    report = make_report(task, tmp_path / "run.log", lines)

    response = admin_client.get(viewer(report))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = streamed(response)
    # Every line, not only the three stored with the report, each numbered.
    assert '<a class="tm-ln" href="#L1">1</a>row 1 imported' in page
    assert '<a class="tm-ln" href="#L2000">2000</a>row 2000 imported' in page
    assert page.count('class="tm-line"') == 2000
    assert "tm-tail-notice" not in page


def test_it_escapes_html_in_log_lines(admin_client: Client, task: Task, tmp_path: Path) -> None:
    report = make_report(task, tmp_path / "run.log", ["<script>alert('x')</script> & more"])

    page = streamed(admin_client.get(viewer(report)))

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; more" in page


def test_it_highlights_error_and_warning_lines(admin_client: Client, task: Task, tmp_path: Path) -> None:
    lines = ["starting", "WARNING price missing for row 3", "ERROR cannot parse row 7", "done"]
    report = make_report(task, tmp_path / "run.log", lines)

    page = streamed(admin_client.get(viewer(report)))

    assert '<span id="L1" class="tm-line">' in page
    assert '<span id="L2" class="tm-line tm-line-warning">' in page
    assert '<span id="L3" class="tm-line tm-line-error">' in page
    assert '<span id="L4" class="tm-line">' in page


def test_it_filters_to_errors_keeping_the_line_numbers(
    admin_client: Client, task: Task, tmp_path: Path
) -> None:
    lines = ["starting", "WARNING price missing", "ERROR cannot parse row 7", "done"]
    report = make_report(task, tmp_path / "run.log", lines)

    page = streamed(admin_client.get(viewer(report, "?only=errors")))

    assert '<span id="L3" class="tm-line tm-line-error">' in page
    assert "price missing" not in page
    assert "starting" not in page


def test_an_unknown_filter_is_a_clear_error(admin_client: Client, task: Task, tmp_path: Path) -> None:
    report = make_report(task, tmp_path / "run.log", ["line"])

    response = admin_client.get(viewer(report, "?only=debug"))

    assert response.status_code == 400
    assert "only=errors, only=warnings" in response.content.decode()


def test_it_falls_back_to_the_stored_tail_when_the_file_was_not_kept(
    admin_client: Client, task: Task
) -> None:
    report = make_report(task, None, ["first", "second", "ERROR third", "fourth"], tail=2)

    page = streamed(admin_client.get(viewer(report)))

    assert "The log file was not kept" in page
    assert "2 lines" in page
    assert "ERROR third" in page
    assert "fourth" in page
    assert "second" not in page


def test_it_says_when_the_log_file_is_gone(admin_client: Client, task: Task, tmp_path: Path) -> None:
    logfile = tmp_path / "run.log"
    report = make_report(task, logfile, ["first", "last"], tail=1)
    logfile.unlink()

    page = streamed(admin_client.get(viewer(report)))

    assert f"The log file {logfile} is not there any more" in page
    assert "last" in page


def test_it_shows_the_report_summary_and_links(admin_client: Client, task: Task, tmp_path: Path) -> None:
    lines = ["WARNING a", "WARNING b", "ERROR c"]
    report = make_report(task, tmp_path / "run.log", lines, invocation_result=Report.RESULT_ERRORS)

    page = streamed(admin_client.get(viewer(report)))

    assert '<span class="tm-badge tm-badge-errors">ERRORS</span>' in page
    assert "3 lines" in page
    assert "1 error &middot;" in " ".join(page.split())
    assert "1 errors" not in page
    assert "2 warnings" in page
    assert reverse("log_download", args=(report.pk,)) in page
    assert reverse("admin:taskmanager_report_change", args=(report.pk,)) in page


def test_the_header_counts_in_proper_plurals_and_marks_unknown_counts(
    admin_client: Client, task: Task, tmp_path: Path
) -> None:
    report = make_report(task, tmp_path / "run.log", ["WARNING a"], invocation_result=Report.RESULT_WARNINGS)
    header = streamed(admin_client.get(viewer(report))).split('class="tm-log-summary"', 1)[1].split("</p>")[0]
    assert " ".join(header.split()).endswith("&middot; 1 line &middot; 0 errors &middot; 1 warning")

    Report.objects.filter(pk=report.pk).update(n_log_lines=None, n_log_errors=None, n_log_warnings=None)
    header = streamed(admin_client.get(viewer(report))).split('class="tm-log-summary"', 1)[1].split("</p>")[0]
    assert " ".join(header.split()).endswith("&middot; ? lines &middot; ? errors &middot; ? warnings")


def test_a_user_who_is_not_staff_is_sent_to_the_login(client: Client, task: Task, tmp_path: Path) -> None:
    report = make_report(task, tmp_path / "run.log", ["secret"])
    client.force_login(User.objects.create_user("visitor", password=None))

    response = client.get(viewer(report))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_the_view_report_permission_is_refused(
    client: Client, task: Task, tmp_path: Path
) -> None:
    report = make_report(task, tmp_path / "run.log", ["secret"])
    staff = User.objects.create_user("operator", password=None, is_staff=True)
    client.force_login(staff)

    assert client.get(viewer(report)).status_code == 403
    assert client.get(reverse("log_download", args=(report.pk,))).status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="view_report"))
    assert client.get(viewer(report)).status_code == 200


def test_a_missing_report_is_not_found(admin_client: Client) -> None:
    assert admin_client.get(reverse("log_viewer", args=(999999,))).status_code == 404


def test_the_download_serves_the_raw_file_as_plain_text(
    admin_client: Client, task: Task, tmp_path: Path
) -> None:
    lines = ["<b>raw</b>", "ERROR kept as is"]
    report = make_report(task, tmp_path / "run.log", lines)

    response = admin_client.get(reverse("log_download", args=(report.pk,)))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert f'filename="report-{report.pk}.log"' in response["Content-Disposition"]
    assert streamed(response) == "<b>raw</b>\nERROR kept as is\n"


def test_the_download_falls_back_to_the_stored_tail(admin_client: Client, task: Task) -> None:
    report = make_report(task, None, ["one", "two", "three"], tail=2)

    response = admin_client.get(reverse("log_download", args=(report.pk,)))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert f'filename="report-{report.pk}-tail.log"' in response["Content-Disposition"]
    assert response.content.decode() == "two\nthree"


def test_streaming_a_big_log_keeps_memory_small(admin_client: Client, task: Task, tmp_path: Path) -> None:
    logfile = tmp_path / "big.log"
    line = "2026-01-01 00:00:00 INFO imported row with a fairly ordinary amount of text in it\n"
    with logfile.open("w") as fh:
        for _ in range(120_000):  # about 10 MB
            fh.write(line)
    report = Report.objects.create(task=task, invocation_result=Report.RESULT_OK, logfile=str(logfile))
    size = logfile.stat().st_size

    response = admin_client.get(viewer(report))
    tracemalloc.start()
    try:
        sent = sum(len(chunk) for chunk in chunks(response))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert sent > size
    # Chunks of a few hundred lines: the peak stays far below the file's size.
    assert peak < size / 10


class LogLines(HTMLParser):
    """The log lines of a viewer page, fed chunk by chunk: each line's id, class and length.

    Fails on a line opened inside another or a text outside a line, so the page's lines are
    well-formed.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)  # else the parser holds a line's text whole
        self.lines: list[dict] = []
        self.open = False
        self.in_number = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if tag == "span" and found.get("id", "").startswith("L"):
            assert not self.open, "a line opened inside another"
            self.open = True
            self.lines.append({"id": found["id"], "class": found["class"], "length": 0, "head": ""})
        self.in_number = tag == "a" and found.get("class") == "tm-ln"

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self.open:
            self.open = False
        self.in_number = False

    def handle_data(self, data: str) -> None:
        if self.open and not self.in_number:
            line = self.lines[-1]
            line["length"] += len(data)
            line["head"] = (line["head"] + data)[:40]


def test_a_log_of_one_huge_line_is_streamed_in_pieces_in_bounded_memory(
    admin_client: Client, task: Task, tmp_path: Path
) -> None:
    logfile = tmp_path / "huge.log"
    with logfile.open("wb") as fh:
        fh.write(b"starting\nERROR dump: ")
        for _ in range(30):  # one line of 30 MB, as a JSON dump writes
            fh.write(b"x" * 1024 * 1024)
        fh.write(b"\nWARNING done\n")
    report = Report.objects.create(task=task, invocation_result=Report.RESULT_ERRORS, logfile=str(logfile))

    response = admin_client.get(viewer(report))
    page = LogLines()
    tracemalloc.start()
    try:
        for chunk in chunks(response):
            page.feed(chunk.decode())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    page.close()

    assert [(line["id"], line["class"]) for line in page.lines] == [
        ("L1", "tm-line"),
        ("L2", "tm-line tm-line-error"),
        ("L3", "tm-line tm-line-warning"),
    ]
    assert page.lines[1]["length"] == len("ERROR dump: ") + 30 * 1024 * 1024
    assert page.lines[1]["head"].startswith("ERROR dump: xxxx")
    # Never the line whole (a piece of 64 kB at a time, escaped, in a chunk): 30 MB would be.
    assert peak < 2 * 1024 * 1024


def test_a_line_longer_than_a_piece_is_highlighted_by_its_head(
    admin_client: Client, task: Task, tmp_path: Path
) -> None:
    logfile = tmp_path / "run.log"
    head = "x" * (PIECE_BYTES + 10)
    logfile.write_text(f"ERROR {head}\n{head} ERROR late\nWARNING short\n")
    report = Report.objects.create(task=task, invocation_result=Report.RESULT_ERRORS, logfile=str(logfile))

    page = streamed(admin_client.get(viewer(report, "?only=errors")))

    assert '<span id="L1" class="tm-line tm-line-error">' in page
    assert 'id="L2"' not in page  # its ERROR comes after its first piece
    assert "ERROR late" not in page
    assert "WARNING short" not in page


def test_a_progress_bar_is_one_numbered_line_as_the_report_counts_it(
    admin_client: Client, task: Task, tmp_path: Path
) -> None:
    report = make_report(task, tmp_path / "run.log", ["10%\r50%\r100%", "done"])

    page = streamed(admin_client.get(viewer(report)))

    assert report.n_log_lines == 2
    assert '<a class="tm-ln" href="#L1">1</a>10%\r50%\r100%</span>' in page
    assert '<a class="tm-ln" href="#L2">2</a>done</span>' in page
    assert 'id="L3"' not in page


def test_a_template_without_the_marker_is_a_configuration_error(
    admin_client: Client, task: Task, tmp_path: Path, settings
) -> None:
    report = make_report(task, tmp_path / "run.log", ["x"])
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    ("django.template.loaders.locmem.Loader", {"taskmanager/log_viewer.html": "no lines"})
                ],
                "context_processors": [],
            },
        }
    ]

    with pytest.raises(ImproperlyConfigured, match="log_lines_marker"):
        admin_client.get(viewer(report))
