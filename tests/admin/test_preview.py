"""The admin's "Preview notifications" page of a report, through Django's test client."""

import datetime
import json
import re
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from taskmanager.admin.preview import _part_views
from taskmanager.models import AppCommand, Delivery, HandlerState, Report, Task
from taskmanager.notifications.config import get_handler
from taskmanager.notifications.preview import BLOCK_KIT_BUILDER, Rendered
from tests.fakes import FakeSlack

pytestmark = pytest.mark.django_db

MAIL = "taskmanager.notifications.MailNotificationHandler"
SLACK = "taskmanager.notifications.SlackNotificationHandler"
TOKEN = "xoxb-2222-3333-admin-secret-token"
TASK_NAME = "Import <script>alert(1)</script> & co"


@pytest.fixture
def slack():
    with FakeSlack(tokens=(TOKEN,)) as fake:
        yield fake


@pytest.fixture
def handlers(settings, slack):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "mail": {"class": MAIL, "level": "errors", "recipients": "ops@example.com"},
        "slack": {
            "class": SLACK,
            "level": "warnings",
            "token": TOKEN,
            "channel": "general",
            "base_url": slack.base_url,
        },
        "teams": {"class": SLACK, "webhook_url": ""},
    }
    return settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS


@pytest.fixture
def report() -> Report:
    command = AppCommand.objects.create(app_name="sampleapp", name="sample")
    task = Task.objects.create(name=TASK_NAME, command=command, arguments="--all")
    started = timezone.make_aware(datetime.datetime(2026, 3, 1, 4, 0))
    return Report.objects.create(
        task=task,
        invocation_result="errors",
        invocation_datetime=started,
        end_datetime=started + datetime.timedelta(seconds=41),
        log="INFO start\nERROR row 7 <!channel> & <b>bold</b>\nERROR row 9: \"quoted\" 'single'",
        n_log_lines=3,
        n_log_errors=2,
        n_log_warnings=0,
    )


def login(user: User, **client_options) -> Client:
    client = Client(**client_options)
    client.force_login(user)
    return client


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser("admin", "admin@example.com", password=None)


@pytest.fixture
def admin_client(superuser: User) -> Client:
    return login(superuser)


@pytest.fixture
def staff() -> User:
    user = User.objects.create_user("staff", "staff@example.com", password=None, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_report"))
    return user


def preview_url(report: Report, **query: str) -> str:
    url = reverse("admin:taskmanager_report_preview", args=(report.pk,))
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


class Elements(HTMLParser):
    """Every start tag with its (unescaped) attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def section(html: str, handler: str) -> str:
    match = re.search(
        rf'<section class="module tm-preview-handler" id="handler-{handler}">.*?</section>', html, re.S
    )
    assert match, f"no section for {handler}"
    return match.group(0)


def test_the_report_page_links_to_its_notification_preview(admin_client, handlers, report):
    html = page(admin_client, reverse("admin:taskmanager_report_change", args=(report.pk,)))
    [link] = Elements(html).find("a", **{"class": "tm-preview-link"})
    assert link["href"] == preview_url(report)
    assert ">Preview notifications</a>" in html


def test_viewing_shows_every_configured_handler_and_sends_nothing(admin_client, handlers, slack, report):
    html = page(admin_client, preview_url(report))
    assert 'id="handler-mail"' in html
    assert 'id="handler-slack"' in html
    assert "Skipped, not configured (their required options are empty): teams" in html
    assert mail.outbox == []
    assert slack.requests == []
    assert not Delivery.objects.exists()


def test_each_handler_says_whether_the_policy_would_send_this_report_and_what_was_done(
    admin_client, handlers, settings, report
):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS["slack"]["tasks"] = ["Nightly *"]
    Delivery.objects.create(report=report, handler="mail", level="errors", status="sent", event="report")

    html = page(admin_client, preview_url(report))

    mail_section = section(html, "mail")
    assert "This report, if it finished now: would send it as report." in mail_section
    assert re.search(r"When it ran: sent as report \(delivery \d+\)\.", mail_section)
    slack_section = section(html, "slack")
    assert "would not send it: not routed: task &quot;Import &lt;script&gt;" in slack_section
    assert "When it ran: no delivery record." in slack_section
    # Viewing is reading: the policy's state is left as it was.
    assert not HandlerState.objects.exists()


def test_the_html_mail_is_in_a_sandboxed_iframe_whose_srcdoc_is_the_whole_mail(
    admin_client, handlers, report, monkeypatch
):
    # The mail's footer says when it was sent, to the second: the page and the render it is
    # compared with must see the same clock, however long the page takes.
    frozen = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: frozen)
    html = page(admin_client, preview_url(report))
    [iframe] = Elements(html).find("iframe")
    assert "sandbox" in iframe
    assert iframe["sandbox"] in (None, "")  # no allow-* token: no scripts, forms or same origin
    expected = get_handler("mail").render(report, strict=True).parts["html"]
    assert iframe["srcdoc"] == expected
    assert re.search(r'<iframe class="tm-preview-mail" sandbox srcdoc="[^"<>]*"', html)


def test_the_mail_subject_and_text_part_are_shown(admin_client, handlers, report):
    mail_section = section(page(admin_client, preview_url(report)), "mail")
    rendered = get_handler("mail").render(report, strict=True)
    subject = rendered.parts["subject.txt"]
    assert subject.startswith("[errors] Import <script>")
    assert f'<span class="tm-preview-subject-text">{escape(subject)}</span>' in mail_section
    assert escape(rendered.parts["txt"]) in mail_section


def escape(text: str) -> str:
    from django.utils.html import escape as django_escape

    return str(django_escape(text))


def test_the_slack_payload_is_shown_as_json_a_picture_of_its_blocks_and_a_builder_link(
    admin_client, handlers, report
):
    slack_section = section(page(admin_client, preview_url(report)), "slack")
    payload = get_handler("slack").render(report, strict=True).parts["json"]
    assert escape(json.dumps(json.loads(payload), ensure_ascii=False, indent=2)) in slack_section
    [builder] = Elements(slack_section).find("a", **{"class": "tm-preview-builder"})
    href = builder["href"] or ""
    assert href.startswith(BLOCK_KIT_BUILDER)
    assert json.loads(unquote(href.removeprefix(BLOCK_KIT_BUILDER))) == {
        "blocks": json.loads(payload)["blocks"]
    }
    assert builder["rel"] == "noopener noreferrer"
    # The picture: the header as text, the log tail as a code block, the fields, the context links.
    assert f'<div class="tm-slack-header">{escape(TASK_NAME)}: errors</div>' in slack_section
    code = re.search(r'<pre class="tm-slack-code">(.*?)</pre>', slack_section, re.S)
    assert code
    assert escape("ERROR row 7 <!channel> & <b>bold</b>") in code.group(1)
    assert '<div class="tm-slack-fields">' in slack_section
    assert f'href="https://tasks.example.com/admin/taskmanager/report/{report.pk}/change/"' in slack_section


def test_report_content_is_never_marked_safe(admin_client, handlers, report):
    html = page(admin_client, preview_url(report))
    assert "<script>alert(1)</script>" not in html
    assert "<b>bold</b>" not in html
    assert "<!channel>" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4  # title, subject, text part, Slack


def test_the_level_selector_renders_the_report_at_another_level(admin_client, handlers, report):
    html = page(admin_client, preview_url(report, level="warnings"))
    assert "[warnings] Import" in section(html, "mail")
    assert "Not sent for reports at warnings: this handler's level is errors." in section(html, "mail")
    assert "Sent for reports at warnings." in section(html, "slack")
    [current] = [
        a
        for a in Elements(html).find("a", **{"aria-current": "page"})
        if "tm-selected" in (a.get("class") or "")
    ]
    assert current["href"] == "?level=warnings"
    assert "(this report)" in html  # on the errors link
    # A hand-edited level falls back to the report's own.
    assert "[errors] Import" in section(page(admin_client, preview_url(report, level="nonsense")), "mail")


def test_a_template_error_is_shown_with_its_file_line_and_folder(
    admin_client, handlers, report, settings, tmp_path
):
    (tmp_path / "mail").mkdir()
    broken = tmp_path / "mail" / "errors.txt"
    broken.write_text("ok\n{{ nope }}\n")
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(tmp_path)]
    mail_section = section(page(admin_client, preview_url(report)), "mail")
    assert (
        f"template {broken}, line 2 (from UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS ({tmp_path}))"
        in mail_section
    )
    assert "&#x27;nope&#x27; is undefined" in mail_section
    assert "<iframe" not in mail_section


def test_misconfigured_handlers_are_listed_with_the_checks_message(admin_client, settings, report):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {"slack": {"class": SLACK, "token": TOKEN}}
    html = page(admin_client, preview_url(report))
    assert "(taskmanager.E006) Notification handler &#x27;slack&#x27;: a Slack token is set but no" in html
    assert TOKEN not in html


def test_secrets_are_masked_on_the_page(admin_client, handlers, report):
    html = page(admin_client, preview_url(report))
    assert TOKEN not in html
    assert "<code>token</code> [secret]" in html


def test_anonymous_and_non_staff_users_are_sent_to_the_login_page(handlers, report):
    url = preview_url(report)
    for client in (Client(), login(User.objects.create_user("user", password=None))):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login") + "?next=")
        assert client.post(url, {"handler": "slack"}).status_code == 302


def test_staff_without_view_permission_are_refused(handlers, report):
    user = User.objects.create_user("nobody", password=None, is_staff=True)
    assert login(user).get(preview_url(report)).status_code == 403


def test_staff_who_are_not_superusers_see_no_send_button_and_cannot_send(handlers, slack, staff, report):
    client = login(staff)
    html = page(client, preview_url(report))
    assert 'id="handler-slack"' in html
    assert 'value="Send now"' not in html
    assert client.post(preview_url(report), {"handler": "slack", "level": "errors"}).status_code == 403
    assert slack.requests == []
    assert not Delivery.objects.exists()


def csrf_post(client: Client, url: str, data: dict[str, str]):
    """POST like a browser: the CSRF token from the page's form."""
    html = page(client, url)
    token = Elements(html).find("input", name="csrfmiddlewaretoken")[0]["value"]
    return client.post(url, {**data, "csrfmiddlewaretoken": token}, follow=True)


def test_send_now_sends_as_a_test_and_shows_the_outcome(handlers, slack, superuser, report):
    client = login(superuser, enforce_csrf_checks=True)
    html = page(client, preview_url(report))
    assert html.count('value="Send now"') == 2
    response = csrf_post(client, preview_url(report, level="failed"), {"handler": "slack", "level": "failed"})
    assert response.redirect_chain == [(preview_url(report, level="failed"), 302)]
    assert "Sent a test notification with slack (failed, 1 attempt(s))." in response.content.decode()
    [posted] = slack.messages
    assert posted["text"].startswith("[TEST] Import &lt;script&gt;alert(1)&lt;/script&gt; &amp; co failed")
    [delivery] = Delivery.objects.all()
    assert (delivery.report, delivery.handler, delivery.level, delivery.test, delivery.status) == (
        report,
        "slack",
        "failed",
        True,
        Delivery.STATUS_SENT,
    )
    assert mail.outbox == []


def test_send_now_through_mail_marks_the_subject_as_a_test(handlers, superuser, report):
    client = login(superuser, enforce_csrf_checks=True)
    csrf_post(client, preview_url(report), {"handler": "mail", "level": "errors"})
    [sent] = mail.outbox
    assert sent.subject.startswith("[TEST] [errors] Import")
    assert sent.to == ["ops@example.com"]


def test_send_now_without_the_csrf_token_is_refused(handlers, slack, superuser, report):
    client = login(superuser, enforce_csrf_checks=True)
    assert client.post(preview_url(report), {"handler": "slack", "level": "errors"}).status_code == 403
    assert slack.requests == []


def test_a_failed_send_shows_the_error_without_secrets(handlers, settings, slack, superuser, report):
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "slack": {**handlers["slack"], "token": "xoxb-7777-revoked-admin-token"}
    }
    response = csrf_post(
        login(superuser, enforce_csrf_checks=True), preview_url(report), {"handler": "slack"}
    )
    html = response.content.decode()
    assert "Sending a test with slack failed after 1 attempt(s):" in html
    assert "invalid_auth" in html
    assert "xoxb-7777-revoked-admin-token" not in html
    assert Delivery.objects.get().status == Delivery.STATUS_FAILED


def test_send_now_for_an_unknown_handler_says_so(handlers, superuser, report):
    response = csrf_post(login(superuser, enforce_csrf_checks=True), preview_url(report), {"handler": "sms"})
    assert "No usable handler named &#x27;sms&#x27;." in response.content.decode()
    assert not Delivery.objects.exists()


def test_send_now_tries_once_and_leaves_retrying_to_the_resend_command(handlers, slack, superuser, report):
    slack.fail_next(1, status=500)
    response = csrf_post(
        login(superuser, enforce_csrf_checks=True), preview_url(report), {"handler": "slack"}
    )
    assert "Sending a test with slack failed after 1 attempt(s):" in response.content.decode()
    assert len(slack.requests) == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.permanent) == (Delivery.STATUS_FAILED, 1, False)


def test_each_part_is_shown_by_its_kind_subject_first_then_html_json_and_text():
    parts = {
        "notes.xml": "<x/>",
        "notjson": "{}",
        "card.json": '{"text": "a"}',
        "page.htm": "<p>hello</p>",
        "subject.txt": " [errors]\n nightly ",
    }
    views = _part_views(Rendered(handler="h", level="errors", sends=True, parts=parts))
    assert [(view.name, view.kind) for view in views] == [
        ("subject.txt", "subject"),
        ("page.htm", "html"),
        ("card.json", "json"),
        ("notes.xml", "text"),
        ("notjson", "text"),
    ]
    assert views[0].text == "[errors] nightly"
