"""What a ticket reference looks like, for code that must find one in text. Pure.

desk numbers a kind's tickets per year and writes the number on at least six digits
(`desk.tickets.services.format_reference`): `DEM-2026-000123`, then past 999,999
`DEM-2026-1234567`, never with a leading zero beyond six digits. The counter is a 32-bit
integer, so at most ten digits. Every reader of mail (subjects, reply addresses, desk's own
Message-IDs, bounces) takes this one pattern: a reference that desk can write is always
read back, and `DEM-2026-0001234`, which it never writes, names nothing.
"""

from __future__ import annotations

PREFIXES = ("DEM", "INC")
# No group that captures: callers put the pattern inside their own.
REFERENCE = rf"(?:{'|'.join(PREFIXES)})-\d{{4}}-(?:\d{{6}}|[1-9]\d{{6,9}})"
