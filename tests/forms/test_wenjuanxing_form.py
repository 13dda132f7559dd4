"""The Wenjuanxing import text: parsed by the importer's rules, it is the XLSForm's questionnaire.

The rules are those of Wenjuanxing's batch text import (its editor script ``generateQs``):
questions separated by blank lines, a first line ``N. title[type]``, one option a line (a line
with spaces would be split into several options), a matrix's column options on one line
separated by spaces and one row a line after it.
"""

from __future__ import annotations

import re

import pytest
import yaml

from govstats import load_instrument
from govstats.cli import main
from govstats.errors import FormError
from govstats.forms import xlsform
from govstats.forms.wenjuanxing import IDEOGRAPHIC_SPACE, wenjuanxing_notes, wenjuanxing_questions, wenjuanxing_text
from govstats.resources import SEED_INSTRUMENTS, seed_instrument_path

TITLE = re.compile(r"^(\d+)\. (.+)\[(单选题|多选题|填空题|矩阵单选题)\]$")


def parse(text: str) -> list[dict]:
    """The questions as the importer reads them (the rules it applies to such text)."""
    questions = []
    for block in text.strip("\n").split("\n\n"):
        lines = block.split("\n")
        m = TITLE.match(lines[0])
        assert m, lines[0]
        q = {"number": int(m.group(1)), "title": m.group(2), "type": m.group(3)}
        for line in lines[1:]:
            assert line.strip() and "___" not in line
        if q["type"] == "矩阵单选题":
            q["options"] = re.split(r"[ \t]+", lines[1])
            q["rows"] = lines[2:]
        else:
            for line in lines[1:]:
                assert not re.search(r"[ \t]", line), f"the importer would split {line!r}"
            q["options"] = lines[1:]
        questions.append(q)
    return questions


def labels(text: str) -> str:
    return text.replace(IDEOGRAPHIC_SPACE, " ")


@pytest.mark.parametrize("name", SEED_INSTRUMENTS)
def test_the_text_is_the_xlsform_questionnaire(name):
    inst = load_instrument(seed_instrument_path(name))
    parsed = parse(wenjuanxing_text(inst))
    layout = wenjuanxing_questions(inst)
    assert [q["number"] for q in parsed] == list(range(1, len(parsed) + 1)) == [q.number for q in layout]
    form = xlsform(inst)
    asked = [r for r in form["survey"] if r["type"].split()[0] in
             ("select_one", "select_multiple", "integer", "decimal", "text", "date")]
    choices = {}
    for c in form["choices"]:
        choices.setdefault(c["list_name"], []).append(c["label::中文 (zh)"])
    # the same questions, in the same order, with the same wording and options in the same order
    from_text = []
    for q, lay in zip(parsed, layout):
        if q["type"] == "矩阵单选题":
            from_text += [(column, row, q["options"]) for (column, _), row in zip(lay.rows, q["rows"])]
        else:
            from_text.append((lay.column, q["title"], q["options"]))
    from_form = [(r["name"], r["label::中文 (zh)"],
                  choices.get(r["type"].split()[1], []) if " " in r["type"] else []) for r in asked]
    assert [(n, t, [labels(o) for o in opts]) for n, t, opts in from_text] == from_form
    kinds = {"single_choice": "单选题", "multiple_choice": "多选题"}
    for q, lay in zip(parsed, layout):
        if lay.kind != "matrix":
            v = next(r for r in asked if r["name"] == lay.column)
            assert q["type"] == kinds.get({"select_one": "single_choice", "select_multiple": "multiple_choice"}
                                          .get(v["type"].split()[0], ""), "填空题")


def test_matrix_and_notes_of_ri_element():
    inst = load_instrument(seed_instrument_path("ri_element"))
    text = wenjuanxing_text(inst)
    assert "7. 请根据您的实际看法，选择您对下列每种说法的同意程度。[矩阵单选题]\n非常不同意 比较不同意 一般 比较同意 非常同意\n" \
           "我们社区可供居民使用的活动场地比较充足。\n" in text
    notes = wenjuanxing_notes(inst)
    assert notes[0] == "问卷标题：社区资源整合调查（要素视角）"
    assert "第15题：设置题目关联，仅当第5题选择“社区居委会/党组织工作人员”或“网格员”时显示。" in notes
    assert "第17题：填写限制设为整数，最小值18，最大值100。" in notes
    assert "第17题：打开“此题必答”（填空题导入后默认不必答）。" in notes


def _instrument_with(tmp_path, choices):
    doc = yaml.safe_load(seed_instrument_path("grid_governance").read_text(encoding="utf-8"))
    doc["include"] = [f"govstats:{path}" for path in doc["include"]]
    doc.setdefault("questions", []).append({
        "id": "channel", "type": "single_choice", "placement": "end",
        "text": {"zh": "您最常用哪种方式联系网格员？", "en": "How do you most often contact your grid worker?"},
        "choices": [{"code": k + 1, "zh": zh, "en": f"Option {k + 1}"} for k, zh in enumerate(choices)]})
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_instrument(path)


def test_labels_with_spaces_keep_one_option_and_read_back(tmp_path):
    inst = _instrument_with(tmp_path, ["打 电话", "微信"])
    text = wenjuanxing_text(inst)
    assert f"打{IDEOGRAPHIC_SPACE}电话\n微信" in text
    parse(text)


@pytest.mark.parametrize("label", ["①电话", "A类渠道", "1.电话 2.微信"])
def test_labels_the_importer_would_split_are_refused(tmp_path, label):
    inst = _instrument_with(tmp_path, [label, "其他"])
    with pytest.raises(FormError, match="Wenjuanxing's text import would split it"):
        wenjuanxing_text(inst)


def test_the_command_writes_the_text_and_says_what_to_set(tmp_path, capsys):
    out = tmp_path / "q.txt"
    path = seed_instrument_path("ri_element")
    assert main(["form", str(path), "--format", "wenjuanxing", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == wenjuanxing_text(load_instrument(path))
    printed = capsys.readouterr().out
    assert "批量添加题目" in printed and "第15题：设置题目关联" in printed
