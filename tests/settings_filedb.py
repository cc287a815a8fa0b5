"""Test settings with a database file, for tests that run ``manage.py`` in a subprocess.

The file and the media folder come from the environment:
``TASKMANAGER_TEST_DB`` and ``TASKMANAGER_TEST_MEDIA_ROOT``; ``TASKMANAGER_TEST_DB_TIMEOUT``
(seconds) shortens how long SQLite waits for a lock another process holds (5 s by default).
"""

import os
from typing import Any

from tests.settings import *  # noqa: F403

DATABASES: dict[str, dict[str, Any]] = {  # type: ignore[no-redef]
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["TASKMANAGER_TEST_DB"],
        "OPTIONS": {"timeout": float(os.environ.get("TASKMANAGER_TEST_DB_TIMEOUT") or 5)},
    }
}
MEDIA_ROOT = os.environ["TASKMANAGER_TEST_MEDIA_ROOT"]

# Notification handlers as JSON, for subprocess tests that deliver to the loopback fakes.
if os.environ.get("TASKMANAGER_TEST_HANDLERS"):
    import json

    UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = json.loads(os.environ["TASKMANAGER_TEST_HANDLERS"])
