"""Signed per-ticket reply addresses (pure)."""

from __future__ import annotations

from desk.inbound.address import read_reply_address, reply_address

BASE = "desk@univ.fr"
SECRET = "s" * 40


def test_round_trip_and_shape():
    address = reply_address(BASE, "DEM-2026-000042", SECRET)
    assert address.startswith("desk+DEM-2026-000042.") and address.endswith("@univ.fr")
    found = read_reply_address(address, BASE, SECRET)
    assert found.valid and found.reference == "DEM-2026-000042"


def test_lower_cased_by_a_relay_still_matches():
    address = reply_address(BASE, "INC-2026-000007", SECRET).lower()
    found = read_reply_address(address, BASE, SECRET)
    assert found.valid and found.reference == "INC-2026-000007"


def test_wrong_signature_other_reference_or_other_secret_is_invalid():
    good = reply_address(BASE, "DEM-2026-000042", SECRET)
    sig = good.split(".")[1].split("@")[0]
    forged = f"desk+DEM-2026-000043.{sig}@univ.fr"  # a guessed neighbour with a real HMAC
    assert not read_reply_address(forged, BASE, SECRET).valid
    assert not read_reply_address(good, BASE, "t" * 40).valid
    assert not read_reply_address("desk+DEM-2026-000042@univ.fr", BASE, SECRET).valid


def test_other_addresses_are_not_ours():
    assert read_reply_address("desk@univ.fr", BASE, SECRET) is None
    assert read_reply_address("someone+DEM-2026-000042.00@univ.fr", BASE, SECRET) is None
    assert read_reply_address("desk+x@other.fr", BASE, SECRET) is None
