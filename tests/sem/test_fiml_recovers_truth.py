"""FIML against listwise deletion when blanks depend on observed answers (MAR).

One factor with five items (loadings 0.8, 0.7, 0.7, 0.6, 0.6, residual variances 1 - l^2,
intercepts 3), N = 4000. Item y1 is always answered; the other items are left blank with a
probability that rises steeply with y1 (about 35% of their cells). Selecting the complete rows
selects respondents low on y1 and hence on the factor, which shrinks the factor's variance and
shifts every mean: listwise deletion underestimates the standardized loadings (std_lv) and the
intercepts; FIML, which uses y1 for every row, recovers them. Tolerances: 0.03 (about four
standard errors at this N) for FIML; listwise must miss by more than 0.08, which it does by a
wide margin at this selection strength.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govstats import fit

LOADINGS = np.array([0.8, 0.7, 0.7, 0.6, 0.6])
MODEL = "f =~ y1 + y2 + y3 + y4 + y5"


@pytest.fixture(scope="module")
def mar_data():
    rng = np.random.default_rng(20261202)
    n = 4000
    eta = rng.normal(size=n)
    y = 3.0 + eta[:, None] * LOADINGS + rng.normal(size=(n, 5)) * np.sqrt(1 - LOADINGS ** 2)
    p_blank = 1 / (1 + np.exp(-2.5 * (y[:, 0] - 3.0 - 0.5)))
    blank = rng.random((n, 4)) < p_blank[:, None]
    y[:, 1:][blank] = np.nan
    return pd.DataFrame(y, columns=[f"y{k}" for k in range(1, 6)])


def _loadings(res):
    p = res.params
    return p[p.op == "=~"].est.to_numpy()


def _intercepts(res):
    p = res.params
    return p[p.op == "~1"].set_index("lhs").loc[[f"y{k}" for k in range(1, 6)]].est.to_numpy()


def test_blanks_are_mar_and_substantial(mar_data):
    share = mar_data.iloc[:, 1:].isna().to_numpy().mean()
    assert 0.25 < share < 0.45
    assert mar_data.dropna().y1.mean() < mar_data.y1.mean() - 0.3  # complete rows are the low ones


def test_fiml_recovers_loadings_and_means_where_listwise_is_biased(mar_data):
    fiml = fit(MODEL, mar_data, missing="fiml", std_lv=True)
    listwise = fit(MODEL, mar_data, std_lv=True, meanstructure=True)
    assert fiml.nobs == len(mar_data) and listwise.nobs < 0.6 * len(mar_data)
    np.testing.assert_allclose(_loadings(fiml), LOADINGS, atol=0.03)
    np.testing.assert_allclose(_intercepts(fiml), 3.0, atol=0.03)
    assert np.all(LOADINGS - _loadings(listwise) > 0.08)
    assert np.all(3.0 - _intercepts(listwise) > 0.08)


def test_factor_scores_of_incomplete_rows_as_lavaan():
    """lavPredict after missing = "ml": an incomplete row is scored from its answered items
    (fixture: tests/reference/sem/fiml/fiml_scores.json, make_fiml_scores.R beside it)."""
    import json
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "tests" / "reference" / "sem" / "fiml"
    ref = json.loads((folder / "fiml_scores.json").read_text(encoding="utf-8"))
    data = pd.read_csv(folder / "data" / "hs_mcar.csv")
    res = fit(ref["model"], data, missing="fiml")
    assert data.iloc[np.array(ref["rows"]) - 1].isna().any(axis=1).sum() > 100  # many incomplete rows scored
    np.testing.assert_allclose(res.predict()[ref["names"]].to_numpy(), np.array(ref["regression"]), atol=1e-4)
    bartlett = np.array([[np.nan if v == "NA" else v for v in row] for row in ref["bartlett"]], dtype=float)
    assert np.isnan(bartlett).sum() == 1  # a row with no answer to the speed items: no Bartlett score
    np.testing.assert_allclose(res.predict(method="Bartlett")[ref["names"]].to_numpy(), bartlett, atol=1e-4)
    new = res.predict(data)  # new data: the same rows scored the same way (empty rows stay NaN)
    np.testing.assert_allclose(new.iloc[np.array(ref["rows"]) - 1].to_numpy(), np.array(ref["regression"]),
                               atol=1e-4)
