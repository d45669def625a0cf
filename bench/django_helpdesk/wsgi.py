"""WSGI entry point for gunicorn: bench.django_helpdesk.wsgi:application."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.django_helpdesk.settings")
application = get_wsgi_application()
