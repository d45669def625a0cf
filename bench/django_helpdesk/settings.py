"""Settings of the django-helpdesk yardstick: production-like (DEBUG off, persistent database
connections), PostgreSQL on 127.0.0.1 as user postgres, e-mail over SMTP to bench/submit.py's sink.

Environment: DH_DATABASE (database name), DH_SMTP_PORT, DH_SECRET_KEY.
"""

from __future__ import annotations

import os

DEBUG = False
SECRET_KEY = os.environ.get("DH_SECRET_KEY", "bench-django-helpdesk-" + "k" * 40)
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.django_helpdesk.urls"
WSGI_APPLICATION = "bench.django_helpdesk.wsgi.application"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # helpdesk builds the links of its e-mails from the current Site
    "django.contrib.sites",
    "rest_framework",
    "helpdesk",
]
SITE_ID = 1
# Django's startproject middleware, unchanged.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TEMPLATES = [
    {
        # with DEBUG off Django caches the compiled templates
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("DH_DATABASE", "django_helpdesk"),
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": "5432",
        # One kept connection per worker, as desk's and the bare insert's pools do: Django's
        # default (a new connection per request) would measure PostgreSQL's fork, not helpdesk.
        "CONN_MAX_AGE": None,
        "CONN_HEALTH_CHECKS": True,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TIME_ZONE = "Europe/Paris"
LANGUAGE_CODE = "en"
STATIC_URL = "/static/"
MEDIA_ROOT = os.environ.get("DH_MEDIA_ROOT", "/tmp/desk-bench-django-helpdesk-media")
LOGIN_URL = "helpdesk:login"

# E-mail: real SMTP to the sink bench/submit.py runs, not the console or dummy backend.
# django-helpdesk sends the submitter's acknowledgement inside the request (that is its
# design: no outbox); desk's goes through its outbox and Celery worker to the same kind of
# sink. Each side thus delivers one real e-mail per ticket, and where the CPU went is shown.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("DH_SMTP_PORT", "25"))
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = "helpdesk@umontpellier.fr"

# django-helpdesk: no pinax-teams (an optional extra); everything else at its defaults.
HELPDESK_TEAMS_MODE_ENABLED = False
