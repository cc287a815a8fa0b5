"""Render notifications without sending them: every handler x level x part.

This package renders and describes; it never prints. ``manage.py
preview_notifications``, the admin's preview page and
:mod:`taskmanager.testing` are its three front ends.

Previews render strictly (a template error is an error here, not a fallback)
and every text that leaves this package has the handlers' secrets masked.
"""

from taskmanager.notifications.preview.decisions import Recorded, Verdict, policy_verdicts
from taskmanager.notifications.preview.document import preview_document
from taskmanager.notifications.preview.events import EVENTS, event_history, sample_event_context
from taskmanager.notifications.preview.files import part_filename, write_previews
from taskmanager.notifications.preview.parts import (
    BLOCK_KIT_BUILDER,
    HtmlSummary,
    block_kit_builder_url,
    is_html,
    pretty_json,
    summarise_html,
)
from taskmanager.notifications.preview.rendering import (
    SAMPLE_NOW,
    SAMPLE_STARTED,
    HandlerPreview,
    Rendered,
    describe_template_error,
    render_level,
    render_previews,
    sample_report,
)
from taskmanager.notifications.preview.selection import (
    UNCONFIGURED,
    PreviewError,
    Redactor,
    Selection,
    configured_secrets,
    describe_configuration_error,
    report_level,
    select_handlers,
)
from taskmanager.notifications.preview.sending import Sent, send_test

__all__ = [
    "BLOCK_KIT_BUILDER",
    "EVENTS",
    "SAMPLE_NOW",
    "SAMPLE_STARTED",
    "UNCONFIGURED",
    "HandlerPreview",
    "HtmlSummary",
    "PreviewError",
    "Recorded",
    "Redactor",
    "Rendered",
    "Selection",
    "Sent",
    "Verdict",
    "block_kit_builder_url",
    "configured_secrets",
    "describe_configuration_error",
    "describe_template_error",
    "event_history",
    "is_html",
    "part_filename",
    "policy_verdicts",
    "pretty_json",
    "preview_document",
    "render_level",
    "render_previews",
    "report_level",
    "sample_event_context",
    "sample_report",
    "select_handlers",
    "send_test",
    "summarise_html",
    "write_previews",
]
