"""The identity sections of the reference file, and their errors."""

from __future__ import annotations

import pytest

from desk.identity.accounts import load_mapping
from desk.reference.loader import LoadError, load_reference
from tests.support.factories import make_queue


def _load(tmp_path, text: str):
    path = tmp_path / "ref.yaml"
    path.write_text(text, encoding="utf-8")
    return load_reference(path)


def test_mapping_loads_and_reloads_without_duplicates(app_ctx, tmp_path):
    make_queue(code="reseau")
    text = """
directory_attributes:
  - {field: login, attributes: [uid, supannAliasLogin]}
  - {field: email, attributes: mail}
directory_affiliations:
  - {name: Staff, staff: true}
  - {name: student}
directory_groups:
  - {cn: desk-reseau, role: technician, queues: [reseau], leads: [reseau]}
"""
    _load(tmp_path, text)
    report = _load(tmp_path, text)
    assert "directory_groups: 0 created, 1 updated" in report.lines()
    mapping = load_mapping()
    assert mapping.attributes["login"] == ("uid", "supannAliasLogin")
    assert mapping.attributes["email"] == ("mail",)
    assert mapping.staff_affiliations == frozenset({"staff"})
    assert mapping.groups[0].queues == {"reseau": True}
    assert mapping.is_configured


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("directory_attributes:\n  - {field: shoe_size, attributes: [x]}", "unknown field"),
        ("directory_attributes:\n  - {field: login, attributes: [1, 2]}", "list of names"),
        ("directory_groups:\n  - {cn: g, role: requester}", "technician or admin"),
        ("directory_groups:\n  - {cn: g, role: technician, queues: [nope]}", "unknown queue"),
        ("directory_affiliations:\n  - {staff: true}", "'name' is required"),
    ],
)
def test_bad_sections_name_the_place_and_change_nothing(app_ctx, tmp_path, text, message):
    with pytest.raises(LoadError, match=message):
        _load(tmp_path, text)
    assert load_mapping().attributes == {}
