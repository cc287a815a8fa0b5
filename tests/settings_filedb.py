"""Test settings with a database file, for tests that run ``manage.py`` in a subprocess.

The file and the media folder come from the environment:
``TASKMANAGER_TEST_DB`` and ``TASKMANAGER_TEST_MEDIA_ROOT``.
"""

import os

from tests.settings import *  # noqa: F403

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["TASKMANAGER_TEST_DB"],
    }
}
MEDIA_ROOT = os.environ["TASKMANAGER_TEST_MEDIA_ROOT"]

# Notification handlers as JSON, for subprocess tests that deliver to the loopback fakes.
if os.environ.get("TASKMANAGER_TEST_HANDLERS"):
    import json

    UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = json.loads(os.environ["TASKMANAGER_TEST_HANDLERS"])
