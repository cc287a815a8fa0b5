"""WSGI entry point of the demo (for uWSGI: ``module = demo.demo_project.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.demo_project.settings")
application = get_wsgi_application()
