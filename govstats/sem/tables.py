"""The two tables every fit returns: lavaan's parameterEstimates and standardizedSolution."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govstats.sem.distributions import norm_ppf, norm_sf
from govstats.sem.standardize import delta_se, row_values_batch, standardize_batch

_CRIT = float(norm_ppf(0.975))
_SHOWN = ("=~", "<~", "~", "~~", "~1", "|", "~*~", ":=")


def results_tables(bound, theta: np.ndarray, vcov: np.ndarray | None):
    """(params, standardized) of a bound model at ``theta`` with covariance ``vcov`` (or None).

    Free rows get their SEs from ``vcov``, defined (:=) rows and the standardized solution by
    the delta method; fixed rows keep SE 0. Internal labels (".x1|t1" and the like, made for
    group_equal) are blanked as lavaan prints them.
    """
    table = bound.model.table
    shown = table.op.isin(_SHOWN).to_numpy()
    rows = table[shown]
    values = row_values_batch(bound, theta[None, :])
    free = table.free.to_numpy()
    defined = table.op.to_numpy() == ":="
    se = np.where(free > 0, np.nan, 0.0)
    std_all = standardize_batch(bound, theta[None, :], "std.all", values=values)[0]
    std_lv = standardize_batch(bound, theta[None, :], "std.lv", values=values)[0]
    values = values[0]
    std_se = np.full(len(table), np.nan)
    if vcov is not None:
        diag = np.sqrt(np.clip(np.diag(vcov), 0, None))
        se = np.where(free > 0, diag[np.maximum(free, 1) - 1], 0.0)
        if defined.any():
            se[defined] = delta_se(lambda ts: row_values_batch(bound, ts)[:, defined], theta, vcov)
            if bound.model.constraints is not None:
                # a := parameter the constraints hold constant (ab := a*b with ab == 0.6) has SE 0, as in
                # lavaan; the numerical delta method leaves ~1e-10 there, a z of 1e9
                constant = defined & (np.nan_to_num(se, nan=1.0) < 1e-7 * np.maximum(1.0, np.abs(values[0])))
                se[constant] = 0.0
        std_se = delta_se(lambda ts: standardize_batch(bound, ts, "std.all"), theta, vcov)
        std_se[(free == 0) & ~defined & (np.nan_to_num(std_se) < 1e-10)] = 0.0
        std_se[table.op.to_numpy() == "~*~"] = 0.0
    else:
        se[defined] = np.nan
    estimated = (free > 0) | defined
    est = values
    z = np.where(estimated, est / np.where(se > 0, se, np.nan), np.nan)
    label = rows.label.astype(str)
    level = np.where(rows.op.to_numpy() == ":=", 0, 1)
    params = pd.DataFrame({
        "lhs": rows.lhs.to_numpy(), "op": rows.op.to_numpy(), "rhs": rows.rhs.to_numpy(),
        "user": rows.user.to_numpy(), "group": rows.group.to_numpy(), "level": level, "free": free[shown],
        "label": label.where(~label.str.startswith("."), "").to_numpy(),
        "est": est[shown], "se": se[shown], "z": z[shown], "pvalue": 2 * norm_sf(np.abs(z[shown])),
        "ci_lower": (est - _CRIT * np.nan_to_num(se))[shown], "ci_upper": (est + _CRIT * np.nan_to_num(se))[shown],
        "std_lv": std_lv[shown], "std_all": std_all[shown],
    })
    nan_ci = ~np.isfinite(se[shown])
    params.loc[nan_ci, ["ci_lower", "ci_upper"]] = np.nan
    std_z = std_all / np.where(std_se > 0, std_se, np.nan)
    standardized = pd.DataFrame({
        "lhs": params.lhs, "op": params.op, "rhs": params.rhs, "group": params.group,
        "est_std": std_all[shown], "se": std_se[shown], "z": std_z[shown],
        "pvalue": 2 * norm_sf(np.abs(std_z[shown])),
        "ci_lower": (std_all - _CRIT * np.nan_to_num(std_se))[shown],
        "ci_upper": (std_all + _CRIT * np.nan_to_num(std_se))[shown],
    })
    return params, standardized
