"""The built wheel: what it ships, and that it works installed in a fresh virtualenv.

The second test is the packaging check: the wheel is installed into a new venv
(not this checkout) and a throwaway project with four sample commands is
migrated, its commands collected and one task per result run with ``runtask``.
The third installs it beside Django 6.1 in a fresh Python 3.12 venv: pip keeps
that Django.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from scripts.pythons import find_python

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 600):
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def must(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, (
        f"{result.args} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    args = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out)]
    # Without network access to fetch hatchling, build with the one installed here.
    if importlib.util.find_spec("hatchling") is not None:
        args.append("--no-isolation")
    must(run([*args, str(ROOT)], cwd=ROOT))
    wheels = list(out.glob("django_uwsgi_taskmanager-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_the_wheel_ships_the_notification_templates_and_the_migrations(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()

    assert "taskmanager/notification_templates/README.txt" in names
    assert "taskmanager/migrations/0001_initial.py" in names
    assert "taskmanager/templates/taskmanager/log_viewer.html" in names
    assert "taskmanager/static/taskmanager/taskmanager.css" in names
    # Each channel's templates, carried inside the package; and every other shipped template.
    for template in (
        "slack/default.json",
        "mail/default.html",
        "mail/default.txt",
        "mail/default.subject.txt",
        "webhook/default.json",
        "log/default.txt",
    ):
        assert f"taskmanager/notification_templates/{template}" in names, template
    templates = ROOT / "notification_templates"
    shipped = {
        f"taskmanager/notification_templates/{path.relative_to(templates).as_posix()}"
        for path in templates.rglob("*")
        if path.is_file()
    }
    assert sorted(shipped - set(names)) == []
    # Nothing of the checkout beyond the package.
    assert not [
        name for name in names if name.startswith(("tests/", "demo/", "docs/", "notification_templates/"))
    ]


def test_the_wheel_carries_every_layer_of_the_package(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())

    for module in (
        "taskmanager/models.py",
        "taskmanager/results.py",
        "taskmanager/runs/__init__.py",
        "taskmanager/runs/runner.py",
        "taskmanager/notifications/__init__.py",
        "taskmanager/notifications/emission.py",
        "taskmanager/notifications/channels/slack/__init__.py",
        "taskmanager/notifications/channels/mail/__init__.py",
        "taskmanager/notifications/channels/webhook/__init__.py",
        "taskmanager/notifications/channels/log/__init__.py",
        "taskmanager/execution/backend.py",
        "taskmanager/execution/uwsgi/__init__.py",
        "taskmanager/spooler.py",
        "taskmanager/management/commands/runtask.py",
    ):
        assert module in names, module
    # And every other module of the checkout's package.
    package = ROOT / "taskmanager"
    modules = {path.relative_to(ROOT).as_posix() for path in package.rglob("*.py")}
    assert sorted(modules - names) == []


SETTINGS = """
    from pathlib import Path

    BASE_DIR = Path(__file__).resolve().parent.parent
    SECRET_KEY = "wheel-check-not-secret"
    DEBUG = False
    ALLOWED_HOSTS = ["*"]
    USE_TZ = True
    INSTALLED_APPS = [
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.staticfiles",
        "taskmanager",
        "wheelcheck.sample",
    ]
    MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ]
    ROOT_URLCONF = "wheelcheck.urls"
    TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "APP_DIRS": True,
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "django.contrib.messages.context_processors.messages",
                ]
            },
        }
    ]
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
    STATIC_URL = "/static/"
    MEDIA_ROOT = BASE_DIR / "media"
    UWSGI_TASKMANAGER_BASE_URL = "http://127.0.0.1:8000"
"""

URLS = """
    from django.contrib import admin
    from django.urls import include, path

    urlpatterns = [
        path("admin/", admin.site.urls),
        path("taskmanager/", include("taskmanager.urls")),
    ]
"""

MANAGE = """
    import os
    import sys

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wheelcheck.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

# One command per report result; warnings and errors go through logging.
COMMANDS = {
    "all_good": """
        for i in range(1, 4):
            self.stdout.write(f"step {i} done")
    """,
    "some_warnings": """
        self.stdout.write("checking prices")
        logger.warning("price missing for A-1")
        logger.warning("price missing for B-2")
    """,
    "some_errors": """
        logger.error("document 17 not indexed")
        logger.error("document 42 not indexed")
        logger.error("document 73 not indexed")
        logger.warning("the index is incomplete")
    """,
    "blows_up": """
        self.stdout.write("sending invoices")
        raise RuntimeError("the mail relay went away")
    """,
}

COMMAND = """
import logging

from django.core.management.base import BaseCommand

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    def handle(self, *args, **options):
{body}
"""

# (task name, command, expected result, errors, warnings); counts of failed runs vary with the traceback.
EXPECTED = [
    ("nightly import", "all_good", "ok", 0, 0),
    ("catalogue sync", "some_warnings", "warnings", 0, 2),
    ("search reindex", "some_errors", "errors", 3, 1),
    ("invoice run", "blows_up", "failed", None, None),
]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def make_project(root: Path) -> None:
    write(root / "manage.py", MANAGE)
    write(root / "wheelcheck" / "__init__.py", "")
    write(root / "wheelcheck" / "settings.py", SETTINGS)
    write(root / "wheelcheck" / "urls.py", URLS)
    for package in ("sample", "sample/management", "sample/management/commands"):
        write(root / "wheelcheck" / package / "__init__.py", "")
    for name, body in COMMANDS.items():
        code = COMMAND.format(body=textwrap.indent(textwrap.dedent(body).strip(), " " * 8))
        write(root / "wheelcheck" / "sample" / "management" / "commands" / f"{name}.py", code)


def test_the_wheel_installed_in_a_fresh_venv_runs_tasks_and_classifies_them(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    must(run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path))
    python = str(venv / "bin" / "python")
    must(run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)], cwd=tmp_path))

    project = tmp_path / "project"
    make_project(project)
    # Nothing of this checkout or of the test run may leak into the project.
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "wheelcheck.settings",
    }

    def manage(*args: str):
        return run([python, "manage.py", *args], cwd=project, env=env)

    # Django 5.2's shell first says what it imported: the answer is the last line.
    where = must(manage("shell", "-c", "import taskmanager; print(taskmanager.__file__)")).splitlines()[-1]
    assert where.startswith(str(venv)), where
    must(manage("migrate", "--noinput"))
    must(manage("collectcommands", "--excludecore"))
    create = "; ".join(
        [
            "from taskmanager.models import AppCommand, Task",
            *(
                f"Task.objects.create(name={name!r}, command=AppCommand.objects.get(name={command!r}))"
                for name, command, *_ in EXPECTED
            ),
        ]
    )
    must(manage("shell", "-c", create))

    for name, _command, result, *_counts in EXPECTED:
        ran = manage("runtask", name)
        lines = ran.stdout.strip().splitlines()
        assert lines, f"runtask {name!r} printed nothing:\n{ran.stderr}"
        # The result word, not the "(n errors, n warnings)" counts beside it.
        summary = re.sub(r"\(.*?\)", "", lines[-1]).lower()
        assert re.search(rf"\b{result}\b", summary), (name, ran.stdout, ran.stderr)
        assert ran.returncode == (1 if result == "failed" else 0), (name, ran.returncode, ran.stderr)

    dump = (
        "import json; from taskmanager.models import Report; "
        "print(json.dumps({r.task.name: [r.invocation_result, r.n_log_errors, r.n_log_warnings, "
        "bool(r.logfile), r.end_datetime is not None] for r in Report.objects.all()}))"
    )
    reports = json.loads(must(manage("shell", "-c", dump)).strip().splitlines()[-1])
    for name, _command, result, errors, warnings in EXPECTED:
        got_result, got_errors, got_warnings, has_logfile, has_ended = reports[name]
        assert got_result == result, (name, reports[name])
        if errors is not None:
            assert (got_errors, got_warnings) == (errors, warnings), (name, reports[name])
        assert has_logfile, (name, reports[name])
        assert has_ended, (name, reports[name])


def test_the_wheel_installs_beside_django_61_without_touching_it(wheel: Path, tmp_path: Path) -> None:
    # A project started today: pip install django gives 6.1, which needs Python 3.12 or later.
    python = find_python("3.12") or (sys.executable if sys.version_info >= (3, 12) else None)
    if python is None:
        pytest.skip("no Python 3.12 or later here, which Django 6.1 needs")
    venv = tmp_path / "venv"
    must(run([python, "-m", "venv", str(venv)], cwd=tmp_path))
    venv_python = str(venv / "bin" / "python")
    pip = [venv_python, "-m", "pip", "--disable-pip-version-check"]
    must(run([*pip, "install", "-q", "Django==6.1.*"], cwd=tmp_path))
    django_version = [venv_python, "-c", "import django; print(django.get_version())"]
    before = must(run(django_version, cwd=tmp_path)).strip()

    installed = must(run([*pip, "install", str(wheel)], cwd=tmp_path))

    assert "uninstalling django" not in installed.lower(), installed
    assert "requirement already satisfied: django<6.2,>=5.2" in installed.lower(), installed
    assert must(run(django_version, cwd=tmp_path)).strip() == before
    assert before.startswith("6.1."), before
