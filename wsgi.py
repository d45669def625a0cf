"""WSGI entry point: `gunicorn wsgi:app`."""

import gc

from desk import create_app

app = create_app()
# Everything allocated at startup (app, templates, SQLAlchemy mappers) lives for the whole
# process: moving it out of the collector's reach keeps full collections under a
# millisecond instead of ~70 ms, which otherwise lands on about 1 % of requests (the p99;
# see bench/queues.py, which measures both ways).
gc.freeze()
