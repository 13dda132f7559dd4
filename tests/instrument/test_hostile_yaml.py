"""Hostile and careless YAML: refused with a located problem before anything expands.

Every case is a file written here; each asserts the code, the file and the line of the
problem, and that every command that loads an instrument reports it without a traceback.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from govstats import load_instrument
from govstats.cli import main
from govstats.errors import InstrumentError
from tests_support import readme_example_text

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))

HOSTILE = {
    # name: (text, code, line of the problem)
    "billion-laughs": (LAUGHS, "unsafe-yaml", 6),
    "deep-flow": ("id: " + "[" * 5000 + "]" * 5000 + "\n", "unsafe-yaml", 1),
    "deep-block": "".join(" " * i + f"k{i}:\n" for i in range(5000)) + " " * 5000 + "x: 1\n",
    "python-tag": ("id: !!python/object/apply:os.system ['echo hacked']\n", "unsafe-yaml", 1),
    "custom-tag": ("version: '1'\nid: !include other.yaml\n", "unsafe-yaml", 2),
    "binary-tag": ("id: !!binary aGVsbG8=\n", "unsafe-yaml", 1),
    "set-tag": ("id: !!set {a, b}\n", "unsafe-yaml", 1),
    "huge-list": ("id: [" + ", ".join(["1"] * 250_000) + "]\n", "unsafe-yaml", 1),
    "unhashable-key": ("? [a, b]\n: c\n", "yaml-syntax", 1),
    "binary": ("PK\x03\x04\x14\x00 not yaml at all \x00\x01", "yaml-syntax", None),
}
HOSTILE["deep-block"] = (HOSTILE["deep-block"], "unsafe-yaml", 65)


def _problem(path: Path, code: str):
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    found = [p for p in info.value.problems if p.code == code]
    assert found, info.value.problems
    return found[0]


SLOW = {"huge-list"}  # 250,000 values: PyYAML's pure-Python scanner takes seconds to reach the limit


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in HOSTILE])
def test_hostile_yaml_is_refused_with_its_line(tmp_path, name):
    text, code, line = HOSTILE[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    p = _problem(path, code)
    assert (p.file, p.line) == (str(path), line)
    assert p.hint
    if name == "huge-list":
        assert "more than 200,000 values; no instrument" in p.message
    if name not in SLOW:
        assert time.perf_counter() - started < 5  # refused while parsing, not after expanding


def test_aliases_of_a_sane_size_still_load(write, example):
    # An anchor reused a few times is ordinary YAML; only expansion beyond any instrument's size is refused.
    text = readme_example_text().replace("    scale: agree5\n    items:\n      - id: PS1",
                                         "    scale: &s agree5\n    items:\n      - id: PS1", 1)
    text = text.replace("    scale: agree5\n    items:\n      - id: CI1",
                        "    scale: *s\n    items:\n      - id: CI1", 1)
    assert "*s" in text
    inst = load_instrument(write(text))
    assert inst.constructs[1].items[0].scale.id == "agree5"


COMMANDS = [
    ["instrument", "check", "{inst}"], ["instrument", "show", "{inst}"],
    ["simulate", "{inst}", "-n", "10", "-o", "{out}/s.csv"], ["check", "{inst}", "{data}"],
    ["score", "{inst}", "{data}", "-o", "{out}/scores.csv"], ["efa", "{inst}", "{data}"],
    ["reliability", "{inst}", "{data}"], ["fit", "{inst}", "{data}"],
    ["form", "{inst}", "-o", "{out}/f.xlsx"], ["schema", "{inst}", "-o", "{out}/s.json"],
    ["export", "{data}", "--instrument", "{inst}", "-o", "{out}/e.sav"], ["effects", "{inst}", "{data}"],
]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["billion-laughs", "deep-flow", "deep-block", "python-tag"])
def test_every_command_reports_hostile_yaml_without_a_traceback(tmp_path, capsys, name):
    inst = tmp_path / f"{name}.yaml"
    inst.write_text(HOSTILE[name][0], encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text("respondent_id,consent\n1,1\n", encoding="utf-8")
    for command in COMMANDS:
        args = [a.format(inst=inst, data=data, out=tmp_path) for a in command]
        code = main(args)
        err = capsys.readouterr().err
        assert code == 1, (args, err)
        assert "unsafe-yaml" in err and "Traceback" not in err, (args, err)


def test_duplicate_keys_are_located_problems(write, example):
    text = readme_example_text()
    text = text.replace('version: "0.1.0"\n', 'version: "0.1.0"\nversion: "0.2.0"\n', 1)
    text = text.replace("        loading: 0.75\n", "        loading: 0.75\n        loading: 0.2\n", 1)
    path = write(text)
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    dups = [p for p in info.value.problems if p.code == "duplicate-key"]
    assert [p.location for p in dups] == ["version", "constructs[0].items[0].loading"]
    lines = text.splitlines()
    assert lines[dups[0].line - 1] == 'version: "0.2.0"'
    assert lines[dups[1].line - 1].strip() == "loading: 0.2"
    assert all(p.file == str(path) for p in dups)


def test_duplicate_key_in_an_included_block_names_the_block(write, example, tmp_path):
    block = (tmp_path / "blocks" / "scales.yaml")
    text = block.read_text(encoding="utf-8")
    block.write_text(text.replace("block: scales", "block: scales\nblock: scales2", 1), encoding="utf-8")
    example["include"] = ["blocks/scales.yaml", "blocks/respondent.yaml", "blocks/demographics.yaml"]
    with pytest.raises(InstrumentError) as info:
        load_instrument(write(example))
    (p,) = [p for p in info.value.problems if p.code == "duplicate-key"]
    assert Path(p.file).resolve() == block.resolve() and p.location == "block"


@pytest.mark.parametrize("written, expected", [("0.10", "0.10"), ("1.0", "1.0"), ("2", "2"), ("1e3", "1e3"),
                                               ("010", "010"), ('"0.10"', "0.10")])
def test_numbers_where_text_belongs_are_read_as_written(write, written, expected):
    text = readme_example_text().replace('version: "0.1.0"', f"version: {written}", 1)
    assert load_instrument(write(text)).version == expected


def test_number_as_translation_is_read_as_written(write):
    text = readme_example_text().replace("name: {zh: 公共精神, en: Public spirit}",
                                         "name: {zh: 公共精神, en: 2.50}", 1)
    inst = load_instrument(write(text))
    assert inst.constructs[0].name.en == "2.50"


def test_readme_example_loads_saved_outside_the_repository(tmp_path):
    # As a pip user would: the README's example in an empty folder, no blocks beside it.
    path = tmp_path / "elsewhere" / "example.yaml"
    path.parent.mkdir()
    path.write_text(readme_example_text(), encoding="utf-8")
    inst = load_instrument(path)
    assert inst.id == "example_identity"
    assert {"agree5", "freq5"} <= set(inst.scales)
    assert all(Path(f).name in ("scales.yaml", "respondent.yaml", "demographics.yaml") for f in inst.includes)


@pytest.mark.parametrize("name", ["govstats:blocks/nothing.yaml", "govstats:../pyproject.toml",
                                  "govstats:../../etc/passwd"])
def test_packaged_include_that_is_no_shipped_block_is_located(tmp_path, name):
    text = readme_example_text().replace("govstats:blocks/demographics.yaml", name, 1)
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    p = _problem(path, "file-not-found")
    assert p.location == "include[2]" and "govstats:blocks/scales.yaml" in p.hint


def test_relative_includes_still_work(write, example):
    example["include"] = ["blocks/scales.yaml", "blocks/respondent.yaml", "blocks/demographics.yaml"]
    inst = load_instrument(write(example))
    assert shutil.os.path.dirname(inst.includes[0]).endswith("blocks")
