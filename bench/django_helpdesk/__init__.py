"""django-helpdesk 2.6.1's public ticket submission form, as a yardstick for bench/submit.py.

A minimal Django project of ours (settings, urls, wsgi) around the `helpdesk` app: only the
public pages are routed, and the benchmark POSTs `/tickets/submit/` (`helpdesk:submit`, the
public CreateTicketView: queue, title, body, priority, submitter e-mail; Django's CSRF cookie +
form field; no captcha in 2.6.1, its spam check only runs when `akismet` is installed, which it
is not). No code of django-helpdesk is committed: bench/submit.py --django-helpdesk builds a
virtualenv of its own from requirements.txt (pinned; desk's .venv is never touched), then

    DH_DATABASE=<db> DH_SMTP_PORT=<port> python -m django migrate          # + e-mail templates
    DH_DATABASE=<db> python -m bench.django_helpdesk.prepare <host:port>   # the public queue
    DESK_BIND=127.0.0.1:<port> WEB_CONCURRENCY=2 \
        gunicorn -c gunicorn.conf.py bench.django_helpdesk.wsgi:application

all from the repository root with DJANGO_SETTINGS_MODULE=bench.django_helpdesk.settings: the
same gunicorn settings as desk and the bare insert (2 sync workers). This package must import
nothing: it runs under that other virtualenv.
"""
