"""SPSS and Stata export: labels and value labels read back with pyreadstat equal the instrument's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from forms_support import SYNTHETIC, seed, with_missing_codes

from govstats import load_instrument, simulate
from govstats.forms import export_responses, variables, write_spss
from govstats.forms.spss import ELLIPSIS, LIMITS
from govstats.resources import SEED_INSTRUMENTS

READ = {"sav": pyreadstat.read_sav, "dta": pyreadstat.read_dta}


def same_or_cut(read_back: str, full: str, limit) -> None:
    """A label comes back whole, or (only when the format cannot hold it) cut and marked."""
    unit, size = limit
    length = len(full.encode("utf-8")) if unit == "bytes" else len(full)
    if length <= size:
        assert read_back == full
    else:
        assert read_back.endswith(ELLIPSIS) and full.startswith(read_back[:-1]) and len(read_back) > 20


@pytest.mark.parametrize("fmt,lang", [("sav", "zh"), ("sav", "en"), ("dta", "zh")])
@pytest.mark.parametrize("name", SEED_INSTRUMENTS)
def test_round_trip_labels(name, fmt, lang, tmp_path):
    inst = seed(name)
    out = export_responses(SYNTHETIC / f"{name}.csv", inst, tmp_path / f"r.{fmt}", format=fmt, lang=lang)
    df, meta = READ[fmt](out)
    assert list(df.columns) == inst.columns() and len(df) == 600
    for v in variables(inst):
        same_or_cut(meta.column_names_to_labels[v.name], v.label.get(lang), LIMITS[fmt]["variable"])
        if v.type == "single_choice":
            want = {c.code: c.label.get(lang) for c in v.choices}
            assert {int(k): lab for k, lab in meta.variable_value_labels[v.name].items()} == want
        else:
            assert v.name not in meta.variable_value_labels
    if fmt == "sav":
        measure = meta.variable_measure
        assert all(measure[i.id] == "ordinal" for i in inst.items)
        assert measure["gender"] == "nominal" and measure["age"] == "scale" and measure["education"] == "ordinal"
        assert meta.file_label == f"{name} {inst.version}"


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_values_survive(fmt, tmp_path):
    csv = pd.read_csv(SYNTHETIC / "ri_asset_messy.csv")
    inst = seed("ri_asset")
    out = export_responses(SYNTHETIC / "ri_asset_messy.csv", inst, tmp_path / f"m.{fmt}", format=fmt)
    df, _ = READ[fmt](out)
    for col in [i.id for i in inst.items] + ["age", "respondent_id"]:
        np.testing.assert_array_equal(df[col].to_numpy(dtype=float), csv[col].to_numpy(dtype=float))
    assert df["start_time"].tolist() == csv["start_time"].tolist()
    assert int(df[[i.id for i in inst.items]].isna().sum().sum()) == int(csv[[i.id for i in inst.items]].isna().sum().sum()) > 0


def test_chinese_text_and_multiple_choice_survive(tmp_path):
    inst = seed("ri_element")
    data = pd.read_csv(SYNTHETIC / "ri_element.csv", dtype="str", keep_default_na=False, na_values=[""])
    data["district"] = "浦东新区"
    out = write_spss(data, inst, tmp_path / "e.sav")
    df, meta = pyreadstat.read_sav(out)
    assert set(df["district"]) == {"浦东新区"}
    assert df["integration_mode"].fillna("").tolist() == data["integration_mode"].fillna("").tolist()
    assert meta.column_names_to_labels["integration_mode"] == inst.question("integration_mode").text.zh


def test_missing_codes_are_user_missing(example, write, tmp_path):
    inst = load_instrument(write(with_missing_codes(example)))
    data = simulate(inst, 10, seed=2).responses
    data.loc[0, "PS1"] = 9
    out = write_spss(data, inst, tmp_path / "dk.sav")
    df, meta = pyreadstat.read_sav(out, user_missing=True)
    assert meta.missing_ranges["PS1"] == [{"lo": 9.0, "hi": 9.0}]
    assert meta.variable_value_labels["PS1"][9.0] == "不清楚" and df.loc[0, "PS1"] == 9
    assert pd.isna(pyreadstat.read_sav(out)[0].loc[0, "PS1"])  # missing for analysis


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_same_data_same_bytes(fmt, tmp_path):
    inst = seed("grid_governance")
    a = export_responses(SYNTHETIC / "grid_governance.csv", inst, tmp_path / f"a.{fmt}", format=fmt).read_bytes()
    b = export_responses(SYNTHETIC / "grid_governance.csv", inst, tmp_path / f"b.{fmt}", format=fmt).read_bytes()
    assert a == b
    stamp = b"01 Jan 70" if fmt == "sav" else b"01 Jan 1970 00:00"
    assert stamp in a[:400]


def test_bad_values_and_arguments(tmp_path):
    inst = seed("ri_asset")
    data = pd.read_csv(SYNTHETIC / "ri_asset.csv", dtype="str")
    data.loc[3, "IC1"] = "agree"
    with pytest.raises(ValueError, match=r"Column 'IC1' must hold numbers .* \['agree'\] at rows \[3\]"):
        write_spss(data, inst, tmp_path / "x.sav")
    with pytest.raises(ValueError, match="The 'format' parameter must be one of"):
        write_spss(data, inst, tmp_path / "x.por", format="por")
    assert data.loc[3, "IC1"] == "agree"  # the input is not changed
