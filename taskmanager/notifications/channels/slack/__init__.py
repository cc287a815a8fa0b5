"""Slack: Block Kit payloads from ``slack/`` templates, fitted to Slack's limits, sent with slack_sdk."""

from taskmanager.notifications.channels.slack.handler import SlackNotificationHandler
from taskmanager.notifications.channels.slack.transport import SlackTransport

__all__ = ["SlackNotificationHandler", "SlackTransport"]
