"""What to preview: the secrets to mask, taken from every handler's settings, and masked."""

from __future__ import annotations

from typing import Any

from taskmanager.notifications.preview.selection import Redactor, configured_secrets

WEBHOOK = "taskmanager.notifications.channels.webhook.transport.WebhookTransport"


def test_every_secret_is_masked_the_longest_first() -> None:
    redact = Redactor(["hook-1", "hook-1234"])
    assert redact("posted to hook-1234, then hook-1") == "posted to [secret], then [secret]"


def test_the_secrets_of_usable_and_broken_handlers_are_collected(settings: Any) -> None:
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "teams": {
            "transport": WEBHOOK,
            "templates": "webhook",
            "url": "https://teams.example/hook/abcdef",
            "headers": {"Authorization": "Bearer the-token", "X-Team": "ops"},
        },
        # Not a transport: which options are secret is guessed from their names.
        "broken": {"transport": "no.such.Transport", "api_key": ["key-one", "k2"], "channel": "#ops"},
    }
    assert sorted(configured_secrets()) == sorted(
        ["https://teams.example/hook/abcdef", "/hook/abcdef", "Bearer the-token", "key-one"]
    )
