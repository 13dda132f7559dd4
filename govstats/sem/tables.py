"""The two tables every fit returns: lavaan's parameterEstimates and standardizedSolution."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

_CRIT = stats.norm.ppf(0.975)


def estimate_tables(rows: pd.DataFrame, est, se, estimated, std_lv, std_all, std_se):
    """(params, standardized) from the rows' keys (lhs, op, rhs, group, label) and their values.

    ``estimated`` marks free and defined rows: only they get z and p; a fixed row keeps its
    0 standard error. Internal labels (".p1." and the like) are blanked as lavaan prints them.
    """
    est, se, std_all, std_se = (np.asarray(v, dtype=float) for v in (est, se, std_all, std_se))
    z = np.where(estimated, est / np.where(se > 0, se, np.nan), np.nan)
    label = rows.label.astype(str)
    params = pd.DataFrame({
        "lhs": rows.lhs.to_numpy(), "op": rows.op.to_numpy(), "rhs": rows.rhs.to_numpy(),
        "group": rows.group.to_numpy(), "label": label.where(~label.str.startswith("."), "").to_numpy(),
        "est": est, "se": se, "z": z, "pvalue": 2 * stats.norm.sf(np.abs(z)),
        "ci_lower": est - _CRIT * np.nan_to_num(se), "ci_upper": est + _CRIT * np.nan_to_num(se),
        "std_lv": np.asarray(std_lv, dtype=float), "std_all": std_all,
    })
    std_z = std_all / np.where(std_se > 0, std_se, np.nan)
    standardized = pd.DataFrame({
        "lhs": params.lhs, "op": params.op, "rhs": params.rhs, "group": params.group, "est_std": std_all,
        "se": std_se, "z": std_z, "pvalue": 2 * stats.norm.sf(np.abs(std_z)),
        "ci_lower": std_all - _CRIT * np.nan_to_num(std_se), "ci_upper": std_all + _CRIT * np.nan_to_num(std_se),
    })
    return params, standardized
