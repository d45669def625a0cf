"""The yardstick of bench/submit.py: bare Flask + SQLAlchemy Core, one row inserted per POST.

    BARE_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/db WEB_CONCURRENCY=2 \
        DESK_BIND=127.0.0.1:8001 gunicorn -c gunicorn.conf.py bench.bare_insert:app

Same gunicorn settings as desk (gunicorn.conf.py): what a submission costs above this is
desk's own work (validation, sessions, CSRF, routing, numbering, history, SLA, outbox).
"""

from __future__ import annotations

import os

from flask import Flask, request
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, create_engine, func

metadata = MetaData()
row = Table(
    "bench_row",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
)

engine = create_engine(
    os.environ["BARE_DATABASE_URL"], pool_size=2, connect_args={"application_name": "bare insert"}
)
app = Flask(__name__)


@app.post("/")
def insert():
    """One INSERT … RETURNING in its own transaction; answers the new id."""
    with engine.begin() as conn:
        new_id = conn.execute(
            row.insert().values(body=request.form.get("body", "")).returning(row.c.id)
        ).scalar_one()
    return {"id": new_id}, 201
