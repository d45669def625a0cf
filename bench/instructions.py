"""Instructions per request, counted by valgrind: a figure that does not move with the host.

The CPU time of a request moves with the machine: on these virtual hosts the same queue page
has cost 6.5 to 10.3 ms of CPU within the same hour. Instructions do not. To tell whether a
change of a few per cent helps, count them:

    .venv/bin/python bench/instructions.py [queue] [submit] [--few 10] [--many 40]

`queue` runs bench/queue_cpu.py (the queue list at 1,000,000 tickets: first, filtered and
10,000-deep pages; after `bench/search.py --keep`), `submit` runs bench/submit_cpu.py (the
Zoom licence form POST), each twice under `valgrind --tool=callgrind`: with --few and with
--many timed requests. The difference divided by the requests it adds is what one request
costs; start-up, warm-up and set-up cancel out. Only the measuring Python process is counted:
PostgreSQL, Redis and the set-up's `flask` commands run natively, outside it. Slow: Python
runs some fifty times slower under valgrind (about 3 minutes for `queue`, 4 for `submit`).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLLECTED = re.compile(r"Collected : ([\d,]+)")

# case → (what is counted, script, its option for the number of timed requests, timed
# requests per unit of that option)
CASES = {
    "queue": (
        "queue list page (first, filtered, 10,000 rows deep, averaged)",
        "bench/queue_cpu.py",
        "--pages",
        3,  # one page of each of the three kinds per unit
    ),
    "submit": ("Zoom form POST", "bench/submit_cpu.py", "--posts", 1),
}


def instructions(script: str, option: str, count: int) -> int:
    """Instructions of one run of `script` with `count` timed requests."""
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={tmp}/callgrind.out",
                str(ROOT / ".venv/bin/python"),
                str(ROOT / script),
                option,
                str(count),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    found = COLLECTED.search(run.stderr)
    if run.returncode != 0 or found is None:
        sys.exit(f"{script} {option} {count} failed:\n{run.stderr[-3000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", help=f"some of {', '.join(CASES)} (default: all)")
    parser.add_argument("--few", type=int, default=10, help="timed requests of the first run")
    parser.add_argument("--many", type=int, default=40, help="timed requests of the second run")
    args = parser.parse_args()
    # Both scripts time requests in five slices of count // 5.
    few, many = 5 * (args.few // 5), 5 * (args.many // 5)
    if many <= few:
        parser.error("--many must exceed --few by 5 at least")
    unknown = set(args.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    for case in args.cases or CASES:
        label, script, option, per_unit = CASES[case]
        low = instructions(script, option, few)
        high = instructions(script, option, many)
        added = (many - few) * per_unit
        print(
            f"{label}: {(high - low) / added / 1e6:.2f} million instructions per request"
            f" ({added} requests added: {low:,} → {high:,})",
            flush=True,
        )


if __name__ == "__main__":
    main()
