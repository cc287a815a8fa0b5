"""Which tasks a handler hears of: its ``tasks``, ``categories``, ``exclude_tasks`` and
``exclude_categories`` settings, shell-style patterns matched with :mod:`fnmatch`.

The rules (docs/policy.rst, "Routing"): a list that is absent lets everything through; the
task's name must match one of ``tasks`` and none of ``exclude_tasks``, **and** its category
must match one of ``categories`` and none of ``exclude_categories``. A task with no category
matches no ``categories`` entry (and no ``exclude_categories`` entry). Matching is
case-sensitive on every system (:func:`fnmatch.fnmatchcase`): a route must not change with
the machine the run finished on.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from taskmanager.notifications.exceptions import NotificationConfigurationError

#: The settings keys of a route, in the order a refusal is explained.
ROUTE_KEYS = ("tasks", "exclude_tasks", "categories", "exclude_categories")


#: What a hint shows for each key: task names for the task keys, category names for the others.
_EXAMPLES = {
    "tasks": '["import *", "Nightly backup"]',
    "exclude_tasks": '["* (test)", "Nightly backup"]',
    "categories": '["billing", "import*"]',
    "exclude_categories": '["billing", "sandbox*"]',
}


def parse_patterns(key: str, value: object) -> tuple[str, ...] | None:
    """A settings value of a route key as a tuple of patterns; None when absent.

    One string alone is refused rather than read as a list of its characters."""
    if value is None:
        return None
    example = f"{key!r}: {_EXAMPLES.get(key, _EXAMPLES['tasks'])}"
    names = "category names" if "categor" in key else "task names"
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise NotificationConfigurationError(
            f"{key!r} must be a list of {names} (patterns allowed), not {type(value).__name__}: {value!r}",
            key=key,
            hint=f"Write it as a list, e.g. {example}.",
            check_id="taskmanager.E017",
        )
    for item in value:
        if not isinstance(item, str) or not item:
            raise NotificationConfigurationError(
                f"{key!r} holds {item!r}, which is not a name or pattern (a non-empty string)",
                key=key,
                hint=f"Give each entry as a string, e.g. {example}.",
                check_id="taskmanager.E017",
            )
    return tuple(value)


def _matches(name: str | None, patterns: tuple[str, ...]) -> bool:
    return name is not None and any(fnmatchcase(name, pattern) for pattern in patterns)


@dataclass(frozen=True)
class Route:
    """The tasks a handler hears of; every field None: all of them."""

    tasks: tuple[str, ...] | None = None
    exclude_tasks: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    exclude_categories: tuple[str, ...] | None = None

    @property
    def is_open(self) -> bool:
        """Whether every task is routed (no key given)."""
        return self == Route()

    @property
    def asks_category(self) -> bool:
        """Whether the task's category decides (``categories`` or ``exclude_categories`` given)."""
        return self.categories is not None or self.exclude_categories is not None

    def refusal(self, task: str, category: str | None) -> str | None:
        """Why a task named ``task`` in ``category`` is not routed here (the reason a skipped
        record shows), or None when it is."""
        if self.tasks is not None and not _matches(task, self.tasks):
            return f'not routed: task "{task}"'
        if self.exclude_tasks is not None and _matches(task, self.exclude_tasks):
            return f'not routed: task "{task}" is excluded'
        if self.categories is not None and not _matches(category, self.categories):
            return f'not routed: category "{category}"' if category else "not routed: no category"
        if self.exclude_categories is not None and _matches(category, self.exclude_categories):
            return f'not routed: category "{category}" is excluded'
        return None

    def accepts(self, task: str, category: str | None) -> bool:
        return self.refusal(task, category) is None
