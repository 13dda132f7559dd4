"""Multiple-group WLSMV against lavaan 0.6.14 (tests/reference/sem_ordinal/multigroup/).

Configural, and thresholds + loadings equal across the three districts (delta and theta
parameterizations): lavaan frees the scale factors (delta) or the items' residual variances
(theta) and the latent means in groups 2 and 3. lavaan's robust CFI/TLI/RMSEA are NA for the
constrained models (its internal refit fails), so they are not compared there.

Tolerances, about ten times the worst difference measured over the three models:

  quantity                              measured (worst)                              tolerance
  estimates                             8.0e-6 (delta); theta 6.8e-5                  1e-4; 1e-3
  SEs, relative                         9.3e-6 (delta); theta 6.5e-5                  1e-4; 1e-3
  std.all                               2.0e-5 (theta)                                2e-4
  chi-squares, relative                 2.9e-7 (chisq.scaled)                         5e-6
  other fit measures                    3.0e-7 (chisq.scaling.factor)                 5e-6

theta: lavaan's theta fit of the same model stops further from the optimum (197 iterations,
against 67 in delta; its own delta and theta standardized solutions differ by 1.6e-5; see
tests/reference/sem_ordinal/multigroup/README.md).
SEs: lavaan's robust.sem with groups divides by N - G and weights the groups by N_g / N (with
N_g - 1 weights, as the test statistic uses, the SEs of group g were off by 1 + (1/N_g - G/N) / 2).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govstats import fit

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "sem_ordinal" / "multigroup"
REPO = Path(__file__).resolve().parents[2]
CASES = sorted(p.stem for p in REFERENCE.glob("*.json"))


@pytest.fixture(scope="module", params=CASES)
def case(request):
    ref = json.loads((REFERENCE / f"{request.param}.json").read_text(encoding="utf-8"))
    data = pd.read_csv(REPO / ref["data_file"])
    equal = [g for g in ref["group_equal"] if g != "intercepts"] if ref["group_equal"] else ()
    res = fit(ref["model"], data, ordered=True, group=ref["group"], group_equal=equal,
              parameterization=ref["options"]["parameterization"])
    return ref, res


def keyed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(rhs=frame.rhs.fillna("")).set_index(["lhs", "op", "rhs", "group"])


def test_groups_and_counts(case):
    ref, res = case
    assert res.group_labels == ref["group_labels"]
    assert res.nobs_groups == [ref["nobs_by_group"][label] for label in ref["group_labels"]]
    assert res.fit_measures["npar"] == ref["fit"]["npar"]
    assert res.fit_measures["df"] == ref["fit"]["df"]


def test_estimates_and_standard_errors(case):
    ref, res = case
    lav = keyed(pd.DataFrame(ref["params"]))
    lav = lav[lav.index.get_level_values("op").isin(["=~", "~~", "|", "~1", "~*~"])]
    ours = keyed(res.params).loc[lav.index]
    theta = ref["options"]["parameterization"] == "theta"
    np.testing.assert_allclose(ours.est, lav.est, atol=1e-3 if theta else 1e-4)  # 6.8e-5 theta, 8.0e-6 delta
    free = lav.se.to_numpy() > 0
    # the per-group difference of the docstring: 1.2e-4
    np.testing.assert_allclose(ours.se.to_numpy()[free], lav.se.to_numpy()[free], rtol=1e-3 if theta else 1e-4)
    np.testing.assert_allclose(ours.std_all, lav["std.all"], atol=2e-4)  # measured 2.0e-5


def test_fit_measures(case):
    ref, res = case
    f = res.fit_measures
    for name in ("chisq", "chisq.scaled", "baseline.chisq", "baseline.chisq.scaled"):
        assert f[name.replace(".", "_")] == pytest.approx(ref["fit"][name], rel=5e-6), name  # measured 2.9e-7
    for name in ("chisq.scaling.factor", "cfi", "tli", "rmsea", "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr",
                 "cfi.robust", "tli.robust", "rmsea.robust"):
        value = ref["fit"].get(name)
        if value is None:
            continue
        assert f[name.replace(".", "_")] == pytest.approx(value, abs=5e-6), name  # measured 3.0e-7
