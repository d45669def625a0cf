"""The files inside an Outlook winmail.dat (application/ms-tnef). Pure.

Outlook writing "rich text" sends the files a person attached inside one winmail.dat part
instead of parts of their own; dropped as a client's artefact, those files were lost. They
are taken out here and then go through the upload checks as any other (desk.inbound.files).

The stream ([MS-OXTNEF] 2.1) is a signature, a key, then attributes: a level, an id, a length,
the data and a checksum. tnefparse decodes what is hard in it, the MAPI properties (the long
file name, in the message's code page or UTF-16) and the code pages. Its `TNEF` class, which
would walk the attributes too, is not used: it copies the rest of the stream at each attribute
(a stream of many small attributes before a large file costs their number times its size),
reads an attached Outlook message as a TNEF stream of its own the same way, and takes a file's
bytes from the MAPI copy, padded to four bytes and so cut of its trailing zeros (a .docx ends
its zip directory with two). Here each attribute is sliced once, a file's bytes are its
attAttachData as written, and an attached Outlook message is left in the kept original.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from tnefparse import TNEF, mapi
from tnefparse.codepage import Codepage
from tnefparse.mapi import IMESSAGE_SIG, decode_mapi
from tnefparse.properties import MAPI_ATTACH_DATA_OBJ, MAPI_ATTACH_LONG_FILENAME

TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}
MAX_ATTRIBUTES = 2_000  # Outlook writes a dozen, and five or so per file
# MAPI values in the whole stream (a property is one, a multi-valued one one per value):
# Outlook writes a few dozen per file; the library makes an object of each.
MAX_VALUES = 10_000
_SIGNATURE = struct.pack("<I", TNEF.TNEF_SIGNATURE)
_HEADER = struct.Struct("<BHHI")  # level, id, type, length
_CHECKSUM = 2
# MAPI property types ([MS-OXCDATA] 2.11.1) by the bytes one value takes; the others are
# variable (a length, then the bytes padded to four).
_FIXED = {
    mapi.SZMAPI_SHORT: 2,
    mapi.SZMAPI_BOOLEAN: 2,
    mapi.SZMAPI_INT: 4,
    mapi.SZMAPI_FLOAT: 4,
    mapi.SZMAPI_ERROR: 4,
    mapi.SZMAPI_DOUBLE: 8,
    mapi.SZMAPI_APPTIME: 8,
    mapi.SZMAPI_CURRENCY: 8,
    mapi.SZMAPI_INT8BYTE: 8,
    mapi.SZMAPI_SYSTIME: 8,
    mapi.SZMAPI_CLSID: 16,
}
_VARIABLE = {
    mapi.SZMAPI_UNSPECIFIED,
    mapi.SZMAPI_STRING,
    mapi.SZMAPI_UNICODE_STRING,
    mapi.SZMAPI_OBJECT,
    mapi.SZMAPI_BINARY,
}


class UnreadableTnef(ValueError):
    """The winmail.dat cannot be read: its files, if any, stay in the kept original."""


@dataclass
class _File:
    title: bytes = b""  # attAttachTitle: the short name, in the stream's code page
    long_name: str = ""  # PidTagAttachLongFilename
    data: bytes | None = None  # attAttachData, exact
    mapi_data: bytes = b""  # PidTagAttachDataObject, padded: when there is no attAttachData
    embedded: bool = False  # an attached Outlook message, not a file

    def name(self, codepage: str) -> str:
        if self.long_name.strip("\x00"):
            return self.long_name.strip("\x00")
        try:
            return self.title.decode(codepage, errors="replace").strip("\x00")
        except LookupError:
            return self.title.decode("cp1252", errors="replace").strip("\x00")


def _attributes(data: bytes):
    """(level, id, value) of each attribute; UnreadableTnef when one runs past the end."""
    offset, count = 6, 0
    while offset < len(data):
        count += 1
        if count > MAX_ATTRIBUTES:
            raise UnreadableTnef("too many attributes")
        if offset + _HEADER.size + _CHECKSUM > len(data):
            raise UnreadableTnef("cut short")
        level, name, _type, length = _HEADER.unpack_from(data, offset)
        start = offset + _HEADER.size
        offset = start + length + _CHECKSUM
        if offset > len(data):
            raise UnreadableTnef("cut short")
        yield level, name, data[start : start + length]


def _read(data: bytes) -> tuple[list[_File], str]:
    files: list[_File] = []
    codepage = "cp1252"
    budget = MAX_VALUES
    for level, name, value in _attributes(data):
        if name == TNEF.ATTOEMCODEPAGE:
            codepage = Codepage(struct.unpack_from("<I", value)[0]).codepage()
        elif name == TNEF.ATTATTACHRENDDATA:  # starts an attachment
            files.append(_File())
        elif level == TNEF.LVL_ATTACHMENT:
            if not files:
                raise UnreadableTnef("an attachment's attribute before any attachment")
            current = files[-1]
            if name == TNEF.ATTATTACHDATA:
                current.data = value
            elif name == TNEF.ATTATTACHTITLE:
                current.title = value
            elif name == TNEF.ATTATTACHMENT:
                budget -= _values_that_fit(value, budget)
                _properties(current, value, codepage)
    return files, codepage


def _values_that_fit(value: bytes, budget: int) -> int:
    """How many values attAttachment's MAPI properties hold (a property is one, a
    multi-valued one one per value); UnreadableTnef when a count promises more than the bytes
    hold, or the values are more than `budget`.

    tnefparse's decode_mapi believes the counts: past the end it goes on through the count
    of properties, a warning logged for each, and reads the values of a multi-valued number
    as empty slices without stopping. Four bytes saying 0xFFFFFFFF held the poller for hours,
    or took all its memory. And it makes a Python object of each value: 2 MB of a
    multi-valued number, all there, took 10 s and 255 MB; the 18 MB a received message may
    carry, a gigabyte or more. Walked here as decode_mapi walks them, reading only the counts
    and lengths (a length past the end stops it: cut short)."""
    end, seen = len(value), 0

    def counted(values: int) -> None:
        nonlocal seen
        seen += values
        if seen > budget:
            raise UnreadableTnef("too many values")

    def number(at: int) -> int:
        if at + 4 > end:
            raise UnreadableTnef("cut short")
        return struct.unpack_from("<I", value, at)[0]

    count, at = number(0), 4
    for _ in range(count):
        if at >= end:
            raise UnreadableTnef("more properties than bytes")
        if at + 4 > end:
            break  # decode_mapi stops there by itself
        kind, name = struct.unpack_from("<HH", value, at)
        at += 4
        if name >= mapi.GUID_EXISTS_FLAG:  # a named property: a GUID, then a number or a name
            at += 16
            at += 8 if number(at) == 0 else 8 + -(-number(at + 4) // 4) * 4
        values = None
        if kind & mapi.MULTI_VALUE_FLAG:
            kind ^= mapi.MULTI_VALUE_FLAG
            values = number(at) or None  # none: decode_mapi reads it as a single value
            at += 4
        if kind in _FIXED:
            if (values or 1) * _FIXED[kind] > end - at:
                raise UnreadableTnef("more values than bytes")
            counted(values or 1)
            at += (values or 1) * _FIXED[kind]
            if (values or 1) % 2 and _FIXED[kind] == 2:
                at += 2
        elif kind in _VARIABLE:
            if values is None:
                values = number(at)
                at += 4
            counted(max(values, 1))
            for _value in range(values):
                at += 4 + -(-number(at) // 4) * 4
        else:
            break  # a type decode_mapi does not know: it stops there
    return seen


def _properties(current: _File, value: bytes, codepage: str) -> None:
    for prop in decode_mapi(value, codepage):
        if prop.name == MAPI_ATTACH_LONG_FILENAME and isinstance(prop.data, str):
            current.long_name = prop.data
        elif prop.name == MAPI_ATTACH_DATA_OBJ and isinstance(prop.data, bytes):
            current.embedded = prop.data.startswith(IMESSAGE_SIG)
            current.mapi_data = prop.data


def tnef_files(data: bytes) -> list[tuple[str, bytes]]:
    """The (name, bytes) of each file in a winmail.dat; raise UnreadableTnef when it cannot
    be read. An attachment without bytes (an attached Outlook message, a link) is none."""
    if not data.startswith(_SIGNATURE):
        raise UnreadableTnef("signature")
    try:
        files, codepage = _read(data)
    except UnreadableTnef:
        raise
    except Exception as exc:  # struct.error, a code page Python does not know...
        raise UnreadableTnef(type(exc).__name__) from exc
    found = []
    for file in files:
        content = file.data if file.data is not None else file.mapi_data
        if content and not file.embedded:
            found.append((file.name(codepage), content))
    return found
