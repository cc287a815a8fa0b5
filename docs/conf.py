"""Sphinx configuration (built with -W by scripts/test.sh)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

project = "django-uwsgi-taskmanager"
author = "django-uwsgi-taskmanager developers"
copyright = "2019-2026, " + author
release = "3.0.0.dev0"

extensions = ["sphinx.ext.intersphinx", "myst_parser"]
intersphinx_mapping: dict = {}
html_theme = "furo"
html_title = "django-uwsgi-taskmanager 3"
exclude_patterns = ["_build"]
html_static_path = ["_static"]
