#!/usr/bin/env python
"""The demo project's manage.py: ``demo/manage.py runserver``, ``demo/manage.py runtask ...``."""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    # The demo runs this checkout's taskmanager (and imports itself as ``demo``)
    # whether or not the package is installed.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.demo_project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
