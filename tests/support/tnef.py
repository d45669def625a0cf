"""A winmail.dat written from Microsoft's TNEF specification ([MS-OXTNEF] 2.1), as Outlook
sends one (application/ms-tnef) when it writes "rich text": the files the person attached
are inside it, not in parts of their own.

The stream: a signature (0x223E9F78), a legacy key, then attributes, each a level (1 the
message, 2 an attachment), an id (its type in the high word), a length, the data and a
checksum (the data's bytes summed, modulo 65536). An attachment starts with attAttachRendData
and carries its title (8.3 name), its data, and attAttachment: MAPI properties, among them
the long file name (PidTagAttachLongFilename, UTF-16) and the data again
(PidTagAttachDataBinary), as Outlook writes them.
"""

from __future__ import annotations

import struct

SIGNATURE = 0x223E9F78
LEVEL_MESSAGE, LEVEL_ATTACHMENT = 1, 2
# Attribute ids ([MS-OXTNEF] 2.1.3.3): type << 16 | id.
ATT_TNEF_VERSION = 0x00089006
ATT_OEM_CODEPAGE = 0x00069007
ATT_MESSAGE_CLASS = 0x00078008
ATT_ATTACH_REND_DATA = 0x00069002
ATT_ATTACH_TITLE = 0x00018010
ATT_ATTACH_DATA = 0x0006800F
ATT_ATTACHMENT = 0x00069005
# MAPI property types and tags ([MS-OXCDATA] 2.11.1, [MS-OXPROPS]).
PT_UNICODE, PT_BINARY, PT_LONG = 0x001F, 0x0102, 0x0003
PID_ATTACH_DATA_BINARY = 0x3701
PID_ATTACH_LONG_FILENAME = 0x3707
PID_ATTACH_METHOD = 0x3705


def attribute(level: int, attribute_id: int, data: bytes) -> bytes:
    """One TNEF attribute with its checksum."""
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BII", level, attribute_id, len(data)) + data + struct.pack("<H", checksum)


def _padded(data: bytes) -> bytes:
    return data + b"\x00" * (-len(data) % 4)


def _variable(tag: int, kind: int, value: bytes) -> bytes:
    # One value: a count of 1, its length, the bytes padded to 4.
    return struct.pack("<HHII", kind, tag, 1, len(value)) + _padded(value)


def mapi_properties(name: str, content: bytes) -> bytes:
    """attAttachment's data: the attach method (by value), the long name and the bytes."""
    props = [
        struct.pack("<HHI", PT_LONG, PID_ATTACH_METHOD, 1),
        _variable(PID_ATTACH_LONG_FILENAME, PT_UNICODE, (name + "\x00").encode("utf-16-le")),
        _variable(PID_ATTACH_DATA_BINARY, PT_BINARY, content),
    ]
    return struct.pack("<I", len(props)) + b"".join(props)


def winmail(files: list[tuple[str, bytes]], *, codepage: int = 1252) -> bytes:
    """A winmail.dat holding `files` (name, bytes), in Outlook's order of attributes."""
    out = [struct.pack("<IH", SIGNATURE, 0x0A1B)]
    out.append(attribute(LEVEL_MESSAGE, ATT_TNEF_VERSION, struct.pack("<I", 0x00010000)))
    out.append(attribute(LEVEL_MESSAGE, ATT_OEM_CODEPAGE, struct.pack("<II", codepage, 0)))
    out.append(attribute(LEVEL_MESSAGE, ATT_MESSAGE_CLASS, b"IPM.Microsoft Mail.Note\x00"))
    for name, content in files:
        # AttachType 1 (a file), position unknown, no rendering size, no flags.
        render = struct.pack("<HIhhI", 1, 0xFFFFFFFF, -1, -1, 0)
        out.append(attribute(LEVEL_ATTACHMENT, ATT_ATTACH_REND_DATA, render))
        short = name.encode(f"cp{codepage}", "replace")[:12] + b"\x00"
        out.append(attribute(LEVEL_ATTACHMENT, ATT_ATTACH_TITLE, short))
        out.append(attribute(LEVEL_ATTACHMENT, ATT_ATTACH_DATA, content))
        out.append(attribute(LEVEL_ATTACHMENT, ATT_ATTACHMENT, mapi_properties(name, content)))
    return b"".join(out)
