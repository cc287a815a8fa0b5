"""Settings for the benchmarks: the test settings on a database file in ``TASKMANAGER_BENCH_DIR``."""

import os

from tests.settings import *  # noqa: F403

BENCH_DIR = os.environ["TASKMANAGER_BENCH_DIR"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(BENCH_DIR, "db.sqlite3"),
    }
}
MEDIA_ROOT = os.path.join(BENCH_DIR, "media")
