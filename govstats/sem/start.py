"""Starting values: close enough that Fisher scoring converges in a few steps.

Loadings by instrumental variables (the ratio of covariances with a third indicator of
the same factor, the median over all such instruments: a FABIN-like estimator that is
consistent and keeps the sign of reverse-coded items); factor variances from the
marker's covariances; residual variances half the observed variance (as lavaan's
"simple" start); regressions and covariances zero; intercepts the sample means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def starting_values(table: pd.DataFrame, data_by_group, ov_by_group, n_free: int) -> np.ndarray:
    theta = np.full(n_free, np.nan)
    free = table[table.free > 0]
    for g, data in enumerate(data_by_group, start=1):
        ov = ov_by_group[g - 1]
        index = {v: i for i, v in enumerate(ov)}
        cov, mean = data.cov, data.mean
        rows = table[table.group == g]
        loadings = _loadings(rows, index, cov)
        lv_var = _factor_variances(rows, index, cov, loadings)
        for r in free[free.group == g].itertuples():
            k = r.free - 1
            if not np.isnan(theta[k]):
                continue
            if r.op == "=~":
                value = loadings.get((r.lhs, r.rhs), 1.0)
            elif r.op == "~~" and r.lhs == r.rhs:
                value = 0.5 * cov[index[r.lhs], index[r.lhs]] if r.lhs in index else lv_var.get(r.lhs, 0.05)
            elif r.op == "~1":
                value = mean[index[r.lhs]] if r.lhs in index else 0.0
            else:
                value = 0.0
            theta[k] = value
    return np.nan_to_num(theta, nan=0.0)


def _loadings(rows: pd.DataFrame, index: dict, cov: np.ndarray) -> dict:
    out = {}
    for lv, group in rows[rows.op == "=~"].groupby("lhs", sort=False):
        ind = [v for v in group.rhs if v in index]
        if len(ind) < 2:
            continue
        fixed = group[group.free == 0]
        marker = fixed.rhs.iloc[0] if len(fixed) and fixed.rhs.iloc[0] in index else None
        scale = float(fixed.ustart.iloc[0]) if marker is not None else None
        ref = marker if marker is not None else ind[0]
        r = index[ref]
        for v in ind:
            if v == ref:
                continue
            k = index[v]
            ratios = [cov[k, index[w]] / cov[r, index[w]] for w in ind
                      if w not in (v, ref) and abs(cov[r, index[w]]) > 1e-8]
            if not ratios and abs(cov[r, r]) > 1e-8:
                ratios = [cov[k, r] / cov[r, r]]
            out[(lv, v)] = float(np.median(ratios)) * (scale if scale is not None else 1.0) if ratios else 1.0
        if marker is None:
            # Factor variance fixed (std.lv): put the factor's scale into the loadings.
            phi = _marker_variance(ref, ind, index, cov, out, lv)
            root = np.sqrt(phi)
            out = {key: (val * root if key[0] == lv else val) for key, val in out.items()}
            out[(lv, ref)] = root
    return out


def _marker_variance(ref, ind, index, cov, loadings, lv) -> float:
    r = index[ref]
    values = [cov[r, index[w]] / loadings[(lv, w)] for w in ind
              if w != ref and abs(loadings.get((lv, w), 0)) > 1e-8]
    phi = float(np.median(values)) if values else 0.5 * cov[r, r]
    return min(max(phi, 0.05 * cov[r, r]), 0.95 * cov[r, r])


def _factor_variances(rows, index, cov, loadings) -> dict:
    out = {}
    for lv, group in rows[rows.op == "=~"].groupby("lhs", sort=False):
        fixed = group[(group.free == 0) & group.rhs.isin(list(index))]
        ind = [v for v in group.rhs if v in index]
        if len(fixed) == 0 or len(ind) < 2:
            continue
        ref = fixed.rhs.iloc[0]
        lam = float(fixed.ustart.iloc[0]) or 1.0
        scaled = {key: val / lam for key, val in loadings.items() if key[0] == lv}
        out[lv] = _marker_variance(ref, ind, index, cov, scaled, lv) / lam ** 2
    return out
