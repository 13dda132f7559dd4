"""SEMResults' accessors and printed output against lavaan 0.6.14.

Fixtures: tests/reference/sem/scores/*.json, written by make_scores.R beside them:

- factor scores: ``lavPredict(fit, method = "regression")`` and ``"Bartlett"`` for (a) the
  Holzinger-Swineford CFA, (b) the Political Democracy SEM, (c) the HS CFA by school with equal
  loadings and (d) a MIMIC model (dummy latent variables in lavaan's LISREL form); to 1e-5;
- ``fitted()`` for (a) and (c), ``coef()``, ``vcov()`` (expected information, rtol 1e-4) and
  ``parameterEstimates(level = 0.90)`` for (a) and (b);
- the printed ``summary(fit, fit.measures = TRUE, standardized = TRUE)`` of thirteen fits: the same
  lines, with the same layout, as lavaan's, numbers to the printed 3 decimals (+-0.001 for
  rounding); only the first line (program, version, iterations) and "Optimization method" differ.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import fit
from govstats.sem.summary import abbreviate, width

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "sem" / "scores"
REPO = Path(__file__).resolve().parents[2]
SCORE_CASES = {"hs_cfa": {}, "poldem_sem": {},
               "hs_cfa_school_loadings": {"group": "school", "group_equal": ["loadings"]}, "hs_mimic": {}}
SUMMARIES = json.loads((REFERENCE / "summaries.json").read_text(encoding="utf-8"))["cases"]
HS = REPO / "tests" / "reference" / "data" / "HolzingerSwineford1939.csv"


def reference(case: str) -> dict:
    return json.loads((REFERENCE / f"{case}.json").read_text(encoding="utf-8"))


_FITS: dict = {}


def fitted_case(case: str):
    """(lavaan's fixture, data, govstats fit) of a score case, fitted once."""
    if case not in _FITS:
        ref = reference(case)
        data = pd.read_csv(REPO / ref["data_file"])
        _FITS[case] = ref, data, fit(ref["model"], data, **SCORE_CASES[case])
    return _FITS[case]


def matrix(entry: dict) -> pd.DataFrame:
    return pd.DataFrame(entry["values"], index=entry.get("rownames"), columns=entry["colnames"])


# -- factor scores -----------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["regression", "bartlett"])
@pytest.mark.parametrize("case", list(SCORE_CASES))
def test_factor_scores_match_lavpredict(case, method):
    ref, data, res = fitted_case(case)
    scores = res.predict(data, method=method)
    assert list(scores.index) == list(data.index)
    lv = ref["lv_names"]
    assert [c for c in scores.columns if c != "group"] == lv
    for block in ref["scores"]:
        lav = matrix(block[method])
        rows = np.array(block["case_idx"]) - 1
        np.testing.assert_allclose(scores.iloc[rows][lv].to_numpy(), lav[lv].to_numpy(), atol=1e-5, rtol=0)
        if len(ref["scores"]) > 1:
            assert (scores.iloc[rows]["group"] == ref["group_labels"][block["group"] - 1]).all()


@pytest.mark.parametrize("case", ["hs_cfa", "hs_cfa_school_loadings"])
def test_scores_without_data_are_the_fitted_rows_in_lavaans_order(case):
    ref, data, res = fitted_case(case)
    own = res.predict(method="Bartlett")
    assert len(own) == sum(len(b["case_idx"]) for b in ref["scores"])
    stacked = np.vstack([matrix(b["bartlett"])[ref["lv_names"]].to_numpy() for b in ref["scores"]])
    np.testing.assert_allclose(own[ref["lv_names"]].to_numpy(), stacked, atol=1e-5, rtol=0)
    if len(ref["scores"]) > 1:
        assert list(own.columns) == ["group"] + ref["lv_names"]
        assert own.group.tolist() == [ref["group_labels"][b["group"] - 1] for b in ref["scores"]
                                      for _ in b["case_idx"]]


def test_scores_keep_the_input_rows_with_nan_for_blanks():
    ref, data, res = fitted_case("poldem_sem")
    full = res.predict(data)
    shuffled = data.sample(frac=1.0, random_state=3).set_index(pd.Index([f"r{i}" for i in range(len(data))]))
    shuffled.loc["r5", "y3"] = np.nan
    shuffled["unrelated"] = "text"
    out = res.predict(shuffled)
    assert list(out.index) == list(shuffled.index)
    assert out.loc["r5"].isna().all()
    keep = [k for k in shuffled.index if k != "r5"]
    original = data.sample(frac=1.0, random_state=3).index
    position = dict(zip(shuffled.index, original))
    np.testing.assert_allclose(out.loc[keep].to_numpy(), full.loc[[position[k] for k in keep]].to_numpy(),
                               atol=1e-12)


def test_new_data_are_centred_at_the_fitted_means_without_a_mean_structure():
    # lavaan's computeEY uses the fitted sample's means, not the new data's
    ref, data, res = fitted_case("hs_cfa")
    lav = matrix(ref["scores"][0]["regression"])
    part = res.predict(data.iloc[:20])
    np.testing.assert_allclose(part.to_numpy(), lav.to_numpy()[:20], atol=1e-5, rtol=0)


@pytest.mark.parametrize("method", ["Bartlett", "BARTLETT", "ml", "ML", "Regression", "EBM"])
def test_method_names_are_case_insensitive_with_lavaans_aliases(method):
    ref, data, res = fitted_case("hs_cfa")
    kind = "bartlett" if method.lower() in ("bartlett", "ml") else "regression"
    np.testing.assert_allclose(res.predict(data, method=method).to_numpy(), matrix(ref["scores"][0][kind]).to_numpy(),
                               atol=1e-5, rtol=0)


@pytest.mark.parametrize("method", ["thomson", "", None, 3])
def test_a_bad_method_is_a_value_error_naming_the_choices(method):
    _, data, res = fitted_case("hs_cfa")
    with pytest.raises(ValueError, match=r"The 'method' parameter of predict must be one of \{'regression', "
                                         r"'Bartlett'\}.*Got .* instead\."):
        res.predict(data, method=method)


def test_multigroup_new_data_need_known_groups():
    _, data, res = fitted_case("hs_cfa_school_loadings")
    with pytest.raises(ValueError, match="school"):
        res.predict(data.drop(columns="school"))
    with pytest.raises(ValueError, match="Elsewhere"):
        res.predict(data.assign(school=data.school.where(data.index != 7, "Elsewhere")))
    blank = res.predict(data.assign(school=data.school.where(data.index != 7, None)))
    assert blank.loc[7, ["visual", "textual", "speed"]].isna().all() and blank.drop(index=7).notna().all().all()


def test_ordinal_fit_scores_are_a_clear_error():
    data = pd.read_csv(REPO / "tests" / "reference" / "sem_ordinal" / "hs_binary.csv")
    res = fit("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6", data, ordered=True)
    with pytest.raises(ValueError, match="ordered items .* not available"):
        res.predict(data)


# -- fitted, coef, vcov, conf_int --------------------------------------------------------------
@pytest.mark.parametrize("case", ["hs_cfa", "hs_cfa_school_loadings"])
def test_fitted_matches_lavaan(case):
    ref, _, res = fitted_case(case)
    for block in ref["fitted"]:
        ours = res.fitted(block["group"])
        lav = matrix(block["cov"])
        np.testing.assert_allclose(ours["cov"].loc[lav.index, lav.columns].to_numpy(), lav.to_numpy(), atol=1e-5)
        if block["mean"] is not None:
            mean = pd.Series(block["mean"])
            np.testing.assert_allclose(ours["mean"][mean.index].to_numpy(), mean.to_numpy(), atol=1e-5)


def test_fitted_has_no_zero_means_without_a_mean_structure():
    ref, data, res = fitted_case("hs_cfa")
    assert ref["fitted"][0]["mean"] is None
    out = res.fitted()
    assert "mean" not in out or np.allclose(out["mean"].to_numpy(), data[list(out["cov"].columns)].mean().to_numpy())


@pytest.mark.parametrize("case", ["hs_cfa", "poldem_sem"])
def test_coef_and_vcov_match_lavaan(case):
    ref, _, res = fitted_case(case)
    assert list(res.coef.index) == ref["coef"]["names"]
    np.testing.assert_allclose(res.coef.to_numpy(), ref["coef"]["values"], atol=1e-4, rtol=1e-4)
    vcov = np.array(ref["vcov"]["values"])
    assert list(res.vcov.index) == ref["vcov"]["names"] == list(res.vcov.columns)
    np.testing.assert_allclose(res.vcov.to_numpy(), vcov, rtol=1e-4, atol=1e-4 * np.abs(vcov).max())


@pytest.mark.parametrize("case", ["hs_cfa", "poldem_sem"])
def test_conf_int_matches_parameter_estimates_level_90(case):
    ref, _, res = fitted_case(case)
    lav = pd.DataFrame(ref["params_90"])
    lav = lav[lav.se > 0]
    ours = res.conf_int(0.90)
    assert len(ours) == len(lav)
    joined = ours.merge(lav, on=["lhs", "op", "rhs"], suffixes=("", "_lav"))
    assert len(joined) == len(lav)
    np.testing.assert_allclose(joined.ci_lower, joined["ci.lower"], atol=1e-4)
    np.testing.assert_allclose(joined.ci_upper, joined["ci.upper"], atol=1e-4)


# -- the printed summary -----------------------------------------------------------------------
_NUMBER = re.compile(r"-?\d+\.\d{3}$")


def summary_fit(case: str):
    spec = SUMMARIES[case]
    data = pd.read_csv(REPO / spec["data_file"])
    model = spec.get("model") or (REPO / spec["model_file"]).read_text(encoding="utf-8")
    kwargs = {"hs_cfa_mlr": {"estimator": "MLR"},
              "hs_cfa_school_loadings": {"group": "school", "group_equal": ["loadings"]},
              "hs_binary_wlsmv": {"ordered": True}, "hs_cfa_school_mlr": {"group": "school", "estimator": "MLR"},
              "hs_binary_school_wlsmv": {"group": "school", "ordered": True},
              "ri_asset_cluster": {"cluster": "community_id"},
              "hs_mimic_school_mlr": {"group": "school", "estimator": "MLR", "meanstructure": True},
              "hs_binary_theta_ulsmv": {"ordered": True, "parameterization": "theta", "estimator": "ULSMV"}
              }.get(case, {})
    if case == "hs_cfa_missing":
        data.loc[np.array(spec["blank_x1_rows"]) - 1, "x1"] = np.nan
    if case == "hs_binary_school_wlsmv":
        data["school"] = pd.read_csv(HS).school
    if case == "hs_long_names":
        data = data.rename(columns=spec["rename"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit(model, data, **kwargs)


def comparable(text: str) -> list[str]:
    """The lines to compare: without the program line, without govstats' own warnings block."""
    lines = text.split("\n")
    if "Warnings:" in lines:
        lines = lines[: lines.index("Warnings:")]
    return lines[1:]


def assert_same_line(ours: str, lav: str, where: str):
    a, b = ours.split(), lav.split()
    assert len(a) == len(b), f"{where}:\n  govstats: {ours!r}\n  lavaan:   {lav!r}"
    for x, y in zip(a, b):
        if _NUMBER.match(x) and _NUMBER.match(y):
            assert abs(float(x) - float(y)) <= 0.001 + 1e-9, f"{where}: {x} != {y}\n  {ours}\n  {lav}"
        else:
            assert x == y, f"{where}:\n  govstats: {ours!r}\n  lavaan:   {lav!r}"


@pytest.mark.parametrize("case", list(SUMMARIES))
def test_summary_has_lavaans_lines_and_layout(case):
    assert len(SUMMARIES) == 13
    lav = comparable(SUMMARIES[case]["text"])
    ours = comparable(fit_text := summary_fit(case).summary())
    assert fit_text.startswith("govstats ") and " ended normally after " in fit_text.split("\n")[0]
    assert len(ours) == len(lav), "\n".join(ours)
    after_header = False
    for k, (a, b) in enumerate(zip(ours, lav)):
        if b.startswith("  Optimization method"):
            continue
        assert_same_line(a, b, f"{case} line {k + 2}")
        after_header = after_header or b == "Model Test User Model:"
        if after_header:  # same columns: numbers masked, the rest character for character
            assert re.sub(r"-?\d+\.\d{3}", "#", a) == re.sub(r"-?\d+\.\d{3}", "#", b), f"{case} line {k + 2}"


def test_hs_cfa_summary_parameter_lines_token_by_token():
    """The brief's check, spelled out: same section titles in the same order, and every
    parameter line with the same name and Estimate/Std.Err/z/P/Std.lv/Std.all to 0.001."""
    lav = SUMMARIES["hs_cfa_ml"]["text"].split("\n")
    ours = summary_fit("hs_cfa_ml").summary().split("\n")
    titles = re.compile(r"^[A-Z][A-Za-z ()*]+:$")
    assert [t for t in ours if titles.match(t)] == [t for t in lav if titles.match(t)]
    start = lav.index("Parameter Estimates:")
    pattern = re.compile(r"^ +\.?[A-Za-z]\w*( +-?\d+\.\d{3}){2,6}$")
    lav_params = [line for line in lav[start:] if pattern.match(line)]
    our_params = [line for line in ours[ours.index("Parameter Estimates:"):] if pattern.match(line)]
    assert len(lav_params) == len(our_params) == 24  # 9 loadings, 3 covariances, 12 variances
    for a, b in zip(our_params, lav_params):
        assert_same_line(a, b, "parameter line")


def test_ordinal_summary_has_thresholds_and_scales_sections():
    text = summary_fit("hs_binary_wlsmv").summary()
    for title in ("Thresholds:", "Scales y*:", "Intercepts:", "Variances:"):
        assert f"\n{title}\n" in text
    assert "    x1|t1   " in text and "Shift parameter" in text and "simple second-order correction" in text
    assert re.search(r"Estimator +DWLS\n", text) and "Loglikelihood" not in text


def test_multigroup_summary_has_group_headers_and_lavaan_labels():
    text = summary_fit("hs_cfa_school_loadings").summary()
    assert "\n\nGroup 1 [Pasteur]:\n\nLatent Variables:" in text and "\n\nGroup 2 [Grant-White]:\n" in text
    assert "Number of equality constraints                     6" in text
    assert "    x2      (.p2.)    0.599" in text
    assert text.count("  Test statistic for each group:") == 1


def test_summary_is_str_and_str_of_results():
    res = summary_fit("hs_cfa_ml")
    assert isinstance(res.summary(), str) and str(res) == res.summary()


def test_summary_keeps_warnings_after_the_table():
    res = summary_fit("ri_asset_cluster")
    assert res.warnings_ and res.summary().rstrip().endswith(res.warnings_[-1])


def test_html_renders_cjk_and_escapes_markup():
    data = pd.read_csv(HS)
    data["学校"] = data.school.map({"Pasteur": "巴斯德 & <Co>", "Grant-White": "格兰特学校"})
    res = fit("visual =~ x1 + a*x2 + x3\ntextual =~ x4 + x5 + x6", data, group="学校")
    out = res._repr_html_()
    assert isinstance(out, str)
    assert "巴斯德 &amp; &lt;Co&gt;" in out and "格兰特学校" in out and "<Co>" not in out
    for needle in ("Std.lv", "Std.all", "CFI", "RMSEA", "visual =~ x2", "P(&gt;|z|)"):
        assert needle in out
    text = res.summary()
    group_rows = [line for line in text.split("\n") if line.startswith(("    巴斯德", "    格兰特"))]
    assert len(group_rows) == 4  # observations and test statistic per group
    assert len({width(line) for line in group_rows}) == 1  # aligned by display width


def test_abbreviate_is_rs():
    # R 4.x: abbreviate(c("loading1", "loading2", ".p12.", "", "lambda_two", "l3", "a"), 4) and
    # abbreviate(x, 14 / 8, strict = TRUE)
    assert abbreviate(["loading1", "loading2", ".p12.", "", "lambda_two", "l3", "a"], 4) == \
        ["ldn1", "ldn2", ".12.", "", "lmb_", "l3", "a"]
    cases = {"averyveryverylongname": ("avryvryvrylngn", "avryvryv"),
             "perception_item_01": ("perceptn_tm_01", "prcp__01"),
             "visual_perception": ("visual_percptn", "vsl_prcp"),
             "Satisfaction overall": ("Satisfctnovrll", "Stsfctno"),
             "ABCDEFGHIJKLMNOPQ": ("ABCDEFGHIJKLMN", "ABCDEFGH"),
             "x_very_long_variable_name": ("x_vry_lng_vrb_", "x_vry___"),
             "textual_ability": ("textual_abilty", "txtl_blt")}
    for name, (w14, w8) in cases.items():
        assert abbreviate([name], 14, strict=True) == [w14]
        assert abbreviate([name], 8, strict=True) == [w8]
