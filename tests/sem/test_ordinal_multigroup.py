"""Multiple-group WLSMV against lavaan 0.6.14 (tests/reference/sem_ordinal/multigroup/).

Configural, and thresholds + loadings equal across the three districts (delta and theta
parameterizations): lavaan frees the scale factors (delta) or the items' residual variances
(theta) and the latent means in groups 2 and 3. Tolerances: estimates 2e-4 absolute, SEs 0.5%
relative, chi-square and scaled chi-square 1e-4 relative, other fit measures 1e-4. lavaan's robust
CFI/TLI/RMSEA are NA for the constrained models (its internal refit fails), so they are not compared.
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
    np.testing.assert_allclose(ours.est, lav.est, atol=2e-4)
    free = lav.se.to_numpy() > 0
    np.testing.assert_allclose(ours.se.to_numpy()[free], lav.se.to_numpy()[free], rtol=5e-3)
    np.testing.assert_allclose(ours.std_all, lav["std.all"], atol=2e-4)


def test_fit_measures(case):
    ref, res = case
    f = res.fit_measures
    for name in ("chisq", "chisq.scaled", "baseline.chisq", "baseline.chisq.scaled"):
        assert f[name.replace(".", "_")] == pytest.approx(ref["fit"][name], rel=1e-4), name
    for name in ("chisq.scaling.factor", "cfi", "tli", "rmsea", "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr",
                 "cfi.robust", "tli.robust", "rmsea.robust"):
        value = ref["fit"].get(name)
        if value is None:
            continue
        assert f[name.replace(".", "_")] == pytest.approx(value, abs=1e-4), name
