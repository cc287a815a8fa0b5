"""Find and render notification templates.

A part is rendered from ``<folder>/<level>.<part>``, falling back to
``<folder>/default.<part>``; a recovery or a reminder of the notification policy tries
``<folder>/recovered.<part>`` or ``<folder>/reminder.<part>`` first. Folders are searched
like Django's template loaders: ``UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS``, then each installed
app's ``notification_templates/``, then the shipped defaults; within a folder
the per-level file is tried before ``default``, and the first folder having
either wins. The shipped defaults are also reachable as ``shipped/...`` so an
override can extend one and replace a block.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings as django_settings

from taskmanager.conf import settings
from taskmanager.lazy import Lazy
from taskmanager.notifications.exceptions import NotificationTemplateError, TemplateNotFound
from taskmanager.notifications.filters import FILTERS
from taskmanager.text import part_kind

if TYPE_CHECKING:
    import jinja2

SHIPPED_PREFIX = "shipped"
DEFAULT_NAME = "default"
#: The events of the notification policy with templates of their own, tried before the level's:
#: ``<folder>/recovered.<part>``, ``<folder>/reminder.<part>`` (docs/policy.rst).
EVENT_NAMES = ("recovered", "reminder")


def shipped_templates_dir() -> Path:
    """The shipped defaults: inside the package when installed from a wheel,
    beside it in a source checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "notification_templates"
    return installed if installed.is_dir() else package.parent / "notification_templates"


@dataclass(frozen=True)
class SearchRoot:
    """One folder of the search order, with the words that say where it comes from."""

    path: Path
    origin: str


def template_dirs() -> list[str]:
    """The folders of ``UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS``, in order.

    One folder given alone (a string, a ``Path``) counts as a list of one, not as a list
    of its characters, and an entry that is not a path is left out: the checks report
    both (E010), rendering carries on.
    """
    value = settings.NOTIFICATION_TEMPLATE_DIRS
    if isinstance(value, (str, os.PathLike)):
        value = [value]
    if not isinstance(value, (list, tuple)):
        return []
    return [str(os.fspath(item)) for item in value if isinstance(item, (str, os.PathLike))]


def search_roots() -> list[SearchRoot]:
    roots = [
        SearchRoot(Path(d), f"UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS ({d})") for d in template_dirs()
    ]
    for app_config in apps.get_app_configs():
        folder = Path(app_config.path) / "notification_templates"
        # taskmanager's own folder (present in a wheel) is the shipped layer, last.
        if app_config.name != "taskmanager" and folder.is_dir():
            roots.append(SearchRoot(folder, f"app {app_config.name}"))
    roots.append(SearchRoot(shipped_templates_dir(), "shipped defaults"))
    return roots


def bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept on disk between processes (UWSGI_TASKMANAGER_TEMPLATE_CACHE).

    Compiling the shipped templates costs a fresh process ~60 ms; ``runtask``, each
    spooler process and ``manage.py check`` would otherwise pay it every time. Entries are
    keyed by the template's source, so an edited template is compiled again.
    """
    import jinja2  # on first use: most processes never render

    configured = settings.TEMPLATE_CACHE
    if configured is None or configured is False:
        return None
    if configured is True:
        return jinja2.FileSystemBytecodeCache()  # Jinja's private per-user temporary folder
    folder = Path(configured)
    folder.mkdir(parents=True, exist_ok=True)
    return jinja2.FileSystemBytecodeCache(str(folder))


@functools.cache
def _autoescape(name: str | None) -> bool:
    # HTML parts escape; JSON parts use |tojson, Slack text |mrkdwn, and plain text is literal.
    # Remembered by name: Jinja asks at every render and every import, for each new context.
    return name is not None and part_kind(name) in ("html", "xml")


def _json_default(value: Any) -> Any:
    import jinja2  # on first use: most processes never render

    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# An encoder per set of options (Jinja's own, sort_keys=True; tojson(indent=2) adds one): an
# encoder keeps no state between calls, and building one per call was most of a short dump.
_ENCODERS: dict[tuple[tuple[str, Any], ...], json.JSONEncoder] = {
    (("sort_keys", True),): json.JSONEncoder(sort_keys=True, default=_json_default)
}


_NO_EFFECT_ON_A_STRING = frozenset({"sort_keys", "indent"})


def _json_dumps(obj: Any, **kwargs: Any) -> str:
    """json.dumps for ``tojson`` that names an undefined variable instead of
    failing with "StrictUndefined is not JSON serializable".

    Templates call it for every value they embed, mostly strings: those skip the encoder,
    and the others share one per set of options.
    """
    if isinstance(obj, str) and kwargs.keys() <= _NO_EFFECT_ON_A_STRING:
        return encode_basestring_ascii(obj)
    try:
        key = tuple(sorted(kwargs.items()))
        encoder = _ENCODERS.get(key)
    except TypeError:  # an option json.dumps takes that is not hashable: no sharing
        return json.dumps(obj, default=_json_default, **kwargs)
    if encoder is None:
        if "cls" in kwargs or "default" in kwargs:  # json.dumps's own, not the encoder's
            return json.dumps(obj, default=_json_default, **kwargs)
        encoder = json.JSONEncoder(default=_json_default, **kwargs)
        _ENCODERS[key] = encoder
    return encoder.encode(obj)


@functools.cache
def environment_class() -> type[jinja2.Environment]:
    """Jinja's Environment, each template's globals made one dict.

    Jinja keeps them as a ChainMap over the environment's globals, so that a global added
    later shows in templates loaded before; every render then copies the globals and the
    context into the template's context through that ChainMap (about a tenth of rendering
    a short template). Ours are set once, before any template is loaded (Jinja asks the same).
    """
    import jinja2  # on first use: most processes never render

    class Environment(jinja2.Environment):
        def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
            return {**self.globals, **(d or {})}

    return Environment


class Renderer:
    """The one Jinja environment of the notifications, and template resolution."""

    def __init__(self, roots: list[SearchRoot]):
        import jinja2  # on first use: most processes never render

        self.roots = roots
        shipped = roots[-1].path
        self.env = environment_class()(
            loader=jinja2.ChoiceLoader(
                [
                    jinja2.PrefixLoader({SHIPPED_PREFIX: jinja2.FileSystemLoader(shipped)}),
                    jinja2.FileSystemLoader([str(root.path) for root in roots]),
                ]
            ),
            autoescape=_autoescape,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=bool(getattr(django_settings, "DEBUG", False)),
            extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
            bytecode_cache=bytecode_cache(),
        )
        self.env.filters.update(FILTERS)
        self.env.policies["json.dumps_function"] = _json_dumps
        self._resolved: dict[tuple[str, str, str, str | None], tuple[str, SearchRoot]] = {}
        # The templates loaded, by name, when they are never reloaded: Jinja's own cache takes
        # a lock and makes a weak reference at every look-up.
        self._loaded: dict[str, jinja2.Template] | None = None if self.env.auto_reload else {}
        self._lock = threading.Lock()

    # -- finding -----------------------------------------------------------------

    def candidates(self, folder: str, level: str, part: str, event: str | None = None) -> list[str]:
        names = [f"{folder}/{level}.{part}", f"{folder}/{DEFAULT_NAME}.{part}"]
        return [f"{folder}/{event}.{part}", *names] if event in EVENT_NAMES else names

    def resolve(self, folder: str, level: str, part: str, event: str | None = None) -> tuple[str, SearchRoot]:
        """The template name to render and the folder it comes from."""
        event = event if event in EVENT_NAMES else None
        key = (folder, level, part, event)
        found = self._resolved.get(key)
        if found is not None:
            return found
        tried: list[str] = []
        for root in self.roots:
            for name in self.candidates(folder, level, part, event):
                path = root.path / name
                tried.append(str(path))
                if path.is_file():
                    with self._lock:
                        self._resolved[key] = (name, root)
                    return name, root
        raise TemplateNotFound(
            f"No template for part {part!r} of level {level!r} in folder {folder!r}",
            template=self.candidates(folder, level, part, event)[0],
            tried=tried,
        )

    def locate(self, name: str) -> tuple[str | None, str | None]:
        """The file a template name loads from, and the folder of the search order it is in."""
        if name.startswith(SHIPPED_PREFIX + "/"):
            return str(self.roots[-1].path / name.removeprefix(SHIPPED_PREFIX + "/")), self.roots[-1].origin
        root = self._root_serving(name)
        return (str(root.path / name), root.origin) if root else (None, None)

    def resolve_shipped(self, folder: str, level: str, part: str, event: str | None = None) -> str:
        """The shipped default for a part, as a ``shipped/...`` name."""
        shipped = self.roots[-1]
        for name in self.candidates(folder, level, part, event):
            if (shipped.path / name).is_file():
                return f"{SHIPPED_PREFIX}/{name}"
        raise TemplateNotFound(
            f"No shipped template for part {part!r} of level {level!r} in folder {folder!r}",
            tried=[str(shipped.path / name) for name in self.candidates(folder, level, part, event)],
        )

    def origin_of(self, filename: str | None) -> str | None:
        if not filename:
            return None
        path = Path(filename).resolve()
        for root in self.roots:
            if path.is_relative_to(root.path.resolve()):
                return root.origin
        return None

    def files_in(self, folder: str) -> Iterator[tuple[str, SearchRoot]]:
        """Every template file of ``folder`` in every root (for the checks)."""
        for root in self.roots:
            base = root.path / folder
            if base.is_dir():
                for path in sorted(base.rglob("*")):
                    if path.is_file() and not path.name.startswith("."):
                        yield path.relative_to(root.path).as_posix(), root

    # -- compiling and rendering ----------------------------------------------------

    def compile(self, name: str, root: SearchRoot | None = None) -> jinja2.Template:
        """Load ``name`` (compiled once, then cached by Jinja)."""
        import jinja2  # on first use: most processes never render

        try:
            if root is not None and root is not self._root_serving(name):
                # A file shadowed by an earlier folder: compile it from its own root.
                source = (root.path / name).read_text(encoding="utf-8")
                return self.env.from_string(source)
            return self.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise NotificationTemplateError(
                f"template syntax error: {exc.message}",
                template=name,
                filename=exc.filename or (str(root.path / name) if root else None),
                lineno=exc.lineno,
                origin=self.origin_of(exc.filename) or (root.origin if root else None),
            ) from exc
        except jinja2.TemplateNotFound as exc:
            raise TemplateNotFound(
                f"Template {exc.name!r} not found", template=name, tried=self._tried_for(str(exc.name))
            ) from exc

    def _root_serving(self, name: str) -> SearchRoot | None:
        for root in self.roots:
            if (root.path / name).is_file():
                return root
        return None

    def _tried_for(self, name: str | None) -> list[str]:
        if not name:
            return []
        if name.startswith(SHIPPED_PREFIX + "/"):
            return [str(self.roots[-1].path / name.removeprefix(SHIPPED_PREFIX + "/"))]
        return [str(root.path / name) for root in self.roots]

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        import jinja2  # on first use: most processes never render

        loaded = self._loaded
        template = loaded.get(name) if loaded is not None else None
        if template is None:
            template = self.compile(name)
            if loaded is not None:
                with self._lock:
                    loaded[name] = template
        try:
            return template.render(context)
        except NotificationTemplateError:
            raise
        except jinja2.TemplateSyntaxError as exc:
            # A template pulled in by extends/include at render time.
            raise NotificationTemplateError(
                f"template syntax error: {exc.message}",
                template=name,
                filename=exc.filename,
                lineno=exc.lineno,
                origin=self.origin_of(exc.filename),
            ) from exc
        except jinja2.TemplateNotFound as exc:
            # Where the extends, include or import that names it is.
            filename, lineno = _template_frame(exc, template.filename)
            raise TemplateNotFound(
                f"Template {exc.name!r} (used by {name!r}) not found",
                template=name,
                filename=filename,
                lineno=lineno,
                origin=self.origin_of(filename),
                tried=self._tried_for(str(exc.name)),
            ) from exc
        except Exception as exc:
            filename, lineno = _template_frame(exc, template.filename)
            raise NotificationTemplateError(
                f"{type(exc).__name__}: {exc}",
                template=name,
                filename=filename,
                lineno=lineno,
                origin=self.origin_of(filename),
            ) from exc


def _template_frame(exc: BaseException, fallback: str | None) -> tuple[str | None, int | None]:
    """The innermost template file and line of a render error.

    Jinja rewrites tracebacks so that template frames carry the template's
    file name and line; the last such frame is where it went wrong.
    """
    filename, lineno = fallback, None
    tb = exc.__traceback__
    while tb is not None:
        code_file = tb.tb_frame.f_code.co_filename
        if code_file and not code_file.endswith(".py") and Path(code_file).is_file():
            filename, lineno = code_file, tb.tb_lineno
        tb = tb.tb_next
    return filename, lineno


_renderer = Lazy(lambda: Renderer(search_roots())).reset_when_changed(
    "UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS",
    "UWSGI_TASKMANAGER_TEMPLATE_CACHE",
    "INSTALLED_APPS",
    "DEBUG",
)


def get_renderer() -> Renderer:
    """The process's renderer, built on first use."""
    return _renderer.get()


def reset_renderer() -> None:
    _renderer.reset()
