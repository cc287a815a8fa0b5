"""The rendered message handed from rendering to delivery."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from taskmanager.results import Result

if TYPE_CHECKING:
    from taskmanager.models import Report


@dataclass(frozen=True, init=False)
class Message:
    """One report rendered for one handler: what a transport sends.

    ``level`` is the :class:`~taskmanager.results.Result` it was rendered at (a name
    such as ``"errors"`` is accepted and turned into one); ``parts`` maps each of the
    transport's ``template_parts`` to its rendered text; ``test`` marks a message sent
    from a preview (``--send``).
    """

    handler: str
    level: Result
    parts: Mapping[str, str]
    report: Report | None = None
    test: bool = False
    context: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: Template failures worked around while rendering (the message fell back).
    problems: tuple[str, ...] = ()

    def __init__(
        self,
        handler: str,
        level: Result | str,
        parts: Mapping[str, str],
        report: Report | None = None,
        test: bool = False,
        context: Mapping[str, Any] | None = None,
        problems: tuple[str, ...] = (),
    ) -> None:
        # Frozen all the way down: a transport cannot change what others send.
        for name, value in (
            ("handler", handler),
            ("level", Result(level)),
            ("parts", MappingProxyType(dict(parts))),
            ("report", report),
            ("test", test),
            ("context", {} if context is None else context),
            ("problems", tuple(problems)),
        ):
            object.__setattr__(self, name, value)
