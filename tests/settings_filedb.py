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
