"""Settings of the uWSGI instances that tests/execution/uwsgi/uwsgi_support.py starts.

The database file and the media folder come from the environment as for
tests/settings_filedb.py; the notification handlers from ``TASKMANAGER_TEST_HANDLERS`` (JSON).
"""

import json
import os
from typing import Any

from tests.settings_filedb import *  # noqa: F403

# Web workers, the spooler and the test process share the file (this replaces the imported one).
DATABASES: dict[str, dict[str, Any]] = {  # type: ignore[no-redef]
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["TASKMANAGER_TEST_DB"],
        "OPTIONS": {"timeout": 30},
    }
}
UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = json.loads(os.environ.get("TASKMANAGER_TEST_HANDLERS", "{}"))
UWSGI_TASKMANAGER_BASE_URL = "http://127.0.0.1"
# taskmanager's own messages go to uWSGI's log, which a failing test prints.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"taskmanager": {"handlers": ["stderr"], "level": "INFO", "propagate": False}},
}
