"""The test matrix: lint, types and docs once, then the tests on every supported Django.

    .venv/bin/nox            # every session: what scripts/test.sh (and so CI) runs
    .venv/bin/nox -l         # the sessions, one per line
    .venv/bin/nox -s lint types
    .venv/bin/nox -s "tests(django5.2-py3.10)" -- -k mail    # one leg; pytest's arguments after --

Every leg runs the fast suite; the newest also runs the slow, browser, uWSGI, PostgreSQL and
Redis tests, the last two on a throwaway PostgreSQL cluster and Redis server that
``scripts/postgres.sh`` and ``scripts/redis.sh`` start around pytest (and stop after it),
handing their URLs over in ``TASKMANAGER_TEST_POSTGRES`` and ``TASKMANAGER_TEST_REDIS``.
Environments are made by uv (``.nox/``), from uv's cache shared by every leg, so only the
first run downloads and builds (uWSGI is compiled once per Python). Interpreters are found
by version, on PATH or installed by pyenv (scripts/pythons.py); a leg whose Python is
missing fails, saying so.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "scripts"))

from pythons import find_python  # noqa: E402  (scripts/ is no package)

#: The legs, oldest first: (Python, Django). Django 6.x needs Python 3.12 or later.
MATRIX = [("3.10", "5.2"), ("3.11", "5.2"), ("3.12", "6.0"), ("3.13", "6.1")]
NEWEST_PYTHON = MATRIX[-1][0]
#: The fast suite: what every leg runs. The newest leg runs everything.
FAST = "not slow and not browser and not uwsgi and not postgres and not redis"

PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")

nox.options.default_venv_backend = "uv"
nox.options.download_python = "never"
nox.options.error_on_missing_interpreters = True

# nox and uv look for pythonX.Y on PATH, where pyenv's shims run only the selected versions:
# put the real interpreters first, and say which leg cannot run.
_found = {python: find_python(python) for python, _django in MATRIX}
for (python, django), path in zip(MATRIX, _found.values(), strict=True):
    if path is None:
        print(
            f"nox: no Python {python} on this machine (PATH, pyenv): "
            f"the leg Django {django} on Python {python} cannot run",
            file=sys.stderr,
        )
#: Lint, types and docs run once, on the newest leg whose Python this machine has.
ONCE_PYTHON, ONCE_DJANGO = next(
    ((python, django) for python, django in reversed(MATRIX) if _found[python]), MATRIX[-1]
)
os.environ["PATH"] = os.pathsep.join(
    [*dict.fromkeys(str(Path(path).parent) for path in _found.values() if path), os.environ["PATH"]]
)
# Never fetch an interpreter: the legs are the interpreters this machine has.
os.environ["UV_PYTHON_DOWNLOADS"] = "never"


def groups(*names: str) -> tuple[str, ...]:
    return nox.project.dependency_groups(PYPROJECT, *names)


def install(session: nox.Session, django: str, extras: str, *group_names: str) -> None:
    """The project (editable) with ``extras`` on Django ``django``.*, and the groups."""
    session.install("-e", f".[{extras}]", f"Django=={django}.*", *groups(*group_names))


@nox.session(python=ONCE_PYTHON)
def lint(session: nox.Session) -> None:
    session.install(*groups("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=ONCE_PYTHON)
def types(session: nox.Session) -> None:
    install(session, ONCE_DJANGO, "notifications", "test", "slow-tests", "types")
    session.run("mypy", "taskmanager", "tests", "demo", "benchmarks")


@nox.session(python=ONCE_PYTHON)
def docs(session: nox.Session) -> None:
    session.install(*groups("docs"))
    session.run("sphinx-build", "-q", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")


@nox.session
@nox.parametrize(
    ("python", "django"),
    [nox.param(python, django, id=f"django{django}-py{python}") for python, django in MATRIX],
)
def tests(session: nox.Session, django: str) -> None:
    newest = session.python == NEWEST_PYTHON
    if newest:
        install(session, django, "notifications,uwsgi", "test", "slow-tests")
    else:
        install(session, django, "notifications", "test")
    session.run(
        "python", "-c", "import django, sys; print('Django', django.get_version(), 'on', sys.version)"
    )
    if newest:
        # PostgreSQL and Redis up around pytest (nested: each script runs the next one's command);
        # without one (no root, no network) its tests skip, saying why.
        session.run(
            "bash", str(ROOT / "scripts" / "postgres.sh"), "bash", str(ROOT / "scripts" / "redis.sh"),
            "pytest", "-q", "-p", "no:cacheprovider", *session.posargs, external=True,
        )  # fmt: skip
    else:
        session.run("pytest", "-q", "-p", "no:cacheprovider", "-m", FAST, *session.posargs)
