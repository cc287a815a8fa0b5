"""The WSGI application of the uWSGI instances the uwsgi tests start."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.execution.uwsgi.uwsgi_settings")
application = get_wsgi_application()
