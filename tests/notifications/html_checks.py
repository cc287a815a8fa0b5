"""What a sent HTML mail may contain: helpers for the mail tests."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class Assets(HTMLParser):
    """Every URL an HTML document refers to, and the tags that would load something."""

    LOADING_TAGS = ("img", "link", "script", "iframe", "object", "embed", "video", "audio", "source")
    URL_ATTRIBUTES = ("src", "href", "background", "srcset", "poster", "action")

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.loading_tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.LOADING_TAGS:
            self.loading_tags.append(tag)
        for name, value in attrs:
            if name in self.URL_ATTRIBUTES and value:
                self.urls.append(value)
            if name == "style" and value:
                self.urls.extend(re.findall(r"url\(\s*['\"]?([^'\")]+)", value))


def assets(html: str) -> Assets:
    parser = Assets()
    parser.feed(html)
    return parser


def css_left_uninlined(html: str) -> list[str]:
    """The rules of the document's <style> blocks that are not inside an @media query."""
    left: list[str] = []
    for block in re.findall(r"<style[^>]*>(.*?)</style>", html, re.DOTALL | re.IGNORECASE):
        depth, prelude = 0, ""
        for char in block:
            if char == "{":
                if depth == 0 and not prelude.strip().startswith("@media"):
                    left.append(prelude.strip())
                depth += 1
                prelude = ""
            elif char == "}":
                depth -= 1
            elif depth == 0:
                prelude += char
    return left
