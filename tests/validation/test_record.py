"""Recording a validation run into the instrument file: a text edit that keeps everything else."""

from __future__ import annotations

import shutil

import pytest

from govstats import load_instrument
from govstats.errors import InstrumentError
from govstats.validation.record import bump_version, record_validation
from tests_support import INSTRUMENTS

ENTRY = {"version": "1.0.0", "date": "2026-12-02",
         "pilot": {"n": 300, "where": "两个社区（武汉）", "when": "2026-11", "alpha": {"VS": 0.61, "IS": 0.71},
                   "kmo": 0.81, "factors": 7},
         "items": ["VS1", "VS2", "VS3", "VS4"],
         "suggested": [{"item": "VS4", "action": "drop", "reason": "3 of 5 criteria unmet: CITC .20 < .30"}]}


@pytest.fixture
def inst_path(tmp_path):
    shutil.copytree(INSTRUMENTS / "blocks", tmp_path / "blocks")
    path = tmp_path / "grid.yaml"
    shutil.copy(INSTRUMENTS / "grid_governance.yaml", path)
    return path


def drop_item(text: str, item: str) -> str:
    """The text without the item's entry: its '- id:' line and the more indented lines below it."""
    lines = text.splitlines(keepends=True)
    start = next(k for k, line in enumerate(lines) if line.strip() == f"- id: {item}")
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and lines[end].strip() and len(lines[end]) - len(lines[end].lstrip()) > indent:
        end += 1
    return "".join(lines[:start] + lines[end:])


def test_bump_version():
    assert [bump_version(v) for v in ("1.0.0", "1.9.3", "0.10", "2")] == ["1.1.0", "1.10.0", "0.11", "3"]
    with pytest.raises(ValueError, match="new_version"):
        bump_version("1.0-beta")


def test_record_changes_only_the_version_and_appends_the_entry(inst_path):
    before = inst_path.read_text(encoding="utf-8")
    done = record_validation(inst_path, ENTRY)
    after = inst_path.read_text(encoding="utf-8")
    assert (done.old_version, done.new_version) == ("1.0.0", "1.1.0")
    assert done.previous.read_text(encoding="utf-8") == before  # the previous version kept as a file
    assert done.previous.name == "grid.v1.0.0.yaml"
    # every line of the old file is still there, in order; only the version line changed
    old_lines, new_lines = before.splitlines(), after.splitlines()
    assert new_lines[:len(old_lines)] == [l if not l.startswith("version:") else 'version: "1.1.0"' for l in old_lines]
    assert after.count("#") == before.count("#") + 1  # comments kept, one added above validation:
    inst = load_instrument(inst_path)
    assert inst.version == "1.1.0" and len(inst.validation) == 1
    rec = inst.validation[0]
    assert rec.pilot.where == "两个社区（武汉）" and rec.pilot.alpha["IS"] == 0.71 and rec.suggested[0].action == "drop"


def test_second_record_appends_and_fills_dropped(inst_path):
    record_validation(inst_path, ENTRY)
    # the authors drop VS4 (its line and text lines) by hand
    inst_path.write_text(drop_item(inst_path.read_text(encoding="utf-8"), "VS4"), encoding="utf-8")
    assert "VS4" not in {i.id for i in load_instrument(inst_path).items}
    second = dict(ENTRY, version="1.1.0", items=["VS1", "VS2", "VS3"], suggested=[])
    done = record_validation(inst_path, second)
    inst = load_instrument(inst_path)
    assert inst.version == "1.2.0" and [r.version for r in inst.validation] == ["1.0.0", "1.1.0"]
    assert [(n.item, n.reason) for n in inst.validation[1].dropped] == [
        ("VS4", "drop: 3 of 5 criteria unmet: CITC .20 < .30")]
    assert done.previous.name == "grid.v1.1.0.yaml"
    assert [r.version for r in load_instrument(done.previous).validation] == ["1.0.0"]


def test_record_to_another_file_leaves_the_original(inst_path):
    before = inst_path.read_bytes()
    done = record_validation(inst_path, ENTRY, new_version="2.0.0", out=inst_path.with_name("grid_v2.yaml"))
    assert inst_path.read_bytes() == before and done.previous is None
    assert load_instrument(done.path).version == "2.0.0"


def test_bom_crlf_and_empty_flow_list_are_kept(inst_path):
    text = inst_path.read_text(encoding="utf-8").replace("\n", "\r\n") + "validation: []\r\n"
    inst_path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    record_validation(inst_path, ENTRY)
    raw = inst_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\n" not in raw.replace(b"\r\n", b"")
    assert len(load_instrument(inst_path).validation) == 1


def test_refusals(inst_path):
    with pytest.raises(ValueError, match="must differ"):
        record_validation(inst_path, ENTRY, new_version="1.0.0")
    inst_path.with_name("grid.v1.0.0.yaml").write_text("something else", encoding="utf-8")
    with pytest.raises(ValueError, match="exists with other content"):
        record_validation(inst_path, ENTRY)
    inst_path.with_name("grid.v1.0.0.yaml").unlink()
    inst_path.write_text(inst_path.read_text(encoding="utf-8") + "validation: [{version: '1'}]\n", encoding="utf-8")
    with pytest.raises(InstrumentError):  # the file must load first
        record_validation(inst_path, ENTRY)
