"""Load reference data from a YAML file, idempotently (upsert by code).

Each feature registers the sections it owns with `@section(...)`; sections run in `order`, all
in one transaction, so a bad file changes nothing. Errors name the place in the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from desk.extensions import db


class LoadError(ValueError):
    """The file is malformed; the message says where."""


@dataclass
class LoadReport:
    """How many rows each section created or updated."""

    counts: dict[str, list[int]] = field(default_factory=dict)

    def add(self, section: str, created: bool) -> None:
        row = self.counts.setdefault(section, [0, 0])
        row[0 if created else 1] += 1

    def lines(self) -> list[str]:
        return [f"{name}: {c} created, {u} updated" for name, (c, u) in self.counts.items()]


Loader = Callable[[list[dict[str, Any]], LoadReport], None]
_SECTIONS: dict[str, tuple[int, Loader]] = {}


def section(name: str, order: int) -> Callable[[Loader], Loader]:
    """Register the loader of one top-level key of the YAML file."""

    def register(fn: Loader) -> Loader:
        _SECTIONS[name] = (order, fn)
        return fn

    return register


def require(item: dict[str, Any], key: str, where: str) -> Any:
    """A mandatory key of a YAML mapping."""
    if not isinstance(item, dict):
        raise LoadError(f"{where}: expected a mapping")
    value = item.get(key)
    if value is None or value == "":
        raise LoadError(f"{where}: '{key}' is required")
    return value


def load_reference(path: str | Path) -> LoadReport:
    """Read the file and upsert every known section in one transaction."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(f"cannot read {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise LoadError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise LoadError(f"{path}: the top level must be a mapping of sections")
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise LoadError(f"unknown section(s): {', '.join(unknown)}; known: {', '.join(_SECTIONS)}")
    report = LoadReport()
    try:
        for name, (_order, loader) in sorted(_SECTIONS.items(), key=lambda kv: kv[1][0]):
            items = data.get(name) or []
            if not isinstance(items, list):
                raise LoadError(f"{name}: expected a list")
            loader(items, report)
            db.session.flush()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report
