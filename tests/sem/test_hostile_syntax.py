"""Hostile and mistyped model syntax and estimation inputs: each gets lavaan's verdict or a clearer
one, located by line, column or row, never a Python error from deep inside the numerics.

lavaan 0.6.14's verdicts, for comparison (Rscript, data as ``_data()`` below):

    cfa("# only a comment\\n", d)            # "model does not contain lavaan syntax (no operators found)"
    cfa("x1 =~ x2 + x3 + y1", d)            # "some latent variable names collide with observed variable names: x1"
    cfa("F =~ x1 + x2 + zz", d)             # "missing observed variables in dataset: zz"
    cfa("F =~ x1 ＋ x2 ＋ x3", d)            # R's parser: "unexpected input"
    cfa("F ＝～ x1 + x2 + x3", d)            # "model does not contain lavaan syntax (no operators found)"
    cfa("因子 =~ 题1 + 题2 + 题3", dc)        # fits: Chinese names are names
    cfa("F =~ 1e400*x1 + x2 + x3", d)       # warns "some starting values are non-finite" and fits garbage
    cfa(model, d, cluster = "one_value")    # "infinite or missing values in 'x'"
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govstats import fit
from govstats.errors import DataError
from govstats.sem.syntax import ModelSyntaxError, parse_model

MODEL = "F =~ x1 + x2 + x3\nG =~ y1 + y2 + y3\n"


def _data(n: int = 300, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 2))
    cols = {f"x{k}": f[:, 0] + 0.7 * rng.normal(size=n) for k in (1, 2, 3)}
    cols |= {f"y{k}": 0.5 * f[:, 0] + f[:, 1] + 0.7 * rng.normal(size=n) for k in (1, 2, 3)}
    return pd.DataFrame(cols)


def _ordinal(n: int = 300) -> pd.DataFrame:
    return _data(n).apply(lambda c: np.clip(np.round(c + 3), 1, 5)).astype(int)


@pytest.mark.parametrize("text", ["# only a comment\n! and another\n", "\n\n  # indented\n", "; ; ;"])
def test_comments_only_is_lavaans_verdict(text):
    with pytest.raises(ModelSyntaxError, match="no lavaan syntax \\(no operators found\\)"):
        parse_model(text)


@pytest.mark.parametrize(("line", "char", "ascii_"), [
    ("F =~ x1 ＋ x2 ＋ x3", "＋", "F =~ x1 + x2 + x3"),
    ("F ＝～ x1 + x2 + x3", "＝", "F =~ x1 + x2 + x3"),
    ("F =〜 x1 + x2 + x3", "〜", "F =~ x1 + x2 + x3"),
    ("y1 ～～ y2", "～", "y1 ~~ y2"),
    ("F =~ x1 + c（a, b）*x2 + x3", "（", "F =~ x1 + c(a, b)*x2 + x3"),
    ("F =~ x1 + x2 + x3；G =~ y1 + y2", "；", "F =~ x1 + x2 + x3;G =~ y1 + y2"),
])
def test_full_width_operators_name_the_line_and_the_ascii_spelling(line, char, ascii_):
    with pytest.raises(ModelSyntaxError) as info:
        parse_model("G =~ y1 + y2 + y3\n" + line + "\n")
    message = str(info.value)
    assert message.startswith("line 2:")
    assert f"'{char}'" in message and f"'{ascii_}'" in message


def test_full_width_characters_in_a_comment_are_fine():
    formulas = parse_model("F =~ x1 + x2 + x3  # 因子：社区认同（三题）\n")
    assert [f.terms[0].name for f in formulas] == ["x1", "x2", "x3"]


def test_chinese_names_fit_as_their_ascii_twins():
    data = _data()
    chinese = data.rename(columns={"x1": "认同1", "x2": "认同2", "x3": "认同3"})
    ours = fit("社区认同 =~ 认同1 + 认同2 + 认同3\nG =~ y1 + y2 + y3", chinese)
    ascii_ = fit(MODEL, data)
    np.testing.assert_allclose(ours.params["est"].to_numpy(), ascii_.params["est"].to_numpy(), rtol=1e-10)
    assert "社区认同" in set(ours.params["lhs"]) and "认同2" in set(ours.params["rhs"])
    assert ours.fit_measures["chisq"] == pytest.approx(ascii_.fit_measures["chisq"])


def test_chinese_labels_and_group_partial_names():
    data = _data()
    res = fit("F =~ x1 + 甲*x2 + 甲*x3\nG =~ y1 + y2 + y3", data)
    loadings = res.params.query("op == '=~' and rhs in ['x2', 'x3']")["est"]
    assert loadings.nunique() == 1


@pytest.mark.parametrize("model", [
    "F =~ 1e400*x1 + x2 + x3",
    "F =~ x1 + x2 + x3\nx1 ~~ -1e999*x1",
    "F =~ x1 + start(1e400)*x2 + x3",
    "F =~ x1 + c(1, 1e400)*x2 + x3",
])
def test_non_finite_fixed_or_start_values_are_refused_with_the_line(model):
    line = model.count("\n") + 1
    with pytest.raises(ModelSyntaxError, match=f"^line {line}: the (fixed|start) value '.*' is not a finite number"):
        parse_model(model)


@pytest.mark.parametrize("value", ["1e200", "-1e151", "1e308"])
def test_fixed_values_whose_square_overflows_are_refused(value):
    with pytest.raises(ModelSyntaxError, match=f"^line 1: the fixed value '{value}' is too large to compute with"):
        parse_model(f"F =~ {value}*x1 + x2 + x3")


def test_large_but_computable_fixed_values_are_read():
    assert parse_model("F =~ 1e150*x1 + x2")[0].terms[0].fixed == [1e150]


@pytest.mark.parametrize(("model", "line"), [
    ("x1 =~ x2 + x3 + y1", 1),
    ("F =~ x1 + x2 + x3\nx1 =~ y1 + y2 + y3", 2),
])
def test_a_latent_named_like_a_column_is_refused_as_lavaan_does(model, line):
    with pytest.raises(ModelSyntaxError, match=f"'x1' \\(line {line}\\) are also columns of the data.*lavaan refuses"):
        fit(model, _data())


def test_a_latent_named_like_an_unused_column_is_refused_too():
    # lavaan compares with every column of the data, used by the model or not
    data = _data().assign(H=1.0)
    with pytest.raises(ModelSyntaxError, match="'H' \\(line 2\\)"):
        fit("F =~ x1 + x2 + x3\nH =~ y1 + y2 + y3", data)


def test_unknown_variables_are_named():
    with pytest.raises(ValueError, match="no column\\(s\\) \\['zz'\\]"):
        fit("F =~ x1 + x2 + zz", _data())


def test_a_single_cluster_is_a_clear_error():
    data = _data().assign(community=7)
    with pytest.raises(DataError, match="cluster column 'community' has 1 cluster"):
        fit(MODEL, data, estimator="MLR", cluster="community")


def test_infinite_values_name_the_column_and_the_row():
    data = _data()
    data.loc[5, "x2"] = np.inf
    data.loc[9, "y3"] = -np.inf
    with pytest.raises(DataError, match="Column 'x2' has an infinite value \\(inf\\) in row 5 .*line 7.*'y3' row 9"):
        fit(MODEL, data)


def test_infinite_values_in_ordered_items_are_located_before_the_polychorics():
    data = _ordinal().astype(float)
    data.loc[3, "x1"] = np.inf
    with pytest.raises(DataError, match="Column 'x1' has an infinite value \\(inf\\) in row 3"):
        fit(MODEL, data, ordered=True)


def test_wlsmv_with_fewer_respondents_than_items_is_a_clear_error():
    data = _ordinal().iloc[[0, 1, 2, 3, 5]]
    with pytest.raises(DataError, match="Only 5 respondents for 6 ordered items"):
        fit(MODEL, data, ordered=True)


def test_data_errors_are_still_value_errors_for_old_callers():
    data = _data().assign(community=7)
    with pytest.raises(ValueError):
        fit(MODEL, data, cluster="community")


@pytest.mark.parametrize(("estimator", "instead"), [("WLSMV", "DWLS"), ("ULSMV", "ULS")])
def test_wlsmv_on_continuous_data_names_the_alternatives(estimator, instead):
    # lavaan fits continuous data by WLSMV (DWLS estimates, robust.sem SEs, scaled-shifted test);
    # this version refuses it and names what gives the same estimates or robust inference
    with pytest.raises(ValueError, match=f"estimator='{instead}' \\(the same estimates.*estimator='MLR'"):
        fit(MODEL, _data(), estimator=estimator)


@pytest.mark.parametrize("model", ["F =~ F", "F =~ x1 + F + x2"])
def test_a_latent_measured_by_itself_is_refused_as_lavaan_does(model):
    with pytest.raises(ModelSyntaxError, match="^line 1: .*cannot be measured by itself"):
        parse_model(model)


def test_a_model_without_observed_variables_is_refused():
    # lavaan: "ov.names is empty: model does not refer to any observed variables"
    with pytest.raises(ModelSyntaxError, match="refers to no observed variable"):
        parse_model("F <~ G\nG =~ F2\nF2 =~ G")


def test_a_one_variable_model_has_lavaans_fit_measures():
    # lavaan 0.6.14, sem("x1 ~ 1", d): chisq 0, df 0, cfi 1, pnfi NA (its baseline has no df)
    res = fit("x1 ~ 1", _data())
    assert res.fit_measures["df"] == 0 and res.fit_measures["cfi"] == 1.0
    assert np.isnan(res.fit_measures["pnfi"])
