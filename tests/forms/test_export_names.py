"""Exports from hostile headers: valid SPSS/Stata names (and which were renamed), Wenjuanxing-style
question-text headers matched to item ids, and texts longer than an Excel cell refused."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from forms_support import seed

from govstats import load_instrument, simulate
from govstats.cli import main
from govstats.errors import FormError, RenamedWarning, ResponsesError
from govstats.forms import export_responses, write_form, write_spss
from govstats.forms.variable_names import is_valid, valid_names

READ = {"sav": pyreadstat.read_sav, "dta": pyreadstat.read_dta}
HOSTILE = ["1、您的年龄", "a" * 70, "名" * 40, "社区 认同", "x-y", "x.y", "_x", "$x", "@x", "#x", "x$", "ALL",
           "with", "x.", "题目（1）", "Q1.满意度", "", "123", "str12", "v1_您的年龄", "认同1", "_n"]


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_every_made_name_is_valid_unique_and_accepted_by_the_format(fmt, tmp_path):
    renamed = valid_names(HOSTILE, fmt)
    final = [renamed.get(n, n) for n in HOSTILE]
    assert all(is_valid(n, fmt) for n in final)
    assert len(set(final)) == len(final)
    assert "认同1" not in renamed and "v1_您的年龄" not in renamed  # valid names are kept
    frame = pd.DataFrame({n: [1.0, 2.0] for n in final})
    (pyreadstat.write_sav if fmt == "sav" else pyreadstat.write_dta)(frame, tmp_path / f"t.{fmt}")
    back, _ = READ[fmt](tmp_path / f"t.{fmt}")
    assert list(back.columns) == final


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_write_spss_renames_says_so_and_keeps_the_old_name_as_label(fmt, tmp_path):
    inst = seed("ri_asset")
    data = simulate(inst, 30, seed=3).responses
    data = data.rename(columns={"street": "1、所在街道", "district": "d" * 70})
    data["with"] = 1
    with pytest.warns(RenamedWarning, match="3 column name\\(s\\).*'1、所在街道' -> 'v1_所在街道'") as caught:
        out = write_spss(data, inst, tmp_path / f"r.{fmt}", format=fmt)
    assert "'with' -> 'with_'" in str(caught[0].message)
    df, meta = READ[fmt](out)
    assert "v1_所在街道" in df.columns and "with_" in df.columns and "street" not in df.columns
    assert meta.column_names_to_labels["v1_所在街道"] == "1、所在街道"
    assert df["v1_所在街道"].tolist() == data["1、所在街道"].tolist()
    assert meta.variable_value_labels["IC1"][5.0] == "非常同意"  # instrument variables untouched


def test_valid_names_give_no_warning(tmp_path):
    inst = seed("ri_asset")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RenamedWarning)
        write_spss(simulate(inst, 10, seed=1).responses, inst, tmp_path / "ok.sav")


def _wenjuanxing(tmp_path, style: str):
    """A Wenjuanxing-like export: headers are the Chinese question texts, numbered or not."""
    inst = seed("ri_asset")
    data = simulate(inst, 25, seed=4).responses
    texts = {q.id: q.text.zh for q in list(inst.items) + list(inst.questions)}
    names = {}
    for k, col in enumerate(data.columns, start=1):
        if col not in texts:
            continue
        if style == "numbered":
            names[col] = f"{k}、{texts[col]}"
        elif style == "matrix" and col in {i.id for i in inst.items}:
            names[col] = f"{k}、请您评价以下说法—{texts[col]}"
        else:
            names[col] = texts[col]
    path = tmp_path / f"wjx_{style}.csv"
    data.rename(columns=names).to_csv(path, index=False, encoding="utf-8-sig")
    return inst, data, path


@pytest.mark.parametrize("style", ["plain", "numbered", "matrix"])
@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_question_text_headers_become_item_ids_with_value_labels(style, fmt, tmp_path):
    inst, data, path = _wenjuanxing(tmp_path, style)
    out = export_responses(path, inst, tmp_path / f"w.{fmt}", format=fmt)
    df, meta = READ[fmt](out)
    items = [i.id for i in inst.items]
    assert set(items) <= set(df.columns)
    assert {int(k): v for k, v in meta.variable_value_labels["IC1"].items()}[1] == "非常不同意"
    np.testing.assert_array_equal(df[items].to_numpy(dtype=float), data[items].to_numpy(dtype=float))
    assert df["respondent_id"].tolist() == data["respondent_id"].astype(str).tolist()


def test_headers_that_match_nothing_are_a_clear_error(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("甲,乙\n1,2\n", encoding="utf-8")
    with pytest.raises(ResponsesError, match="none of the columns of instrument 'ri_asset'"):
        export_responses(path, seed("ri_asset"), tmp_path / "x.sav")


def test_cli_export_of_a_wenjuanxing_file_names_the_matches(tmp_path, capsys):
    _, _, path = _wenjuanxing(tmp_path, "numbered")
    code = main(["export", str(path), "--instrument", str(seed("ri_asset").source), "-o", str(tmp_path / "w.sav")])
    out = capsys.readouterr()
    assert code == 0 and "Traceback" not in out.err
    assert "51 column(s) named by their item id" in out.out and "-> role" in out.out


def test_cli_export_hostile_names_warn_once_without_traceback(tmp_path, capsys):
    inst = seed("ri_asset")
    data = simulate(inst, 10, seed=1).responses.rename(columns={"street": "1、街道"})
    data.to_csv(tmp_path / "r.csv", index=False)
    code = main(["export", str(tmp_path / "r.csv"), "--instrument", str(inst.source), "--format", "dta",
                 "-o", str(tmp_path / "r.dta")])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err
    assert err.count("warning: 1 column name(s) are not valid Stata variable names") == 1
    assert ".py:" not in err  # no source file and line


def test_a_question_longer_than_an_excel_cell_is_refused_not_cut(example, write, tmp_path):
    example["constructs"][0]["items"][0]["text"]["zh"] = "很长的问题" * 7000  # 35,000 characters
    inst = load_instrument(write(example))
    with pytest.raises(FormError, match="longer than the 32,767 characters an Excel cell holds.*35,000 characters"):
        write_form(inst, tmp_path / "form.xlsx", format="xlsform")
    assert not (tmp_path / "form.xlsx").exists()
