"""Pilot item analysis against psych 2.2.9 and R's t.test, within 1e-6.

Fixture: tests/reference/item_analysis/make_fixture.R on pilot.csv (grid_governance, N = 300,
seed 24, planted weak items VS4 low loading, IS1 ceiling, ID5 misread reverse item; 2% blanks).
R calls, per construct on its complete rows with ID5 and QE5 reversed (6 - code):
  psych::alpha(x, check.keys = FALSE)   r.drop (CITC), alpha.drop$raw_alpha, total$raw_alpha
  q <- quantile(rowSums(x), c(.27, .73)); low <- total <= q[1]; high <- total >= q[2]
  t.test(x[high], x[low], var.equal = TRUE)   -> cr_t, cr_df, cr_p  (Student, pooled variance)
  t.test(x[high], x[low])                     -> welch_t, welch_df, welch_p
and per item on every answer: psych::describe(x) (n, mean, sd, skew, kurtosis: type 3), the
shares of answers at 1 and at 5, the share blank.

All are closed forms: the largest differences measured are 5e-15 (mean, sd, kurtosis, CITC,
alpha), 5e-14 (t), 5e-13 (Welch's df); the p values (down to about 1e-30) agree to 4e-14
relative and are compared relative. The issue's tolerance, 1e-6, is kept.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import load_instrument
from govstats.measurement.item_analysis import item_analysis
from govstats.resources import seed_instrument_path

REF = Path(__file__).parents[1] / "reference" / "item_analysis"
TOL = 1e-6
ABSOLUTE = ["n", "mean", "sd", "skew", "kurtosis", "floor", "ceiling", "share_blank", "n_complete", "n_low", "n_high",
            "cr_t", "cr_df", "welch_t", "welch_df", "citc", "alpha_if_deleted", "construct_alpha"]


@pytest.fixture(scope="module")
def computed():
    inst = load_instrument(seed_instrument_path("grid_governance"))
    data = pd.read_csv(REF / "pilot.csv")
    return item_analysis(inst, data).set_index("item")


@pytest.fixture(scope="module")
def reference():
    return json.loads((REF / "item_analysis.json").read_text(encoding="utf-8"))["items"]


def test_every_item_of_the_pilot_is_in_the_fixture(computed, reference):
    assert sorted(computed.index) == sorted(reference)


@pytest.mark.parametrize("column", ABSOLUTE)
def test_against_psych_and_t_test(computed, reference, column):
    ours = computed[column].astype(float)
    theirs = pd.Series({k: float(v[column]) for k, v in reference.items()})
    np.testing.assert_allclose(ours.loc[theirs.index].to_numpy(), theirs.to_numpy(), rtol=0, atol=TOL)


@pytest.mark.parametrize("column", ["cr_p", "welch_p"])
def test_p_values_relative(computed, reference, column):
    theirs = pd.Series({k: float(v[column]) for k, v in reference.items()})
    np.testing.assert_allclose(computed.loc[theirs.index, column].to_numpy(float), theirs.to_numpy(), rtol=TOL,
                               atol=1e-300)


def test_the_misread_reverse_item_runs_against_its_construct(computed):
    # ID5 is scored reversed but was answered in the construct's direction
    assert computed.loc["ID5", "citc"] < 0 and computed.loc["ID5", "cr_t"] < 0
    assert computed.loc["ID5", "reversed"]
