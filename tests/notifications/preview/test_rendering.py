"""Rendering previews: what a rendered message links to, and how a handler is described."""

from __future__ import annotations

import json

from taskmanager.notifications.channels.locmem import LocmemTransport
from taskmanager.notifications.handlers import NotificationHandler
from taskmanager.notifications.preview.rendering import HandlerPreview, Rendered

PAYLOAD = json.dumps({"text": "nightly", "blocks": [{"type": "divider"}]})


def test_a_json_part_of_any_name_links_to_the_block_kit_builder() -> None:
    rendered = Rendered(handler="slack", level="errors", sends=True, parts={"card.json": PAYLOAD})
    assert rendered.block_kit_builder_url is not None


def test_only_a_part_whose_suffix_is_json_is_read_as_json() -> None:
    rendered = Rendered(handler="slack", level="errors", sends=True, parts={"notjson": PAYLOAD})
    assert rendered.block_kit_builder_url is None


class LegacyHandler(NotificationHandler):
    transport_class = LocmemTransport

    @property
    def template_folder(self) -> str:
        return "what 3.0 code may still say"


def test_a_handler_is_described_by_the_folder_it_renders_from() -> None:
    handler = LegacyHandler("legacy", templates="log")
    assert HandlerPreview(handler).describe()["templates"] == "log"
