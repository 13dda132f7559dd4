"""govstats.multilevel_regression against lme4 1.1.31 (tests/reference/multilevel/regression.json).

R (make_fixtures.R): lmer(..., REML = TRUE / FALSE, optimizer = "bobyqa") on
- the construct scores of data/synthetic/ri_asset_messy.csv (mean of the four items, NA unless all
  answered; PS4 reversed), IC and PS split into community means (_cm) and deviations (_cwc):
  GR ~ IC_cwc + IC_cm + PS_cwc + (1 | community_id);
- crosslevel.csv (40 communities with a true random slope, made by the script):
  y ~ x * w + (1 + x | community_id), a random slope and a cross-level interaction x:w.
The script computes Nakagawa's R2 from lme4's estimates: var_f = var(X b) (n - 1), var_r =
mean(rowSums((Z %*% T) * Z)) (Johnson 2014), ICC = var_r / (var_r + sigma2).

Measured worst differences (statsmodels' and lme4's optimizers stop at slightly different points):
fixed effects 2.2e-6, SEs 4.8e-5 relative, CI bounds 1e-5, variance components 1.4e-4 relative
(ML, random slope), R2 1.4e-5, ICC 2.2e-5, log-likelihood 1.5e-7, AIC/BIC 2.9e-7. Tolerances:
1e-5, 2e-4 relative, 5e-5, 1e-3 relative, 1e-4, 1e-4, 1e-5, 1e-5.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats.measurement.mixed_model import add_cluster_means, multilevel_regression

ROOT = Path(__file__).resolve().parents[2]
REF = ROOT / "tests" / "reference" / "multilevel"
FIXTURES = json.loads((REF / "regression.json").read_text())


@pytest.fixture(scope="module")
def data():
    messy = pd.read_csv(ROOT / "data" / "synthetic" / "ri_asset_messy.csv")
    messy["PS4"] = 6 - messy["PS4"]
    s = pd.DataFrame({c: messy[[f"{c}{i}" for i in range(1, 5)]].mean(axis=1, skipna=False)
                      for c in ("GR", "IC", "PS")})
    s["community_id"] = messy["community_id"]
    return {"intercepts": add_cluster_means(s, ["IC", "PS"]), "slopes": pd.read_csv(REF / "crosslevel.csv")}


@pytest.mark.parametrize("key", [k for k in FIXTURES if k != "versions"])
def test_against_lmer(key, data):
    r = FIXTURES[key]
    m = multilevel_regression(r["fixed"], data[key.split("_")[0]], random=r["random"], reml=r["reml"])
    assert m.converged and m.nobs == r["nobs"] and m.reml == r["reml"]
    terms = [t.replace("(Intercept)", "Intercept") for t in r["terms"]]
    p = m.params.loc[terms]
    np.testing.assert_allclose(p["estimate"], r["estimate"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(p["se"], r["se"], rtol=2e-4)
    np.testing.assert_allclose(p[["ci_lower", "ci_upper"]].to_numpy(), np.array(r["ci"]), rtol=0, atol=5e-5)
    names = np.atleast_1d(r["re_names"]).tolist()
    t = np.array(r["re_cov"], dtype=float).reshape(len(names), len(names))
    names = [n.replace("(Intercept)", "Intercept") for n in names]
    for i, a in enumerate(names):
        assert m.variance.loc[f"var({a})", "estimate"] == pytest.approx(t[i, i], rel=1e-3)
        for j in range(i + 1, len(names)):
            assert m.variance.loc[f"cov({a},{names[j]})", "estimate"] == pytest.approx(t[i, j], rel=1e-3)
    assert m.variance.loc["residual", "estimate"] == pytest.approx(r["sigma2"], rel=1e-3)
    assert [m.r2_marginal, m.r2_conditional] == pytest.approx([r["r2_marginal"], r["r2_conditional"]], abs=1e-4)
    assert [m.icc, m.icc_null] == pytest.approx([r["icc"], r["icc_null"]], abs=1e-4)
    assert m.loglik == pytest.approx(r["loglik"], abs=1e-5)
    if not r["reml"]:
        assert [m.aic, m.bic] == pytest.approx([r["aic"], r["bic"]], abs=1e-5)


def test_blanks_and_unlabelled_rows_are_counted(data):
    d = data["slopes"].copy()
    d.loc[:4, "x"] = np.nan
    d.loc[5:6, "community_id"] = np.nan
    m = multilevel_regression("y ~ x + w", d)
    assert m.nobs == len(d) - 7
    assert any("5 rows with a blank" in n for n in m.notes) and any("2 rows without" in n for n in m.notes)


def test_bad_arguments_name_the_parameter(data):
    d = data["slopes"]
    with pytest.raises(ValueError, match="'formula' parameter of multilevel_regression"):
        multilevel_regression("y x", d)
    with pytest.raises(ValueError, match="'cluster' parameter of multilevel_regression"):
        multilevel_regression("y ~ x", d, cluster="street")
    with pytest.raises(ValueError, match="'random' parameter"):
        multilevel_regression("y ~ x", d, random="  ")
    with pytest.raises(ValueError, match="'reml' parameter"):
        multilevel_regression("y ~ x", d, reml="yes")
    with pytest.raises(ValueError, match="needs two or more"):
        multilevel_regression("y ~ x", d.assign(community_id="C01"))
