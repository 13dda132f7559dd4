"""simulate(): statistical exactness against the instrument's own population model.

Tolerances are stated per test. Clustering in communities inflates sampling variances by
the design effect deff = 1 + (m - 1) * rho (m respondents per community, rho the ICC of
the quantity); the large-n tests use 20 respondents per community and the largest ICC of
the seed instruments (0.15), so deff <= 3.85 bounds every design effect below.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from govstats import load_instrument, simulate, simulate_to_csv
from govstats.data import write_csv
from govstats.data.simulate import CHUNK
from govstats.resources import SEED_INSTRUMENTS, seed_instrument_path

N_LARGE = 200_000
PER_COMMUNITY = 20
DEFF = 1 + (PER_COMMUNITY - 1) * 0.15


@pytest.fixture(scope="module")
def instruments():
    return {name: load_instrument(seed_instrument_path(name)) for name in SEED_INSTRUMENTS}


@pytest.fixture(scope="module")
def large(instruments):
    """One large sample per instrument, with its latent values (about 0.5 s each)."""
    return {name: simulate(inst, N_LARGE, seed=11, communities=N_LARGE // PER_COMMUNITY, return_latent=True)
            for name, inst in instruments.items()}


@pytest.mark.slow  # large simulation
@pytest.mark.parametrize("name", SEED_INSTRUMENTS)
def test_latent_response_covariance_matches_the_model(instruments, large, name):
    inst, sim = instruments[name], large[name]
    r = inst.latent_correlations()
    lam = np.array([i.loading for i in inst.items])
    f = [r.index.get_loc(i.construct) for i in inst.items]
    implied = np.outer(lam, lam) * r.to_numpy()[np.ix_(f, f)]
    np.fill_diagonal(implied, 1.0)
    star = sim.latent[[f"{i.id}_star" for i in inst.items]].to_numpy(dtype=float)
    observed = np.cov(star, rowvar=False)
    # SE of a covariance of unit-variance variables is at most sqrt(2 / n) times sqrt(deff);
    # 5 SE covers the largest of ~900 elements (the max of 900 normals is about 3.3 SE).
    tol = 5 * np.sqrt(2 / N_LARGE * DEFF)
    assert np.abs(observed - implied).max() < tol
    eta = sim.latent[list(r.index)].to_numpy()
    assert np.abs(np.cov(eta, rowvar=False) - r.to_numpy()).max() < tol


@pytest.mark.slow  # large simulation
@pytest.mark.parametrize("name", SEED_INSTRUMENTS)
def test_item_proportions_match_the_declared_thresholds(instruments, large, name):
    inst, sim = instruments[name], large[name]
    for item in inst.items:
        observed = sim.responses[item.id].value_counts(normalize=True).reindex(item.scale.codes, fill_value=0)
        p = np.asarray(item.proportions)
        # A proportion's SE is sqrt(p(1 - p) / n), times sqrt(deff); 5 SE over ~200 cells.
        se = np.sqrt(p * (1 - p) / N_LARGE * DEFF)
        assert np.all(np.abs(observed.to_numpy() - p) < 5 * se), item.id


@pytest.mark.slow  # large simulation
def test_reverse_coded_items_are_written_reversed(instruments, large):
    for name, inst in instruments.items():
        sim = large[name]
        for item in (i for i in inst.items if i.reverse):
            forward = [i.id for i in inst.construct(item.construct).items if not i.reverse]
            score = sim.responses[forward].astype(float).mean(axis=1)
            assert np.corrcoef(sim.responses[item.id].astype(float), score)[0, 1] < -0.2, item.id
            # ... while its latent response, in the construct's direction, correlates positively.
            assert np.corrcoef(sim.latent[f"{item.id}_star"], score)[0, 1] > 0.2
            row = sim.truth.params.query("op == '=~' and rhs == @item.id").iloc[0]
            assert row.est == pytest.approx(-item.loading)


@pytest.mark.slow  # 6,000 respondents and four mixed models
def test_community_icc_is_recovered(instruments):
    inst = instruments["ri_asset"]
    communities = 300
    sim = simulate(inst, communities * PER_COMMUNITY, seed=5, communities=communities, return_latent=True)
    frame = sim.latent.assign(community=sim.responses["community_id"].astype(str))
    for construct in ("PS", "GR", "CD", "RIE"):  # ICCs .06, .14, .10, .10; two exogenous, two endogenous
        fit = smf.mixedlm(f"{construct} ~ 1", frame, groups=frame["community"]).fit(reml=True)
        between, within = float(fit.cov_re.iloc[0, 0]), float(fit.scale)
        icc = between / (between + within)
        # With 300 communities of 20, the SE of an ICC near .1 is about .011 (Donner's formula);
        # 3.5 SE is .04.
        assert icc == pytest.approx(inst.construct(construct).icc, abs=0.04), construct


def test_same_seed_same_data_other_seed_other_data(instruments):
    inst = instruments["party_building"]
    a = simulate(inst, 500, seed=3, careless=0.1, missing=0.05)
    b = simulate(inst, 500, seed=3, careless=0.1, missing=0.05)
    c = simulate(inst, 500, seed=4, careless=0.1, missing=0.05)
    pd.testing.assert_frame_equal(a.responses, b.responses)
    pd.testing.assert_frame_equal(a.truth.rows, b.truth.rows)
    assert not a.responses[["GE1", "BE1", "role"]].equals(c.responses[["GE1", "BE1", "role"]])


@pytest.mark.slow  # more than a chunk of respondents, twice
def test_streaming_writes_the_same_bytes_across_chunks(instruments, tmp_path):
    inst = instruments["ri_element"]
    n = CHUNK + 123  # crosses a chunk boundary
    options = dict(seed=8, careless=0.05, missing=0.02, speeders=0.03)
    buffer = io.StringIO()
    sim = simulate(inst, n, **options)
    write_csv(sim.responses, buffer)
    truth = simulate_to_csv(inst, n, tmp_path / "out.csv", **options)
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == buffer.getvalue()
    pd.testing.assert_frame_equal(truth.rows, sim.truth.rows)
    assert sim.responses["respondent_id"].is_unique and sim.responses["respondent_id"].iloc[-1] == n


def test_contamination_leaves_the_other_rows_alone(instruments):
    inst = instruments["grid_governance"]
    clean = simulate(inst, 2000, seed=21)
    messy = simulate(inst, 2000, seed=21, careless=0.1, speeders=0.05)
    touched = set(messy.truth.rows.respondent_id)
    untouched = ~messy.responses["respondent_id"].isin(touched)
    pd.testing.assert_frame_equal(clean.responses[untouched], messy.responses[untouched])


def test_careless_speeders_and_attention(instruments):
    inst = instruments["ri_asset"]
    sim = simulate(inst, 20_000, seed=2, careless=0.15, speeders=0.05)
    df, rows = sim.responses, sim.truth.rows.set_index("respondent_id")
    items = [i.id for i in inst.items]
    kinds = rows["careless"].reindex(df["respondent_id"], fill_value="").to_numpy()
    # 15% careless, three kinds in equal shares: SE of the share is sqrt(.15 * .85 / 20000) = .0025.
    assert np.mean(kinds != "") == pytest.approx(0.15, abs=0.01)
    straight = df[kinds == "straight"][items]
    assert (straight.nunique(axis=1) == 1).all()
    check = inst.attention_checks[0]
    assert (df.loc[kinds == "attention", check.id] != check.correct).all()
    assert (df.loc[kinds == "", check.id] == check.correct).all()
    seconds = (df["end_time"] - df["start_time"]).dt.total_seconds()
    speeder = rows["speeder"].reindex(df["respondent_id"], fill_value=False).to_numpy()
    assert np.mean(speeder) == pytest.approx(0.05, abs=0.006)
    assert seconds[speeder].max() < 0.5 * seconds[~speeder].median()


def test_missingness_mcar_and_mar(instruments):
    inst = instruments["ri_asset"]
    items = [i.id for i in inst.items]
    mcar = simulate(inst, 20_000, seed=4, missing=0.10)
    blank = mcar.responses[items].isna()
    # 820,000 cells: the SE of the rate is .0003; clustering by respondent is absent under MCAR.
    assert blank.to_numpy().mean() == pytest.approx(0.10, abs=0.003)
    assert blank.sum(axis=1).sum() == mcar.truth.rows["n_missing"].sum()
    mar = simulate(inst, 20_000, seed=4, missing=0.10, missing_mechanism="MAR")
    rate = mar.responses[items].isna().mean(axis=1)
    age = mar.responses["age"].astype(float)
    assert rate.mean() == pytest.approx(0.10, abs=0.01)
    assert rate[age >= 60].mean() > 2 * rate[age < 35].mean()  # blanks rise with age
    assert mar.truth.settings["mar_depends_on"] == "age"


def test_group_differences_between_districts(instruments):
    inst = instruments["ri_asset"]
    diffs = [{"item": "IC2", "group": "D2", "loading": 0.30}, {"item": "PS1", "group": "D3", "intercept": 0.8}]
    sim = simulate(inst, 30_000, seed=9, differences=diffs, return_latent=True)
    district = sim.responses["district"].astype(str).to_numpy()
    star = sim.latent
    r_d2 = np.corrcoef(star.loc[district == "D2", "IC2_star"], star.loc[district == "D2", "IC"])[0, 1]
    r_d1 = np.corrcoef(star.loc[district == "D1", "IC2_star"], star.loc[district == "D1", "IC"])[0, 1]
    # corr(y*, eta) is the standardized loading: .30 in D2, the declared one elsewhere (SE ~ .01).
    assert r_d2 == pytest.approx(0.30, abs=0.03)
    assert r_d1 == pytest.approx(inst.item("IC2").loading, abs=0.03)
    # The shift is in the item's intercept: net of the factor (whose district means differ by
    # the luck of 30 community effects), the residual's mean moves by .8 (SE ~ .01).
    resid = star["PS1_star"] - inst.item("PS1").loading * star["PS"]
    shift = resid[district == "D3"].mean() - resid[district != "D3"].mean()
    assert shift == pytest.approx(0.8, abs=0.05)
    codes = sim.responses["PS1"].astype(float)
    assert codes[district == "D3"].mean() > codes[district != "D3"].mean() + 0.4
    extra = sim.truth.params[sim.truth.params.group != ""]
    assert set(zip(extra.op, extra.group)) == {("=~", "D2"), ("~1", "D3")}


def test_field_shape(instruments):
    inst = instruments["ri_element"]
    df = simulate(inst, 3000, seed=1).responses
    assert list(df.columns) == inst.columns()
    assert (df["consent"] == 1).all()
    assert df["role"].isin(inst.question("role").codes).all()
    asked = df["role"].isin([2, 3])
    assert df.loc[~asked, "integration_mode"].isna().all()
    assert df.loc[asked, "integration_mode"].notna().all()
    assert df["age"].between(18, 100).all()
    assert df["community_id"].nunique() == 30 and df["district"].nunique() == 3
    # communities nest in streets, streets in districts
    assert (df.groupby("community_id", observed=True)["street"].nunique() == 1).all()
    assert (df.groupby("street", observed=True)["district"].nunique() == 1).all()
    assert (df["end_time"] > df["start_time"]).all()


def test_truth_params_shape(instruments):
    inst = instruments["platform_dilemma"]
    params = simulate(inst, 10, seed=1).truth.params
    assert list(params.columns) == ["lhs", "op", "rhs", "group", "est"]
    assert (params.op == "=~").sum() == len(inst.items)
    assert (params.op == "|").sum() == 4 * len(inst.items)
    au = params.query("lhs == 'AU' and op == '~'").set_index("rhs").est
    assert au["GP"] == -0.30 and au["RD"] == -0.35
    # residual variance of AU: 1 - b'Rb with r(GP, RD) implied by RD = .40 GP + .25 DZ, r(GP, DZ) = .35
    r_gp_rd = 0.40 + 0.25 * 0.35
    explained = 0.09 + 0.1225 + 2 * 0.30 * 0.35 * r_gp_rd
    assert params.query("lhs == 'AU' and op == '~~' and rhs == 'AU'").est.iloc[0] == pytest.approx(1 - explained)


@pytest.mark.parametrize(
    "kwargs, parameter",
    [
        (dict(n=0), "'n'"),
        (dict(n=-5), "'n'"),
        (dict(n=10.5), "'n'"),
        (dict(n=10, missing=1.2), "'missing'"),
        (dict(n=10, careless=-0.1), "'careless'"),
        (dict(n=10, speeders="a lot"), "'speeders'"),
        (dict(n=10, missing_mechanism="NMAR"), "'missing_mechanism'"),
        (dict(n=10, group="village"), "'group'"),
        (dict(n=10, differences=[{"item": "XX9", "group": "D1", "loading": 0.5}]), "XX9"),
        (dict(n=10, differences=[{"item": "IC1", "group": "D9", "loading": 0.5}]), "D9"),
        (dict(n=10, careless_kinds=("lazy",)), "'careless_kinds'"),
    ],
)
def test_bad_arguments_raise_clear_value_errors(instruments, kwargs, parameter):
    with pytest.raises(ValueError, match=parameter):
        simulate(instruments["ri_asset"], **kwargs)
