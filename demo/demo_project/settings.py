"""Settings of the demo project. A local demo: the secret key is public, DEBUG is on."""

import os
from pathlib import Path

import django

DEMO_DIR = Path(__file__).resolve().parent.parent
# The database and the reports' log files. TASKMANAGER_DEMO_DATA puts them elsewhere: the test
# of the demo does, so that it never writes into the demo's own database.
DATA_DIR = Path(os.environ.get("TASKMANAGER_DEMO_DATA") or DEMO_DIR)

SECRET_KEY = "demo-only-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "taskmanager",
    "demo.demoapp",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "demo.demo_project.urls"
WSGI_APPLICATION = "demo.demo_project.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DATA_DIR / "db.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "Europe/Rome"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DEMO_DIR / "out" / "static"
# Reports' log files go to media/taskmanager/logs/.
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"

# Mail is written to files in demo/out/mail/, never sent: through the default mailer of
# MAILERS on Django 6.1 and later, through the EMAIL_* settings before.
MAIL_DIR = DEMO_DIR / "out" / "mail"
if django.VERSION >= (6, 1):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": MAIL_DIR},
        }
    }
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = MAIL_DIR
DEFAULT_FROM_EMAIL = "taskmanager-demo@example.com"

# --- taskmanager -------------------------------------------------------------
# Where launched tasks run: TASKMANAGER_DEMO_BACKEND=tasks (scripts/demo.sh --backend tasks) puts
# them on Django's Tasks framework, with django-tasks-db's queue in this SQLite database and
# "demo/manage.py db_worker --queue-name taskmanager" running them; by default, 3.0's "uwsgi"
# (runserver has no spooler: a launch runs the task in the web process).
UWSGI_TASKMANAGER_BACKEND = os.environ.get("TASKMANAGER_DEMO_BACKEND") or "uwsgi"
if UWSGI_TASKMANAGER_BACKEND == "tasks":
    INSTALLED_APPS.append("django_tasks_db")
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["taskmanager", "default"]}}
# Links in notifications point at the demo's runserver.
UWSGI_TASKMANAGER_BASE_URL = "http://127.0.0.1:8000"
UWSGI_TASKMANAGER_N_REPORTS_INLINE = 5
UWSGI_TASKMANAGER_SHOW_LOGVIEWER_LINK = True

# Notification handlers: one entry per handler (a transport + per-level
# templates; see the docs' notifications pages). The demo's two need no network
# and no secrets: mail through the file backend above (demo/out/mail/) and the
# log handler (demo/out/notifications.log). Slack joins when SLACK_TOKEN and
# SLACK_CHANNEL (or SLACK_WEBHOOK_URL) are set in the environment.
UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS: dict[str, dict[str, object]] = {
    "mail": {
        "class": "taskmanager.notifications.MailNotificationHandler",
        "level": "warnings",
        "recipients": "ops@example.com, data-team@example.com",
    },
    "log": {
        "class": "taskmanager.notifications.LogNotificationHandler",
        "level": "ok",
    },
}
if os.environ.get("SLACK_WEBHOOK_URL") or os.environ.get("SLACK_TOKEN"):
    UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS["slack"] = {
        "class": "taskmanager.notifications.SlackNotificationHandler",
        "level": "warnings",
        "token": os.environ.get("SLACK_TOKEN", ""),
        "channel": os.environ.get("SLACK_CHANNEL", ""),
        "webhook_url": os.environ.get("SLACK_WEBHOOK_URL", ""),
    }

(DEMO_DIR / "out").mkdir(exist_ok=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "notifications_file": {
            "class": "logging.FileHandler",
            "filename": DEMO_DIR / "out" / "notifications.log",
            "formatter": "plain",
        },
    },
    "loggers": {
        # The log handler writes here; so do delivery problems, if any.
        "taskmanager.notifications": {
            "handlers": ["notifications_file"],
            "level": "INFO",
            "propagate": False,
        },
    },
}
