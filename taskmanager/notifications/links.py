"""The paths of a report's pages in notifications, reversed once per URL shape.

Every notification's context links the report's admin page, its log and the report before
it: three ``reverse()`` calls per emission, each walking the project's URL patterns (about
15 µs each, a tenth of the context). The path of a page differs from one report to the next
only by the id, so each name is reversed once with a stand-in id and the id put in its place
afterwards; a short id reversed too checks the shape (a pattern or converter that does not take
every id as its own digits is reversed for each id). What else a reversal depends on is in the
key: the URLconf (the thread's own or the project's, the resolver Django rebuilds when
ROOT_URLCONF changes), the script prefix and the active language (``i18n_patterns``).
"""

from __future__ import annotations

import threading

from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

#: Reversed in place of a report's id to learn a path's shape: digits, as an id is, and long
#: enough that no other part of a path holds it.
STAND_IN = 918_273_645_546_372_819
#: Reversed too, to check the shape: a pattern that takes the long stand-in but not a short id
#: (``[0-9]{10,}``), or a converter writing an id its own way (zero-padded), has no shape.
SHORT_ID = 7

#: (URL name, resolver, script prefix, language) -> the path before and after the id, or None
#: when the stand-in does not reverse to a path holding it once: then each id is reversed.
_shapes: dict[tuple[str, object, str, str | None], tuple[str, str] | None] = {}
_lock = threading.Lock()


class Paths:
    """The reversals of this moment: made once for every path a context needs, as what the
    paths depend on (the thread's URLconf, script prefix and language) is asked once."""

    def __init__(self) -> None:
        self._where = (get_resolver(get_urlconf()), get_script_prefix(), get_language())

    def of(self, name: str, pk: int | None) -> str | None:
        """``reverse(name, args=(pk,))``, or None when ``pk`` is None or the name is not routed
        (the project did not include ``taskmanager.urls`` or the admin)."""
        if pk is None:
            return None
        key = (name, *self._where)
        try:
            shape = _shapes[key]
        except KeyError:
            shape = _shape(name)
            with _lock:
                _shapes[key] = shape
        if shape is None:
            return _reverse(name, pk)
        before, after = shape
        return f"{before}{pk}{after}"


def _shape(name: str) -> tuple[str, str] | None:
    path = _reverse(name, STAND_IN)
    if path is None:
        return None
    before, found, after = path.partition(str(STAND_IN))
    if not found or str(STAND_IN) in after:
        return None
    return (before, after) if _reverse(name, SHORT_ID) == f"{before}{SHORT_ID}{after}" else None


def _reverse(name: str, pk: int) -> str | None:
    try:
        return reverse(name, args=(pk,))
    except NoReverseMatch:
        return None
