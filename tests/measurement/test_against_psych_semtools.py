"""govstats.measurement against psych 2.2.9 / semTools 0.5.6 / lavaan 0.6-14.

Fixtures: tests/reference/measurement/make_fixtures.R (run from the repository root), on
HolzingerSwineford1939 (x1-x9, three factors) and the committed synthetic ri_asset.csv (42 items,
10 factors, PS4 reverse-keyed) and grid_governance.csv (30 items, 7 factors, ID5 and QE5 reversed).

R calls, per construct after reversing reverse-keyed items (max + min - code):
  psych::alpha(x)                                 alpha, total$ase, feldt, item.stats, alpha.drop
  compRelSEM(cfa("F =~ ...", std.lv = TRUE))      omega (observed total variance)
  compRelSEM(full, obs.var = FALSE); AVE(full)    CR and AVE of the correlated-factors CFA
  htmt(model, x, htmt2 = FALSE / TRUE)            HTMT, HTMT2
and on the items as answered:
  psych::KMO(x); psych::cortest.bartlett(cor(x), n = nrow(x))
  psych::fa(x, k, fm = "minres" | "ml", rotate = "oblimin" | "varimax" | "promax" | "geominQ" | "none")
  psych::principal(x, k, rotate = "none")
  set.seed(1); psych::fa.parallel(x, fm = "minres", fa = "both", n.iter = 20)

The issue asked for 1e-3 on loadings, alpha, omega, CR, AVE, HTMT and KMO. Each tolerance here is
about ten times the worst difference measured over the three data sets, never below 1e-8 absolute
(EXACT) / 1e-7 relative:
- closed forms agree to rounding (< 1e-14): alpha, Feldt CI, item-total r, alpha if deleted,
  HTMT(2), cross-loadings, KMO, Bartlett, principal components, observed eigenvalues of the
  correlation matrix, Harman's first-component share: EXACT;
- alpha's Duhachek CI: 1.4e-6 (psych multiplies by 1.96, we by qnorm(.975)): 2e-5;
- from lavaan's CFA fits (its optimizer's stopping point): omega 3.3e-7 -> 5e-6, omega of the
  full model 6.2e-8 -> 1e-6, CR 7.7e-7 -> 1e-5, AVE 1.3e-6 -> 2e-5, sqrt(AVE) 7.7e-7 -> 1e-5,
  latent correlations 1.2e-6 -> 2e-5, the CFA comparison's chisq 3.2e-11 relative -> 1e-7 and
  cfi/tli/rmsea/srmr 4.1e-8 -> 5e-7;
- from psych::fa's iterative fits (HolzingerSwineford1939 worst): loadings 4.2e-6..8.5e-6 by
  method and rotation -> 5e-5 or 1e-4, communalities and uniquenesses 5.7e-6 -> 1e-4, factor
  correlations 9.6e-7 -> 1e-5, variance accounted for 1.1e-5 -> 2e-4, the reduced (fa)
  eigenvalues 1.1e-6 -> 2e-5, Harman's one-factor share 1.8e-7 -> 2e-6;
- ordinal: lavCor polychorics 3.7e-8 -> 5e-7, ordinal alpha 3.2e-9 -> 5e-8, ordinal omega
  8.7e-7 -> 1e-5, fa loadings of the polychorics 6.2e-7 -> 1e-5, their KMO 1.7e-9 -> 2e-8.
The simulated eigenvalues of parallel analysis keep their distributional tolerances (see there).
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from govstats import load_instrument
from govstats.measurement import efa, harman, reliability, validity
from govstats.resources import seed_instrument_path

ROOT = Path(__file__).resolve().parents[2]
REF = ROOT / "tests" / "reference" / "measurement"
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
DATASETS = {
    "HolzingerSwineford1939": (ROOT / "tests/reference/data/HolzingerSwineford1939.csv", lambda: HS_MODEL),
    "ri_asset": (ROOT / "data/synthetic/ri_asset.csv", lambda: load_instrument(seed_instrument_path("ri_asset"))),
    "grid_governance": (ROOT / "data/synthetic/grid_governance.csv",
                        lambda: load_instrument(seed_instrument_path("grid_governance"))),
}
EXACT = 1e-8  # closed forms: measured < 1e-14


def matrix(m):
    return pd.DataFrame(np.array(m["values"], dtype=float), index=m["rows"], columns=m["cols"])


def aligned(ours: pd.DataFrame, theirs: pd.DataFrame) -> np.ndarray:
    """Our loadings with columns reordered and re-signed to best match R's (factor order and sign
    are arbitrary in EFA)."""
    a, b = ours.to_numpy(), theirs.to_numpy()
    k = b.shape[1]
    c = np.corrcoef(b.T, a.T)[:k, k:]
    rows, cols = linear_sum_assignment(-np.abs(c))
    return a[:, cols] * np.sign(c[rows, cols])


ORDINAL = ["ri_asset", "grid_governance"]  # five-point items; HolzingerSwineford1939's are continuous


def _load(name):
    path, model = DATASETS[name]
    ref = json.loads((REF / f"{name}.json").read_text(encoding="utf-8"))
    df = pd.read_csv(path)
    m = model()
    return {"name": name, "ref": ref, "df": df, "model": m, "rel": reliability(m, df)}


@pytest.fixture(scope="module", params=list(DATASETS))
def case(request):
    return _load(request.param)


@pytest.fixture(scope="module", params=ORDINAL)
def ordinal_case(request):
    return _load(request.param)


def test_fixtures_have_polychorics_exactly_for_ordinal_data():
    for name in DATASETS:
        ref = json.loads((REF / f"{name}.json").read_text(encoding="utf-8"))
        assert ("polychoric" in ref) == (name in ORDINAL), name


def test_fixtures_record_versions(case):
    v = case["ref"]["versions"]
    assert v["psych"] == "2.2.9" and v["semTools"] == "0.5.6" and v["lavaan"] == "0.6.14"


def test_alpha_and_ci_match_psych(case):
    t = case["rel"].table
    for cid, r in case["ref"]["reliability"].items():
        assert t.loc[cid, "alpha"] == pytest.approx(r["alpha"], abs=EXACT)
        # psych: alpha +- 1.96 ase (we use qnorm(.975); differs by up to 1.4e-6 here)
        assert t.loc[cid, "alpha_ci_lower"] == pytest.approx(r["alpha_ci_duhachek"][0], abs=2e-5)
        assert t.loc[cid, "alpha_ci_upper"] == pytest.approx(r["alpha_ci_duhachek"][1], abs=2e-5)
        assert t.loc[cid, "alpha_feldt_lower"] == pytest.approx(r["alpha_ci_feldt"][0], abs=EXACT)
        assert t.loc[cid, "alpha_feldt_upper"] == pytest.approx(r["alpha_ci_feldt"][1], abs=EXACT)


def test_item_total_and_alpha_if_deleted_match_psych(case):
    items = case["rel"].items
    for cid, r in case["ref"]["reliability"].items():
        ours = items[items.construct == cid].set_index("item").loc[r["items"]]
        np.testing.assert_allclose(ours["r_drop"], r["r_drop"], atol=EXACT)
        np.testing.assert_allclose(ours["raw_r"], r["raw_r"], atol=EXACT)
        np.testing.assert_allclose(ours["alpha_if_deleted"], r["alpha_if_deleted"], atol=EXACT)


def test_omega_cr_ave_match_semtools(case):
    t = case["rel"].table
    for cid, r in case["ref"]["reliability"].items():
        assert t.loc[cid, "omega"] == pytest.approx(r["omega"], abs=5e-6), cid  # measured 3.3e-7
        assert t.loc[cid, "omega_model"] == pytest.approx(r["omega_model"], abs=1e-6), cid  # 6.2e-8
        assert t.loc[cid, "cr"] == pytest.approx(r["cr"], abs=1e-5), cid  # measured 7.7e-7
        assert t.loc[cid, "ave"] == pytest.approx(r["ave"], abs=2e-5), cid  # measured 1.3e-6


def test_htmt_and_htmt2_match_semtools(case):
    v = case["rel"].validity
    for key, ours in (("htmt", v.htmt), ("htmt2", v.htmt2)):
        ref = matrix(case["ref"]["validity"][key])
        np.testing.assert_allclose(ours.loc[ref.index, ref.columns], ref, atol=EXACT)


def test_fornell_larcker_uses_lavaan_latent_correlations_and_sqrt_ave(case):
    fl = case["rel"].validity.fornell_larcker
    cor = matrix(case["ref"]["validity"]["cor_lv"])
    ids = list(cor.index)
    for i, a in enumerate(ids):
        assert fl.loc[a, a] == pytest.approx(np.sqrt(case["ref"]["reliability"][a]["ave"]), abs=1e-5)  # 7.7e-7
        for b in ids[i + 1:]:
            assert fl.loc[a, b] == pytest.approx(cor.loc[a, b], abs=2e-5)  # measured 1.2e-6


def test_cross_loadings_are_item_score_correlations(case):
    cl = case["rel"].validity.cross_loadings
    ref = matrix(case["ref"]["validity"]["cross_loadings"])
    np.testing.assert_allclose(cl.loc[ref.index, ref.columns], ref, atol=1e-8)
    assert cl["highest_own"].all()


@pytest.fixture(scope="module")
def efas(case):
    e = case["ref"]["efa"]
    items = e["minres_oblimin"]["loadings"]["rows"]
    return e, case["df"][items], items


def test_kmo_and_bartlett_match_psych(case, efas):
    e, x, items = efas
    res = efa(x, n_factors=e["n_factors"])
    assert res.kmo == pytest.approx(e["kmo"], abs=EXACT)
    np.testing.assert_allclose(res.kmo_items.loc[items], [e["kmo_items"][i] for i in items], atol=EXACT)
    assert res.bartlett["chisq"] == pytest.approx(e["bartlett"]["chisq"], rel=1e-7)  # measured 5e-16
    assert res.bartlett["df"] == e["bartlett"]["df"]


# about ten times the worst difference measured over the three data sets (in the comment)
LOADINGS_TOL = {"minres_oblimin": 1e-4,  # 5.0e-6
                "ml_oblimin": 1e-4,  # 7.2e-6 (grid_governance)
                "minres_varimax": 5e-5,  # 4.2e-6
                "minres_none": 1e-4,  # 5.5e-6
                "minres_promax": 5e-5,  # 4.4e-6
                "minres_geominQ": 1e-4,  # 8.5e-6
                "principal_none": EXACT}  # 5.3e-14: eigenvectors, no iteration


@pytest.mark.parametrize("method,rotation,key", [("minres", "oblimin", "minres_oblimin"),
                                                  ("ml", "oblimin", "ml_oblimin"),
                                                  ("minres", "varimax", "minres_varimax"),
                                                  ("minres", None, "minres_none"),
                                                  ("minres", "promax", "minres_promax"),
                                                  ("minres", "geomin", "minres_geominQ"),
                                                  ("principal", None, "principal_none")])
def test_loadings_match_psych_fa(case, efas, method, rotation, key):
    e, x, items = efas
    res = efa(x, n_factors=e["n_factors"], method=method, rotation=rotation)
    ref = matrix(e[key]["loadings"])
    np.testing.assert_allclose(aligned(res.loadings.loc[items], ref), ref, atol=LOADINGS_TOL[key])
    # psych's own order and signs are reproduced, not only up to alignment
    np.testing.assert_allclose(res.loadings.loc[items].to_numpy(), ref, atol=LOADINGS_TOL[key])


def test_communalities_phi_variance_match_psych_fa(case, efas):
    e, x, items = efas
    res = efa(x, n_factors=e["n_factors"])
    ref = e["minres_oblimin"]
    # measured 5.7e-6, 5.7e-6, 9.6e-7, 1.1e-5 (HolzingerSwineford1939; the others within 6.3e-7)
    np.testing.assert_allclose(res.communalities.loc[items], [ref["communalities"][i] for i in items], atol=1e-4)
    np.testing.assert_allclose(res.uniquenesses.loc[items], [ref["uniquenesses"][i] for i in items], atol=1e-4)
    np.testing.assert_allclose(res.factor_correlations, matrix(ref["phi"]), atol=1e-5)
    v = matrix(ref["vaccounted"])
    np.testing.assert_allclose(res.variance.loc[v.index], v, atol=2e-4)


def test_parallel_analysis(case, efas):
    e, x, items = efas
    res = efa(x)
    p = e["parallel"]
    np.testing.assert_allclose(res.scree["pc_observed"], p["pc_values"], atol=EXACT)  # measured 7e-15
    np.testing.assert_allclose(res.scree["fa_observed"], p["fa_values"], atol=2e-5)  # psych's fa: 1.1e-6
    # simulated eigenvalues come from numpy's generator, not R's: equal in distribution only
    np.testing.assert_allclose(res.scree["pc_simulated"], p["pc_sim"], atol=0.05)
    # The first reduced eigenvalue of noise is heavy-tailed (near-Heywood one-factor fits give
    # values around 1 now and then), so 20-draw means scatter more: psych's own fa.parallel is not
    # reproducible even after set.seed (it simulates through parallel::mclapply); two runs of the R
    # script gave .538 and .491 for HolzingerSwineford1939. Per draw we agree with psych to 1e-6 (checked by hand on five draws).
    np.testing.assert_allclose(res.scree["fa_simulated"].iloc[0], p["fa_sim"][0], atol=0.15)
    np.testing.assert_allclose(res.scree["fa_simulated"].iloc[1:], p["fa_sim"][1:], atol=0.05)
    assert res.n_suggested == p["nfact"] == e["n_factors"]
    assert res.n_components_suggested == p["ncomp"]
    assert res.n_factors == e["n_factors"]
    again = efa(x)
    pd.testing.assert_frame_equal(res.scree, again.scree)
    other = efa(x, seed=2)
    assert not np.allclose(other.scree["pc_simulated"], res.scree["pc_simulated"])


def test_harman_matches_psych(case, efas):
    e, x, items = efas
    h = harman(x)
    assert h.first_component_share == pytest.approx(e["harman"]["first_pc_share"], abs=EXACT)
    assert h.first_factor_share == pytest.approx(e["harman"]["one_factor_share"], abs=2e-6)  # measured 1.8e-7
    assert not h.flagged


def test_validity_alone_equals_reliability_validity(case):
    v = validity(case["model"], case["df"])
    pd.testing.assert_frame_equal(v.htmt, case["rel"].validity.htmt)
    pd.testing.assert_frame_equal(v.fornell_larcker, case["rel"].validity.fornell_larcker)


def test_efa_does_not_need_check_array_force_all_finite(monkeypatch, efas):
    """scikit-learn 1.8 removed check_array(force_all_finite=...), which factor_analyzer 0.5.1's
    FactorAnalyzer.fit passes; efa must not go through it."""
    import sklearn.utils

    import factor_analyzer.factor_analyzer as fa_mod

    def strict(*args, force_all_finite=None, **kwargs):
        raise TypeError("check_array() got an unexpected keyword argument 'force_all_finite'")

    monkeypatch.setattr(fa_mod, "check_array", strict)
    monkeypatch.setattr(sklearn.utils, "check_array", strict)
    e, x, items = efas
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        res = efa(x, n_factors=e["n_factors"])
    ref = matrix(e["minres_oblimin"]["loadings"])
    np.testing.assert_allclose(res.loadings.loc[items].to_numpy(), ref, atol=LOADINGS_TOL["minres_oblimin"])


def test_polychoric_matches_lavcor(ordinal_case):
    """lavaan::lavCor(x, ordered = names(x)): two-step ML; psych::polychoric(correct = 0) differs from
    it by up to 3e-5 (its own optimizer), so lavaan is the reference. Measured: 3.7e-8."""
    case = ordinal_case
    from govstats.measurement.constructs import resolve
    from govstats.measurement.polychoric import polychoric

    ref = matrix(case["ref"]["polychoric"]["rho"])
    x = resolve(case["model"], case["df"]).data  # reverse-keyed items reversed, as in R
    np.testing.assert_allclose(polychoric(x[list(ref.index)]), ref, atol=5e-7)


def test_ordinal_alpha_and_omega(case):
    if "polychoric" not in case["ref"]:
        assert case["rel"].table["ordinal_alpha"].isna().all()
        return
    t = case["rel"].table
    for cid, r in case["ref"]["reliability"].items():
        assert t.loc[cid, "ordinal_alpha"] == pytest.approx(r["ordinal_alpha"], abs=5e-8), cid  # measured 3.2e-9
        assert t.loc[cid, "ordinal_omega"] == pytest.approx(r["ordinal_omega"], abs=1e-5), cid  # measured 8.7e-7


def test_efa_on_polychorics_matches_psych_fa_of_lavcor(ordinal_case):
    case = ordinal_case
    e = case["ref"]["efa"]
    items = e["minres_oblimin"]["loadings"]["rows"]
    x = case["df"][items]
    res = efa(x, n_factors=e["n_factors"], cor="polychoric")
    ref = matrix(case["ref"]["polychoric"]["efa_minres_oblimin"])
    np.testing.assert_allclose(aligned(res.loadings.loc[items], ref), ref, atol=1e-5)  # measured 6.2e-7
    assert res.kmo == pytest.approx(case["ref"]["polychoric"]["kmo"], abs=2e-8)  # measured 1.7e-9


def test_single_factor_cfa_comparison_matches_lavaan(case):
    """Harman's test done with CFA: lavaan's fitMeasures() of the correlated-factors model and of
    one factor behind every item."""
    h = harman(case["df"], model=case["model"])
    ref = case["ref"]["validity"]["single_factor_cfa"]
    for label, key in (("measurement model", "measurement"), ("single factor", "single_factor")):
        row = h.cfa_comparison.loc[label]
        assert row["chisq"] == pytest.approx(ref[key]["chisq"], rel=1e-7)  # measured 3.2e-11
        assert row["df"] == ref[key]["df"]
        for m in ("cfi", "tli", "rmsea", "srmr"):
            assert row[m] == pytest.approx(ref[key][m], abs=5e-7), (label, m)  # measured 4.1e-8 (srmr)
    one = h.cfa_comparison.loc["single factor"]
    assert one["chisq_diff"] == pytest.approx(ref["single_factor"]["chisq"] - ref["measurement"]["chisq"], rel=1e-7)
    assert one["pvalue_diff"] < 0.001
    assert "fits significantly worse than the measurement model" in h.text()
