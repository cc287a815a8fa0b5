"""Real servers on loopback that stand in for the network edge in tests.

- :class:`tests.fakes.slack.FakeSlack`: Slack's Web API and incoming webhooks, for the real
  ``slack_sdk`` clients.
- :class:`tests.fakes.smtp.SMTPServer`: an aiosmtpd SMTP server, for Django's SMTP email backend.
- :class:`tests.fakes.webhook.WebhookReceiver`: an HTTP endpoint taking webhook POSTs, for the
  webhook transport.

Each binds 127.0.0.1 on an ephemeral port, records what it receives and can be told to fail.
"""

from tests.fakes.slack import FakeSlack, SlackMessage, SlackRequest, validate_blocks
from tests.fakes.smtp import ReceivedMail, SMTPServer
from tests.fakes.webhook import Answer, Received, WebhookReceiver

__all__ = [
    "Answer",
    "FakeSlack",
    "Received",
    "ReceivedMail",
    "SMTPServer",
    "SlackMessage",
    "SlackRequest",
    "WebhookReceiver",
    "validate_blocks",
]
