"""Where messages come from, behind one small interface: a Maildir folder or an IMAP mailbox.

A source lists what waits, hands over the bytes, and moves each message once desk has
recorded it: to `processed`, or to `failed` (with the reason) — never deleted. Moving after
the commit means a crash in between leaves the message in place; the next poll reads it
again and the ledger's unique key makes that a no-op. So does a move the mailbox refuses
(`MoveRefused`: a folder full or closed to desk): the message stays, the poll goes on.
"""

from __future__ import annotations

import contextlib
import functools
import os
import ssl
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

PROCESSED = "processed"
FAILED = "failed"
_HEADER_BYTES = 64 * 1024  # what is read of a message over the size limit


class MoveRefused(Exception):
    """The mailbox refused to move one message (the server answered NO: quota, rights, a
    folder gone; or the file system refused): it stays where it is, the source still works."""


@dataclass(frozen=True)
class Waiting:
    """A message waiting in a source: its bytes, or only its header when it is too large."""

    key: str
    raw: bytes
    size: int
    complete: bool = True


def _header_only(data: bytes) -> bytes:
    for end in (b"\r\n\r\n", b"\n\n"):
        if end in data:
            return data[: data.index(end) + len(end)]
    return data


class MailSource(Protocol):
    """What the poller needs of a mailbox."""

    name: str

    def pending(self) -> Iterator[Waiting]:
        """Each waiting message (only the header of one over the size limit)."""
        ...

    def done(self, key: str) -> None:
        """Move a recorded message to the processed folder."""
        ...

    def failed(self, key: str, reason: str) -> None:
        """Move a message that could not be processed to the failed folder."""
        ...

    def close(self) -> None: ...


class MaildirSource:
    """A Maildir (`new/`, `cur/`) or a plain folder of `.eml` files a developer drops in."""

    name = "maildir"

    def __init__(self, path: str, *, max_bytes: int):
        self.root = Path(path)
        self.max_bytes = max_bytes
        for sub in ("new", "cur", "tmp", PROCESSED, FAILED):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    # A file may go at any moment: another poller (`flask desk fetch-mail` while the worker
    # polls; only the worker's polls share a lock) moved it. A FileNotFoundError here stopped
    # the whole poll, left the rest of the folder unread and marked the source failing.

    def _files(self) -> list[tuple[float, Path]]:
        files = [p for sub in ("new", "cur") for p in (self.root / sub).iterdir()]
        files += self.root.glob("*.eml")
        found = []
        for path in files:
            with contextlib.suppress(FileNotFoundError):
                if path.is_file():
                    found.append((path.stat().st_mtime, path))
        return sorted(found)

    def pending(self) -> Iterator[Waiting]:
        for _mtime, path in self._files():
            try:
                size = path.stat().st_size
                if size > self.max_bytes:  # never read whole: the header names it for the admins
                    with open(path, "rb") as fh:
                        head = _header_only(fh.read(_HEADER_BYTES))
                    waiting = Waiting(str(path), head, size, False)
                else:
                    waiting = Waiting(str(path), path.read_bytes(), size)
            except FileNotFoundError:  # another poller has it
                continue
            yield waiting

    def _move(self, key: str, folder: str) -> Path | None:
        """The message's new place; None when another poller moved it first."""
        source = Path(key)
        target = self.root / folder / source.name
        try:
            os.replace(source, target)  # atomic within one file system
        except FileNotFoundError as exc:
            if not source.exists() and target.parent.is_dir():
                return None  # moved by another poller: not a message left in place
            raise MoveRefused(f"{folder}: {exc}") from exc
        except OSError as exc:  # a full disk, a folder's rights: this message only
            raise MoveRefused(f"{folder}: {exc}") from exc
        return target

    def done(self, key: str) -> None:
        self._move(key, PROCESSED)

    def failed(self, key: str, reason: str) -> None:
        target = self._move(key, FAILED)
        if target is not None:
            target.with_name(target.name + ".reason.txt").write_text(reason + "\n")

    def close(self) -> None:
        pass


class ImapSource:
    """An IMAP folder read with IMAPClient over TLS (imaps://) or STARTTLS (imap://)."""

    name = "imap"

    def __init__(self, url: str, *, max_bytes: int, cafile: str | None = None):
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname:
            raise ValueError("DESK_INBOUND_IMAP_URL must be imaps://user:password@host/FOLDER")
        self.folder = unquote(parts.path.lstrip("/")) or "INBOX"
        self.max_bytes = max_bytes
        context = ssl.create_default_context(cafile=cafile)
        implicit = parts.scheme == "imaps"
        port = parts.port or (993 if implicit else 143)
        self.client = IMAPClient(
            parts.hostname, port=port, ssl=implicit, ssl_context=context, timeout=30
        )
        # Never send the password in clear: imap:// means STARTTLS (`?tls=none` for a local
        # test server only).
        if not implicit and parse_qs(parts.query).get("tls", ["starttls"])[0] != "none":
            self.client.starttls(context)
        self.client.login(unquote(parts.username or ""), unquote(parts.password or ""))
        for folder in (PROCESSED, FAILED):
            if not self.client.folder_exists(folder):
                self.client.create_folder(folder)
        self.client.select_folder(self.folder)

    def pending(self) -> Iterator[Waiting]:
        uids = self.client.search("ALL")
        if not uids:
            return
        sizes = self.client.fetch(uids, ["RFC822.SIZE"])
        for uid in uids:
            size = sizes.get(uid, {}).get(b"RFC822.SIZE", 0)
            if size > self.max_bytes:  # never read whole: the header names it for the admins
                data = self.client.fetch([uid], ["BODY.PEEK[HEADER]"]).get(uid)
                if data is not None:
                    yield Waiting(str(uid), data.get(b"BODY[HEADER]", b""), size, False)
                continue
            data = self.client.fetch([uid], ["BODY.PEEK[]"]).get(uid)
            if data is None:  # another poller moved it meanwhile
                continue
            yield Waiting(str(uid), data[b"BODY[]"], size)

    def _move(self, key: str, folder: str) -> None:
        uid = int(key)
        try:
            if self.client.has_capability("MOVE"):
                self.client.move([uid], folder)
            else:
                self.client.copy([uid], folder)
                self.client.delete_messages([uid])
                self.client.expunge()
        except IMAPClientAbortError:  # the connection is gone: the whole poll stops
            raise
        except IMAPClientError as exc:  # NO or BAD for this message: the others go on
            if self._gone(uid, exc):
                return  # another poller moved it first: not a message left in place
            raise MoveRefused(f"{folder}: {exc}") from exc

    def _gone(self, uid: int, exc: IMAPClientError) -> bool:
        """Whether a refused move was of a message another session has already taken away
        (`flask desk fetch-mail` while the worker polls): RFC 5530's EXPUNGEISSUED, or no
        message left with that UID. Counted as left in the mailbox, each made the source
        look stuck."""
        if "EXPUNGEISSUED" in str(exc).upper():
            return True
        try:
            return not self.client.search(["UID", str(uid)])
        except IMAPClientError:
            return False

    def done(self, key: str) -> None:
        self._move(key, PROCESSED)

    def failed(self, key: str, reason: str) -> None:
        # The reason is recorded in desk's ledger (IMAP has no place for it on the message).
        self._move(key, FAILED)

    def close(self) -> None:
        # The connection may already be gone; there is nothing left to do with it.
        with contextlib.suppress(Exception):
            self.client.logout()


def configured_sources(config: Mapping[str, Any]) -> list[Callable[[], MailSource]]:
    """Openers of the sources the settings name (none when incoming mail is off); opened one
    at a time so an unreachable IMAP server does not stop the Maildir from being read."""
    limit = config["INBOUND_MAX_MB"] * 1024 * 1024
    openers: list[Callable[[], MailSource]] = []
    # Partials of the classes, so that a source that cannot be opened still has its name
    # (`source_name`) for the log and the poll's metrics.
    if config["INBOUND_MAILDIR"]:
        openers.append(functools.partial(MaildirSource, config["INBOUND_MAILDIR"], max_bytes=limit))
    if config["INBOUND_IMAP_URL"]:
        cafile = config.get("INBOUND_IMAP_CAFILE") or None
        openers.append(
            functools.partial(
                ImapSource, config["INBOUND_IMAP_URL"], max_bytes=limit, cafile=cafile
            )
        )
    return openers


def configured_names(config: Mapping[str, Any]) -> list[str]:
    """The names of the sources the settings name (what /metrics reports a poll lag for)."""
    return [source_name(opener) for opener in configured_sources(config)]


def source_name(opener: Callable[[], MailSource]) -> str:
    """An opener's source name ("maildir", "imap") before it is opened."""
    return getattr(getattr(opener, "func", opener), "name", "source")
