"""The rendered message handed from rendering to delivery."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from taskmanager.models import Report


@dataclass(frozen=True)
class Message:
    """One report rendered for one handler: what a transport sends.

    ``parts`` maps each of the transport's ``template_parts`` to its rendered
    text; ``test`` marks a message sent from a preview (``--send``).
    """

    handler: str
    level: str
    parts: Mapping[str, str]
    report: Report | None = None
    test: bool = False
    context: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: Template failures worked around while rendering (the message fell back).
    problems: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Frozen all the way down: a transport cannot change what others send.
        object.__setattr__(self, "parts", MappingProxyType(dict(self.parts)))

    def __getitem__(self, part: str) -> str:
        return self.parts[part]
