"""summary() never runs numbers together, however large: every column is as wide as its widest
entry and columns are separated by a space (the issue saw '0.00033777072.212', an SE of 0.000
followed by a z of 3377707.212)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from govstats import fit


def test_extreme_values_stay_in_their_columns():
    rng = np.random.default_rng(2)
    f = rng.normal(size=300)
    data = pd.DataFrame({f"x{k}": f + 0.6 * rng.normal(size=300) for k in (1, 2, 3)})
    res = fit("F =~ x1 + x2 + x3", data)
    row = res.params.index[(res.params.op == "=~") & (res.params.rhs == "x2")][0]
    res.params.loc[row, ["est", "se", "z", "pvalue", "std_lv"]] = [1140.91234, 0.00033777, 3377707.212, 0.0,
                                                                  -123456789.5]
    line = next(s for s in res.summary().splitlines() if s.strip().startswith("x2 "))
    assert line.split() == ["x2", "1140.912", "0.000", "3377707.212", "0.000", "-123456789.500",
                            f"{res.params.loc[row, 'std_all']:.3f}"]
    # no number glued to another anywhere in the summary
    assert not re.search(r"\d\.\d{3}[-\d]", res.summary())
