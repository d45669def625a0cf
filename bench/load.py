"""The first morning of term: a mixed load at rising rates, until the p99 passes 500 ms.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 as user postgres; HAProxy for
--instances 2):

    .venv/bin/python bench/load.py [--instances 1|2] [--step-seconds 20] [--rates 5,10,20,...]
        [--warmup-seconds 20] [--web-cpus 0.3] [--no-yardstick]

1. bench/stack.py starts desk as production runs it — gunicorn (2 sync workers per instance,
   two instances behind HAProxy with --instances 2), a Celery worker, beat, a private Redis,
   a fresh PostgreSQL database with the demo catalogue, an SMTP sink counting every mail —
   and bench/bare_insert.py (bare Flask + SQLAlchemy Core, one INSERT per POST, same gunicorn
   settings).
2. Yardstick, in the same run: 16 client threads in a closed loop for --step-seconds against
   the bare insert, then against desk's Zoom licence form POST: submissions/s of each, ratio.
3. Mixed load: --threads client threads, each signed in as a requester and a technician (of
   the queue the Zoom requests reach), start actions at random (Poisson) times for a total of
   R actions/s, R rising step by step: 80 % requester actions (catalogue; the Zoom form, GET
   then POST; "Mes demandes"; one of their tickets; a comment on it), 20 % technician actions
   (the queue with filters; a search; claim, reply or resolve a ticket, each after a GET of
   its page for the CSRF token and version). First a warm-up at the first rate, not judged
   (each web process compiles its templates and SQL on first use). Per step: requests/s
   completed, p50 / p99 per page, errors, the cores each kind of process used and, with
   --web-cpus, how often each web instance was at its cap; it stops after the first step
   whose p99 passes 500 ms.
4. Checks: once the outbox is drained, every submission answered with success exists once
   and its requester received exactly one acknowledgement. Prints the counts.

With --web-cpus C each gunicorn instance runs in a CPU cgroup of C cores (bench/stack.py
CpuLimit): one instance of C cores against two, the rest of the stack sharing what is left,
shows whether the throughput adds up when each web host brings cores of its own. Keep C
small enough that the web instances, not the rest, set the knee: on 2 cores, at 0.5 each the
one core left to PostgreSQL, the worker and the client threads saturated first (× 1.0–1.43 on
one machine), at 0.3 each two instances gave × 1.93–2.15 (README, "scale out"); the per-step
"cores used" line shows which it was. The cap is CFS bandwidth control over 100 ms periods:
an instance that used its quota waits for the next period, so its p99 jumps by tens of
milliseconds near the cap, and a knee found in 15 or 20 s steps moves by a step from one run
to the next; compare the web's CPU per request too.

The client is Python (requests) on the same 2 cores: its own CPU time is part of the load.
Latency is measured from the request's send, not its scheduled time.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import re
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests
from sqlalchemy import text

from bench.stack import CSRF_RE, CpuLimit, CpuMeter, Stack, interpreter, load_average, sign_in

P99_LIMIT_MS = 500
FORM = "/catalogue/licence-zoom"
PASSWORD = "bench-password"
VERSION_RE = re.compile(r'name="version" type="hidden" value="(\d+)"')
TOKEN_RE = re.compile(r'name="idempotency_token" type="hidden" value="([^"]+)"')
CONFIRMATION_RE = re.compile(r"/catalogue/confirmation/([A-Z]+-\d+-\d+)")


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def add_people(stack: Stack, requesters: int, technicians: int) -> None:
    """Bench requesters and technicians of the queue the Zoom form routes to (visio)."""
    from werkzeug.security import generate_password_hash

    password = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    with stack.engine.begin() as conn:
        for role, count, prefix in (
            ("requester", requesters, "req"),
            ("technician", technicians, "tech"),
        ):
            conn.execute(
                text(
                    'INSERT INTO "user" (email, display_name, password_hash, role, is_staff,'
                    " is_active, session_version, created_at) SELECT :p || g || '@bench.fr',"
                    " 'Bench ' || :p || g, :pw, :role, true, true, 0, now()"
                    " FROM generate_series(1, :n) g"
                ),
                {"p": prefix, "pw": password, "role": role, "n": count},
            )
        conn.execute(
            text(
                "INSERT INTO queue_membership (queue_id, user_id, is_lead) SELECT q.id, u.id,"
                " false FROM queue q, \"user\" u WHERE q.code = 'visio'"
                " AND u.email LIKE 'tech%@bench.fr'"
            )
        )


class Recorder:
    """Samples of one step: (page, milliseconds, outcome)."""

    def __init__(self) -> None:
        self.samples: list[tuple[str, float, str]] = []
        self.created: list[tuple[str, str]] = []  # (reference, requester e-mail)
        self.lock = threading.Lock()

    def add(self, page: str, ms: float, outcome: str) -> None:
        with self.lock:
            self.samples.append((page, ms, outcome))


class Client:
    """One client thread's two signed-in sessions and what it does."""

    def __init__(self, base: str, n: int, shared: list[str], recorder_ref: list[Recorder]):
        self.base = base
        self.requester_email = f"req{n}@bench.fr"
        self.requester = sign_in(base, self.requester_email, PASSWORD)
        self.tech = sign_in(base, f"tech{1 + n % 4}@bench.fr", PASSWORD)
        self.mine: list[str] = []
        self.shared = shared  # every reference created, for the technicians
        self.recorder_ref = recorder_ref
        self.random = random.Random(n)

    # -- plumbing -------------------------------------------------------------------------
    def _call(self, session, page: str, method: str, path: str, **kwargs) -> requests.Response:
        started = time.perf_counter()
        try:
            response = session.request(
                method, self.base + path, allow_redirects=False, timeout=30, **kwargs
            )
        except requests.RequestException:
            self.recorder_ref[0].add(page, (time.perf_counter() - started) * 1000, "error")
            raise
        ms = (time.perf_counter() - started) * 1000
        status = response.status_code
        location = response.headers.get("Location", "")
        if status >= 500 or status == 429 or "/login" in location:
            outcome = f"error {status}"
        elif status == 409:
            outcome = "conflict"  # two technicians on one ticket: the expected refusal
        elif status >= 400:
            outcome = f"refused {status}"  # e.g. resolving a ticket its state does not allow
        else:
            outcome = "ok"
        self.recorder_ref[0].add(page, ms, outcome)
        return response

    def _ticket_form(self, session, page: str, reference: str) -> tuple[str, str] | None:
        answer = self._call(session, page, "GET", f"/tickets/{reference}")
        csrf, version = CSRF_RE.search(answer.text), VERSION_RE.search(answer.text)
        return (csrf.group(1), version.group(1)) if csrf and version else None

    # -- requester ------------------------------------------------------------------------
    def catalogue(self) -> None:
        self._call(self.requester, "catalogue", "GET", "/catalogue")

    def submit(self) -> None:
        page = self._call(self.requester, "form GET", "GET", FORM).text
        answer = self._call(
            self.requester,
            "form POST",
            "POST",
            FORM,
            data={
                "csrf_token": CSRF_RE.search(page).group(1),
                "idempotency_token": TOKEN_RE.search(page).group(1),
                "zoom_email": self.requester_email.replace("@bench.fr", "@umontpellier.fr"),
                "account_created": "y",
                "kb_checked": "1",
            },
        )
        found = CONFIRMATION_RE.search(answer.headers.get("Location", ""))
        if found:
            self.mine.append(found.group(1))
            self.shared.append(found.group(1))
            with self.recorder_ref[0].lock:
                self.recorder_ref[0].created.append((found.group(1), self.requester_email))

    def my_requests(self) -> None:
        self._call(self.requester, "mes demandes", "GET", "/mes-demandes")

    def my_ticket(self) -> None:
        if self.mine:
            reference = self.random.choice(self.mine)
            self._call(self.requester, "ticket (requester)", "GET", f"/mes-demandes/{reference}")

    def comment(self) -> None:
        if not self.mine:
            return
        reference = self.random.choice(self.mine)
        page = self._call(
            self.requester, "ticket (requester)", "GET", f"/mes-demandes/{reference}"
        ).text
        csrf = CSRF_RE.search(page)
        if csrf:
            self._call(
                self.requester,
                "comment POST",
                "POST",
                f"/mes-demandes/{reference}/commentaire",
                data={"csrf_token": csrf.group(1), "body": "Merci, je reste disponible."},
            )

    # -- technician -----------------------------------------------------------------------
    def queue(self) -> None:
        filters = self.random.choice(
            ["", "?status=all", "?status=in_progress&priority=high", "?assignee=mine"]
        )
        self._call(self.tech, "queue list", "GET", f"/queues/visio{filters}")

    def search(self) -> None:
        query = self.random.choice(["zoom", "licence", "bench", *self.shared[-3:]])
        self._call(self.tech, "search", "GET", "/recherche", params={"q": query})

    def _act(self, action: str, data: dict[str, str]) -> None:
        if not self.shared:
            return
        reference = self.random.choice(self.shared[-200:])
        found = self._ticket_form(self.tech, "ticket (staff)", reference)
        if found:
            csrf, version = found
            self._call(
                self.tech,
                f"{action} POST",
                "POST",
                f"/tickets/{reference}/{action}",
                data={"csrf_token": csrf, "version": version, **data},
            )

    def claim(self) -> None:
        self._act("claim", {})

    def reply(self) -> None:
        self._act("reply", {"body": "Bonjour, la licence est associée à votre compte."})

    def resolve(self) -> None:
        self._act("status", {"status": "resolved", "note": "Licence associée."})

    def actions(self) -> list[tuple[float, callable]]:
        """(weight, action): 80 % requester, 20 % technician."""
        return [
            (15, self.catalogue),
            (25, self.submit),
            (20, self.my_requests),
            (15, self.my_ticket),
            (5, self.comment),
            (8, self.queue),
            (4, self.search),
            (3, self.claim),
            (3, self.reply),
            (2, self.resolve),
        ]


@dataclass
class StepTiming:
    """How long a step really took and how late its actions started against their schedule:
    a client still busy when its next action is due starts it late, and that wait is the
    users' too (a closed loop would hide it: "coordinated omission")."""

    seconds: float
    started: int
    lags_ms: list[float]


def run_step(clients: list[Client], rate: float, seconds: float) -> StepTiming:
    """Each client starts actions at Poisson times, together `rate` actions per second;
    none starts after `seconds` of wall time."""
    per_client = rate / len(clients)
    begin = time.monotonic()
    stop_at = begin + seconds
    lags: list[float] = []

    def loop(client: Client) -> None:
        weights, actions = zip(*client.actions(), strict=True)
        next_at = time.monotonic() + client.random.expovariate(per_client)
        while True:
            now = time.monotonic()
            if next_at >= stop_at or now >= stop_at:
                return
            if next_at > now:
                time.sleep(next_at - now)
            lags.append(max(0.0, time.monotonic() - next_at) * 1000)
            # A failed call is recorded as an error by _call; a page without its form is one.
            with contextlib.suppress(requests.RequestException, AttributeError):
                client.random.choices(actions, weights)[0]()
            next_at += client.random.expovariate(per_client)

    threads = [threading.Thread(target=loop, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return StepTiming(time.monotonic() - begin, len(lags), lags)


def closed_loop(call, threads: int, seconds: float) -> tuple[float, list[float]]:
    """Requests/s and latencies of `threads` clients calling `call()` back to back."""
    stop_at = time.monotonic() + seconds
    times: list[float] = []
    lock = threading.Lock()

    def loop(n: int) -> None:
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            if call(n):
                with lock:
                    times.append((time.perf_counter() - started) * 1000)

    started = time.monotonic()
    workers = [threading.Thread(target=loop, args=(n,), daemon=True) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(times) / (time.monotonic() - started), times


def yardstick(stack: Stack, seconds: float) -> None:
    bare = [requests.Session() for _ in range(16)]
    desk = [sign_in(stack.base_url, f"req{n}@bench.fr", PASSWORD) for n in range(1, 17)]
    tokens = [CSRF_RE.search(s.get(stack.base_url + FORM).text).group(1) for s in desk]
    counter = iter(range(10**9))

    def insert(n: int) -> bool:
        return bare[n].post(stack.bare_url, data={"body": "x"}, timeout=30).status_code == 201

    def submit(n: int) -> bool:
        answer = desk[n].post(
            stack.base_url + FORM,
            data={
                "csrf_token": tokens[n],
                "idempotency_token": f"yardstick-{n}-{next(counter)}",
                "zoom_email": f"req{n + 1}@umontpellier.fr",
                "account_created": "y",
                "kb_checked": "1",
            },
            allow_redirects=False,
            timeout=30,
        )
        return "/catalogue/confirmation/" in answer.headers.get("Location", "")

    bare_rps, bare_times = closed_loop(insert, 16, seconds)
    desk_rps, desk_times = closed_loop(submit, 16, seconds)
    print(
        f"\nyardstick, 16 threads closed loop, {seconds:.0f} s each (load {load_average()}):\n"
        f"  bare insert: {bare_rps:.0f} req/s, p50 {percentile(bare_times, 50):.1f} ms,"
        f" p99 {percentile(bare_times, 99):.1f} ms\n"
        f"  desk Zoom form POST: {desk_rps:.0f} submissions/s, p50"
        f" {percentile(desk_times, 50):.1f} ms, p99 {percentile(desk_times, 99):.1f} ms\n"
        f"  ratio desk / bare insert: {desk_rps / bare_rps:.3f}",
        flush=True,
    )


def report_step(rate: float, timing: StepTiming, recorder: Recorder) -> float:
    """Print the step; return its p99 in ms: the pages' own, or the lateness of the actions'
    starts when the clients could not keep to the schedule (whichever is worse)."""
    by_page: dict[str, list[float]] = defaultdict(list)
    outcomes: Counter[str] = Counter()
    for page, ms, outcome in recorder.samples:
        by_page[page].append(ms)
        outcomes[outcome] += 1
    everything = [ms for _page, ms, _outcome in recorder.samples]
    p99 = percentile(everything, 99)
    late = percentile(timing.lags_ms, 99) if timing.lags_ms else 0.0
    print(
        f"\nstep: {rate:.0f} actions/s offered, {timing.started / timing.seconds:.1f} started,"
        f" {len(everything) / timing.seconds:.1f} requests/s completed in {timing.seconds:.1f} s,"
        f" p50 {percentile(everything, 50):.0f} ms, p99 {p99:.0f} ms; actions started late"
        f" by p99 {late:.0f} ms; outcomes {dict(outcomes)}; load {load_average()}"
    )
    print("| page | requests | p50 ms | p99 ms |\n| --- | --- | --- | --- |")
    for page in sorted(by_page):
        times = by_page[page]
        print(
            f"| {page} | {len(times)} | {percentile(times, 50):.0f} | {percentile(times, 99):.0f} |"
        )
    sys.stdout.flush()
    return max(p99, late)


def report_resources(
    spent: Counter[str], seconds: float, requests_done: int, throttled: list
) -> None:
    """Where the step's CPU went, in cores (2.0 is the whole machine), and how often each
    capped web instance used up its quota: what set the knee, the web or the rest."""

    def label(name: str) -> str:
        if name.startswith("postgres backends"):  # "..., database X, for desk web"
            return f"postgres ({name.split(', for ')[1] if ', for ' in name else 'other'})"
        return name

    kinds = ", ".join(
        f"{label(name)} {cpu / seconds:.2f}"
        for name, cpu in spent.most_common()
        if cpu / seconds >= 0.01
    )
    web = 1000 * spent["desk web"] / max(1, requests_done)
    print(
        f"cores used: {sum(spent.values()) / seconds:.2f} in all: {kinds};"
        f" desk web {web:.1f} ms of CPU per request"
    )
    if throttled:
        shares = ", ".join(f"{(t1 - t0) / max(1, p1 - p0):.0%}" for (p0, t0), (p1, t1) in throttled)
        period = CpuLimit.PERIOD_US // 1000
        print(f"web instances at their CPU cap in this share of {period} ms periods: {shares}")


def check(stack: Stack, created: list[tuple[str, str]]) -> None:
    pending = stack.wait_for_acknowledgements()
    with stack.engine.connect() as conn:
        counts = dict(
            conn.execute(text("SELECT reference, count(*) FROM ticket GROUP BY reference")).all()
        )
        tickets = conn.execute(text("SELECT count(*) FROM ticket")).scalar()
        acknowledgements = set(
            conn.scalars(
                text("SELECT id FROM notification WHERE event = 'submitted' AND channel = 'email'")
            )
        )
    answered = {reference for reference, _email in created}
    missing = [r for r in answered if counts.get(r, 0) == 0]
    duplicated = [r for r, n in counts.items() if n > 1]
    # Only the acknowledgement counts: replies and resolutions mail the requester too.
    acks: Counter[tuple[str, str]] = Counter()
    for (reference, rcpt, notification), n in stack.sink.received.items():
        if notification in acknowledgements:
            acks[(reference, rcpt)] += n
    wanted = set(created)
    once = sum(1 for key in wanted if acks.get(key) == 1)
    twice = sum(1 for key in wanted if acks.get(key, 0) > 1)
    print(
        f"\nchecks: {len(answered)} submissions answered with success (mixed load); "
        f"{tickets} tickets in the database (yardstick's included); answered but missing: "
        f"{len(missing)}; references present more than once: {len(duplicated)}; "
        f"acknowledgement received exactly once: {once} of {len(answered)}, more than once: "
        f"{twice}; still pending after the wait: {pending}"
    )
    if missing or duplicated or once != len(wanted) or pending:
        # A benchmark whose checks fail measured something broken: say so by the exit code.
        raise SystemExit("checks failed: see the counts above")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, choices=(1, 2), default=1)
    parser.add_argument("--step-seconds", type=float, default=20)
    parser.add_argument(
        "--warmup-seconds",
        type=float,
        default=20,
        help="the first rate for this long before the steps, not judged",
    )
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--rates", default="5,10,20,30,40,60,80,100,130,160")
    parser.add_argument("--no-yardstick", action="store_true")
    parser.add_argument(
        "--web-cpus",
        type=float,
        help="cap each gunicorn instance at this many cores (a CPU cgroup: a web host of its "
        "own, simulated; root only), e.g. 0.5 with --instances 1 then 2",
    )
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    with Stack(instances=args.instances, web_cpus=args.web_cpus) as stack:
        add_people(stack, requesters=max(args.threads, 16), technicians=4)
        capped = f" (each capped at {args.web_cpus:g} core)" if args.web_cpus else ""
        print(
            f"desk: {args.instances} gunicorn instance(s) x 2 sync workers{capped}"
            f"{' behind HAProxy' if args.instances == 2 else ''}, 1 Celery worker"
            f" (prefork 2), beat, PostgreSQL, Redis, SMTP sink; load {load_average()}\n"
            f"interpreter: {interpreter()}",
            flush=True,
        )
        if not args.no_yardstick:
            yardstick(stack, args.step_seconds)
        shared: list[str] = []
        recorder_ref = [Recorder()]
        clients = [
            Client(stack.base_url, n, shared, recorder_ref) for n in range(1, args.threads + 1)
        ]
        created: list[tuple[str, str]] = []
        sustained = 0.0
        meter = CpuMeter()
        if args.warmup_seconds > 0:
            # Every web process compiles its templates and SQL, and fills its per-process
            # copies, on first use: a cold first step would be judged on that.
            recorder_ref[0] = Recorder()
            run_step(clients, rates[0], args.warmup_seconds)
            created += recorder_ref[0].created
            print(f"\nwarm-up: {rates[0]:g} actions/s for {args.warmup_seconds:g} s, not judged")
        for rate in rates:
            recorder_ref[0] = Recorder()
            before = meter.snapshot(), [limit.throttling() for limit in stack.cpu_limits]
            timing = run_step(clients, rate, args.step_seconds)
            after = meter.snapshot(), [limit.throttling() for limit in stack.cpu_limits]
            created += recorder_ref[0].created
            p99 = report_step(rate, timing, recorder_ref[0])
            report_resources(
                meter.between(before[0], after[0]),
                timing.seconds,
                len(recorder_ref[0].samples),
                list(zip(before[1], after[1], strict=True)),
            )
            if p99 > P99_LIMIT_MS:
                print(f"\np99 {p99:.0f} ms > {P99_LIMIT_MS} ms: stopping.")
                break
            sustained = len(recorder_ref[0].samples) / timing.seconds
        print(f"\nsustained with p99 <= {P99_LIMIT_MS} ms: {sustained:.1f} requests/s")
        check(stack, created)


if __name__ == "__main__":
    main()
