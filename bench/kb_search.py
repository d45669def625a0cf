"""Knowledge-base search at 10,000 articles on PostgreSQL: server-side time, p50 / p99.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 as user postgres, like the tests):

    .venv/bin/python bench/kb_search.py [--articles 10000] [--requests 200] [--keep] [--reuse]

1. A PostgreSQL database of its own (desk_bench_kb; DESK_BENCH_KB_DATABASE_URL picks another),
   its schema built by the migrations, dropped at the end unless --keep.
2. Seed: the demo catalogue and its 17 articles through `load_reference` (so the real saving
   code fills the search columns), then filler articles up to --articles in ONE
   `INSERT ... SELECT generate_series`: in each language, a title of 4-9 words and a text of
   80-200 words drawn from the demo articles' own vocabulary in that language, so common
   words ("compte", "account") match thousands of rows as they would in a real base, plus one
   made-up word per article so the typo lexicon has a real base's size (~10,000 words, not
   the demo's ~1,500); then the lexicon is rebuilt (the INSERT bypassed the saving code) and
   VACUUM ANALYZE.
3. Measure the real view `/aide/suggestions?q=…` (what the catalogue and forms call as people
   type: search, ranking, headline, JSON) through the Flask test client, in process, after
   `gc.freeze()` as wsgi.py does, each query --requests times (the queries taking turns)
   after a warm-up, a typo among them (corrected against the lexicon), on a French page and,
   for the English queries, an English one. Access-log lines are off (they would be measured
   with the search); rate limits are raised but still checked. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1/desk_bench_kb"
TARGET_P99_MS = 30
# (query, the page's language)
QUERIES = [
    ("zoom 40 minutes", "fr"),
    ("wifi invites colloque", "fr"),
    ("teams desole probleme", "fr"),
    ("mot de passe oublie", "fr"),
    ("compte", "fr"),  # a common word: thousands of matches to rank
    ("reseau prise murale", "fr"),
    ("zomm", "fr"),  # a typo: no full-text match, corrected against the lexicon
    # No article holds all the words: any of them, ranked by how many each article holds.
    ("plus de wifi dans le bureau reseau coupe", "fr"),
    ("activate my account", "en"),  # "Activating your IT account", English stemming
    ("mailing lists", "en"),
    ("account", "en"),  # a common English word
    ("pasword", "en"),  # an English typo
    ("no network in my office since this morning", "en"),  # any of the words
]


def admin_engine(url: str):
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def create_database(url: str) -> None:
    name = make_url(url).database
    with admin_engine(url).connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))


def drop_database(url: str) -> None:
    with admin_engine(url).connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


def build_app(url: str):
    os.environ.update(
        {
            "DESK_DATABASE_URL": url,
            "DESK_ENV": "development",
            "DESK_REDIS_URL": os.environ.get("DESK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
            # One client address sends every request: the per-address limits (still checked,
            # a Redis round trip like in production) must not turn them into 429s.
            "DESK_RATELIMIT_SEARCH": "1000000 per minute",
            "DESK_RATELIMIT_SUGGEST": "1000000 per minute",
        }
    )
    from config import load_config
    from desk import create_app

    app = create_app(load_config())
    app.logger.disabled = True
    # One JSON access-log line per request on stdout would be measured with the search.
    logging.getLogger("desk.access").disabled = True
    return app


def vocabulary(lang: str) -> list[str]:
    """The words of the demo articles in `lang` (3+ letters), to build realistic filler."""
    import yaml

    data = yaml.safe_load((ROOT / "desk/kb/data/articles.yaml").read_text(encoding="utf-8"))
    words: set[str] = set()
    for item in data["kb_articles"]:
        words.update(re.findall(r"[^\W\d_]{3,}", (item.get(lang) or {}).get("body", "").lower()))
    return sorted(words)


def seed(app, n_articles: int) -> None:
    import yaml
    from flask_migrate import upgrade

    from desk.extensions import db
    from desk.kb.search import rebuild_lexicon
    from desk.reference.loader import load_reference

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        demo = yaml.safe_load((ROOT / "desk/reference/data/demo.yaml").read_text("utf-8"))
        catalogue = Path(os.environ.get("TMPDIR", "/tmp")) / "desk_bench_kb_catalogue.yaml"
        catalogue.write_text(
            yaml.safe_dump({k: demo[k] for k in ("domains", "queues", "request_types")}),
            encoding="utf-8",
        )
        load_reference(catalogue)
        load_reference(ROOT / "desk/kb/data/articles.yaml")
        started = time.perf_counter()
        # random() inside the LATERAL subqueries refers to g, so it is drawn per row.
        db.session.execute(
            text("""
                INSERT INTO kb_article (slug, title_fr, title_en, body_fr, body_en, plain_fr,
                  plain_en, keywords, category_id, status, audience, created_at,
                  updated_at, version)
                SELECT 'bench-' || g, t.title, te.title, b.body || ' ' || x.word, be.body,
                  b.body || ' ' || x.word, be.body, '', 1 + g % 7, 'published',
                  (ARRAY['everyone', 'everyone', 'signed_in', 'staff'])[1 + g % 4],
                  now(), now(), 1
                FROM (SELECT CAST(:words AS text[]) AS w, CAST(:english AS text[]) AS e) v,
                generate_series(1, :n) g,
                LATERAL (SELECT string_agg(w[1 + floor(random() * cardinality(w))::int + 0 * i],
                                            ' ')
                         AS title FROM generate_series(1, 4 + (g % 6)) i) t,
                LATERAL (SELECT string_agg(w[1 + floor(random() * cardinality(w))::int + 0 * i],
                                            ' ')
                         AS body FROM generate_series(1, 80 + (g % 121)) i) b,
                LATERAL (SELECT string_agg(e[1 + floor(random() * cardinality(e))::int + 0 * i],
                                            ' ')
                         AS title FROM generate_series(1, 4 + (g % 6)) i) te,
                LATERAL (SELECT string_agg(e[1 + floor(random() * cardinality(e))::int + 0 * i],
                                            ' ')
                         AS body FROM generate_series(1, 80 + (g % 121)) i) be,
                LATERAL (SELECT translate(left(md5(g::text), 9), '0123456789', 'ghijklmnop')
                         AS word) x
            """),
            {"n": max(0, n_articles - 17), "words": vocabulary("fr"), "english": vocabulary("en")},
        )
        # The raw INSERT bypassed the saving code that adds each article's words.
        rebuild_lexicon()
        db.session.commit()
        words = db.session.scalar(text("SELECT count(*) FROM kb_word"))
        print(
            f"seeded {n_articles:,} articles ({words:,} words in the typo lexicon) "
            f"in {time.perf_counter() - started:.1f} s"
        )
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE kb_article"))
        conn.execute(text("VACUUM ANALYZE kb_word"))
    engine.dispose()


def p50(times: list[float]) -> float:
    return statistics.median(times)


def p99(times: list[float]) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[98]


def measure(client, queries: list[tuple[str, str] | None], n: int) -> dict:
    """{(query, language): (times in ms, articles of the last answer)} of
    /aide/suggestions?q=query on a page in that language; None times /healthz (one DB and
    one Redis ping), the yardstick of how busy the machine is. The queries take turns,
    request by request: on a shared machine the load drifts, and it then weighs on every
    query alike instead of on whichever ran during a burst."""

    def get(query):
        if query is None:
            return client.get("/healthz")
        words, language = query
        return client.get(
            "/aide/suggestions", query_string={"q": words}, headers={"Accept-Language": language}
        )

    for _ in range(20):  # warm-up: caches, prepared statements
        for query in queries:
            get(query)
    results: dict = {query: ([], []) for query in queries}
    for _ in range(n):
        for query in queries:
            started = time.perf_counter()
            response = get(query)
            results[query][0].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (query, response.status_code)
            if query is not None:
                results[query] = (results[query][0], response.json["articles"])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a kept database again")
    args = parser.parse_args()
    url = os.environ.get("DESK_BENCH_KB_DATABASE_URL", DEFAULT_URL)
    if not args.reuse:
        create_database(url)
    app = build_app(url)
    try:
        if not args.reuse:
            seed(app, args.articles)
        client = app.test_client()  # anonymous: the public audience, like most callers
        gc.freeze()
        results = measure(client, [None, *QUERIES], args.requests)
        baseline, _found = results.pop(None)
        print(
            f"\n{args.articles:,} articles, {args.requests} requests per query, "
            "server-side time of /aide/suggestions (Flask test client, in process)\n"
        )
        print("| query | page | results | first | p50 (ms) | p99 (ms) | target p99 |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        print(
            f"| (baseline: /healthz) | — | — | — | {p50(baseline):.1f} | {p99(baseline):.1f} | — |"
        )
        worst = 0.0
        for (query, language), (times, found) in results.items():
            worst = max(worst, p99(times))
            first = found[0]["title"][:40] if found else "—"
            print(
                f"| {query} | {language} | {len(found)} | {first} | {p50(times):.1f} "
                f"| {p99(times):.1f} | < {TARGET_P99_MS} ms |",
                flush=True,
            )
        print(f"\nworst p99: {worst:.1f} ms ({'OK' if worst < TARGET_P99_MS else 'OVER'})")
        print(f"load average during the run: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    finally:
        from desk.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if not args.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
