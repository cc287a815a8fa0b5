"""The base class of every transport, and what transports share: reading ``Retry-After``."""

from __future__ import annotations

import datetime
import math
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

from taskmanager.notifications.exceptions import NotificationConfigurationError
from taskmanager.notifications.message import Message

#: The keys of a handler's settings entry that the framework reads itself; the others are
#: its transport's options.
HANDLER_KEYS = ("class", "transport", "templates", "level", "max_attempts", "deadline", "retry_delay")


class Transport:
    """Delivers a rendered :class:`Message`; never touches templates.

    A subclass names the template parts it needs, takes its own options as
    keyword arguments and passes the rest up, so that an unknown option is a
    configuration error naming it, and defines ``send``. It may also define
    :meth:`finish_part` to check or reshape its parts once, when they are
    rendered; ``send`` then gets them finished and sends them as they are::

        class TeamsTransport(Transport):
            template_parts = ("json",)

            def __init__(self, *, url: str, timeout: float = 10, **options):
                super().__init__(**options)
                self.url, self.timeout = url, timeout

            def send(self, message):
                requests.post(self.url, data=message.parts["json"], timeout=self.timeout)
    """

    #: The parts rendered for this transport, e.g. ``("json",)``.
    template_parts: tuple[str, ...] = ()
    #: Options that, when all are empty, mean "left unconfigured on purpose"
    #: (the 2.x docs fill them from unset environment variables): the handler
    #: is skipped with a warning instead of failing.
    required_options: ClassVar[tuple[str, ...]] = ()
    #: Options whose values must never be shown (logs, admin, previews).
    secret_options: ClassVar[tuple[str, ...]] = ()
    #: The pip extra that brings this transport's packages, for check hints.
    extra: ClassVar[str | None] = None

    def __init__(self, **options: Any) -> None:
        for key in options:
            raise self.unknown_option(key)

    def send(self, message: Message) -> str | None:
        """Deliver ``message``; raise DeliveryError when it cannot be delivered.

        Its parts are finished already (:meth:`finish_part`): send them as they are.
        Return None, or a note when the message was delivered but something sent along
        with it was not (Slack's log reply in the message's thread): the delivery counts
        as sent, so it is never retried nor resent (that would deliver the message twice),
        and the note is kept on its record.
        """
        raise NotImplementedError(f"{type(self).__name__} must define send(message)")

    def finish_part(self, part: str, text: str) -> str:
        """The rendered ``part`` as it will be sent (optional; the default keeps ``text``).

        Called once per part when a message is rendered, before it is frozen, so that a
        preview shows exactly what :meth:`send` gets. Parse, check, cut or reshape here
        (a payload made to fit a service's limits, styles inlined), never again in
        :meth:`send`. Raise ValueError when the text cannot be used: it is reported as an
        error of the template that rendered it, naming the file, and the handler falls
        back to the shipped template, then to a minimal message, as for any template error.
        """
        return text

    @classmethod
    def unknown_option(cls, key: str, also: list[str] | None = None) -> NotificationConfigurationError:
        """The error (check E005) for an option this transport does not take, with the
        option (or handler key, or one of ``also``: the keys the handler reads itself) it
        most resembles: a misspelt option must never pass."""
        import difflib  # on the error's path only: start-up never pays for it

        names = cls.option_names()
        close = difflib.get_close_matches(key, [*names, *HANDLER_KEYS, *(also or [])], n=1, cutoff=0.6)
        takes = f"{cls.__name__} takes: {', '.join(names) or 'no options'}."
        if also:  # a key meant for the handler (a route, the policy) is not the transport's
            takes += f" The handler itself reads: {', '.join(also)}."
        return NotificationConfigurationError(
            f"unknown option {key!r} for {cls.__name__}",
            key=key,
            hint=f"Did you mean {close[0]!r}? {takes}" if close else takes,
            check_id="taskmanager.E005",
        )

    @classmethod
    def option_names(cls) -> list[str]:
        """The keyword options the constructors along the MRO accept."""
        import inspect

        names: list[str] = []
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None or klass is Transport:
                continue
            for param in inspect.signature(init).parameters.values():
                if param.kind is param.KEYWORD_ONLY and param.name not in names:
                    names.append(param.name)
        return names

    @classmethod
    def is_unconfigured(cls, options: dict[str, Any]) -> bool:
        """Whether every required option is empty (None, "" or an empty list)."""
        return bool(cls.required_options) and all(not options.get(name) for name in cls.required_options)

    @classmethod
    def check_dependencies(cls) -> str | None:
        """A reason the transport cannot work here (a missing package), or None."""
        return None


def retry_after_seconds(value: str | None, *, now: datetime.datetime | None = None) -> float | None:
    """The seconds an HTTP ``Retry-After`` header asks to wait, or None when it says nothing usable.

    The header is either a number of seconds (``120``) or an HTTP date
    (``Wed, 21 Oct 2026 07:28:00 GMT``, counted from ``now``, default the current time); a date
    already past means "now" (0). Anything else (negative, not a number, not a date) is None:
    the delivery then backs off as for any transient error.
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:  # "-0000": RFC 5322's "UTC, origin unknown"
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        now = now or datetime.datetime.now(datetime.timezone.utc)
        return max(0.0, (moment - now).total_seconds())
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


# -- checking options: a wrong type is a configuration error naming the key, never an
# AttributeError or TypeError later. Messages name the type, never the value (it may be a secret).


def text_option(key: str, value: object, *, hint: str = "") -> str | None:
    """The string option ``key`` stripped, or None when it is not given or empty."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise NotificationConfigurationError(
            f"{key!r} must be a string, not {type(value).__name__}",
            key=key,
            hint=hint or f"Give {key!r} as one string (an environment variable gives one).",
        )
    return value.strip() or None


def seconds_option(key: str, value: object) -> float:
    """The option ``key`` as a positive number of seconds."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise NotificationConfigurationError(
            f"{key!r} must be a positive number of seconds, not {value!r}",
            key=key,
            hint=f"Give a number, e.g. {key!r}: 10 (from an environment variable, convert it with float()).",
        )
    return float(value)
