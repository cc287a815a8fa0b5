"""Real servers on loopback that stand in for the network edge in tests.

- :class:`tests.fakes.slack.FakeSlack`: Slack's Web API and incoming webhooks, for the real
  ``slack_sdk`` clients.
- :class:`tests.fakes.smtp.SMTPServer`: an aiosmtpd SMTP server, for Django's SMTP email backend.

Both bind 127.0.0.1 on an ephemeral port, record what they receive and can be told to fail.
"""

from tests.fakes.slack import FakeSlack, SlackMessage, SlackRequest, validate_blocks
from tests.fakes.smtp import ReceivedMail, SMTPServer

__all__ = [
    "FakeSlack",
    "ReceivedMail",
    "SMTPServer",
    "SlackMessage",
    "SlackRequest",
    "validate_blocks",
]
