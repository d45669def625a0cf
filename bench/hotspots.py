"""Sum up py-spy's collapsed stacks (`bench/submit.py --profile DIR`): where the CPU went.

    .venv/bin/python bench/hotspots.py DIR/web.txt [--top 40] [--under FUNCTION]

Prints the share of samples by library (the leaf frame's package: own time) and by
function including what it calls (inclusive), each function counted once per stack.
`--under` keeps only the stacks that pass through a function (e.g. `request_form`).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME_RE = re.compile(r"^(?P<func>.+?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def frames(stack: str) -> list[tuple[str, str]]:
    out = []
    for part in stack.split(";"):
        match = FRAME_RE.match(part)
        if match:
            out.append((match["func"], match["file"]))
    return out


def package(file: str) -> str:
    parts = Path(file).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1]
    if parts and parts[0] in {"desk", "worker", "bench"}:
        return "/".join(parts[:2])
    return parts[0] if len(parts) > 1 else "stdlib:" + file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--under", help="only stacks through this function name")
    args = parser.parse_args()
    total = 0
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for line in Path(args.file).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        stack_frames = frames(stack)
        if not stack_frames:
            continue
        if args.under and not any(func == args.under for func, _ in stack_frames):
            continue
        n = int(count)
        total += n
        own[package(stack_frames[-1][1])] += n
        for key in {f"{func} ({file})" for func, file in stack_frames}:
            inclusive[key] += n
    print(f"{total} samples")
    print("\nown time by package:")
    for name, n in own.most_common(args.top):
        print(f"  {100 * n / total:5.1f}%  {name}")
    print("\ninclusive time by function:")
    for name, n in inclusive.most_common(args.top):
        print(f"  {100 * n / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
