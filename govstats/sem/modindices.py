"""Modification indices: univariate score tests for parameters fixed at zero (Saris, Satorra & Sorbom 1987).

As lavaan's ``modindices()``: the candidates are every loading of an observed variable on
every factor, every (residual) covariance among observed and among latent variables,
every regression among the variables of the structural equations, and intercepts with a
mean structure; the expected information of the model extended with them, at the current
estimates, gives ``mi = N s^2 / V`` and ``epc = -s / V`` with ``V`` the candidate's
information net of the free parameters.
"""

from __future__ import annotations

from itertools import combinations_with_replacement

import numpy as np
import pandas as pd

from govstats.sem.ml import gradient_and_information
from govstats.sem.ram import RAMModel

SMALL = np.finfo(float).eps ** (1 / 3)


def _candidates(table: pd.DataFrame, names, group: int, meanstructure: bool) -> list[tuple[str, str, str]]:
    rows = table[table.group == group]
    eqs_y = list(dict.fromkeys(rows.loc[rows.op == "~", "lhs"]))
    eqs_x = list(dict.fromkeys(rows.loc[rows.op == "~", "rhs"]))
    eqs = list(dict.fromkeys(eqs_y + eqs_x))
    indicators = set(rows.loc[rows.op == "=~", "rhs"]) - set(names.lv)
    ov_nox = list(names.ov_nox)
    out = [(f, "=~", x) for f in names.lv for x in ov_nox if x not in eqs]
    out += [(a, "~~", b) for a, b in combinations_with_replacement(ov_nox, 2)]
    out += [(a, "~~", b) for a, b in combinations_with_replacement(list(names.lv), 2)]
    out += [(y, "~", x) for y in eqs for x in eqs if y != x and not (y in indicators and x in names.lv)]
    if meanstructure:
        out += [(v, "~1", "") for v in list(names.ov) + list(names.lv)]
    return out


def modification_indices(result, top: int | None = None) -> pd.DataFrame:
    """MI, EPC and standardized EPCs for every candidate parameter, sorted by MI (largest first)."""
    bound, theta = result._bound, result._theta
    engine = bound.model
    if result._unrotated_table is not None:
        raise ValueError("Modification indices of a model with exploratory SEM blocks (efa(\"...\")*) are not "
                         "available in this version.")
    if bound.statistics.blocks[0].kind == "missing":
        raise ValueError("Modification indices after missing='fiml' are not available in this version; refit "
                         "with missing='listwise' to screen for candidate parameters.")
    if bound.statistics.blocks[0].kind != "moments":
        raise ValueError(f"Modification indices are available for ML-family fits, not for {result.estimator}; refit "
                         "with estimator='ML' or 'MLR' to screen for them.")
    if (engine.table.op == "<~").any():
        raise ValueError("Modification indices of a model with composites ('<~') are not available in this version.")
    if engine.constraints is not None:
        raise ValueError("Modification indices of a model with explicit '==' constraints are not available in "
                         "this version; fit the model without them (or with shared labels) to screen for them.")
    table = engine.table[engine.table.op != ":="]
    existing = set()
    for r in table.itertuples():
        existing.add((r.lhs, r.op, r.rhs, r.group))
        if r.op == "~~":
            existing.add((r.rhs, r.op, r.lhs, r.group))
    extra = []
    for g in range(1, engine.ngroups + 1):
        for lhs, op, rhs in _candidates(table, engine.names, g, engine.meanstructure):
            if (lhs, op, rhs, g) not in existing:
                existing.add((lhs, op, rhs, g))
                if op == "~~":
                    existing.add((rhs, op, lhs, g))
                extra.append({"lhs": lhs, "op": op, "rhs": rhs, "group": g, "user": 10, "exo": 0, "label": "",
                              "ustart": np.nan, "line": 0})
    q = engine.n_free
    if not extra:
        return pd.DataFrame(columns=["lhs", "op", "rhs", "group", "mi", "epc", "sepc_lv", "sepc_all"])
    add = pd.DataFrame(extra)
    add["free"] = np.arange(q + 1, q + len(add) + 1)
    extended = pd.concat([table, add], ignore_index=True)
    n_ext = q + len(add)
    models = [RAMModel(extended, engine.names, g, n_ext) for g in range(1, engine.ngroups + 1)]
    for model, original in zip(models, bound.blocks):  # fixed.x values are the bound model's
        _copy_fixed(model, original)
    theta_ext = np.concatenate([theta, np.zeros(len(add))])
    data = bound.statistics.blocks
    _, grad, hess = gradient_and_information(models, data, theta_ext, engine.meanstructure)
    info = 0.5 * hess
    score = 0.5 * grad  # -(d logL / N): lavaan's sign for ML
    n = sum(d.n for d in data)
    m_idx, e_idx = np.arange(q), np.arange(q, n_ext)
    i_mm_inv = np.linalg.inv(info[np.ix_(m_idx, m_idx)])
    v = info[np.ix_(e_idx, e_idx)] - info[np.ix_(e_idx, m_idx)] @ i_mm_inv @ info[np.ix_(m_idx, e_idx)]
    v_diag = np.diag(v).copy()
    v_diag[v_diag < SMALL] = np.nan
    s = score[e_idx]
    mi = n * s * s / v_diag
    epc = -s / v_diag
    add = add.assign(mi=mi, epc=epc)
    sepc_lv, sepc_all = _standardized_epc(result, add)
    out = pd.DataFrame({"lhs": add.lhs, "op": add.op, "rhs": add.rhs, "group": add.group, "mi": mi, "epc": epc,
                        "sepc_lv": sepc_lv, "sepc_all": sepc_all})
    out = out[np.isfinite(out.mi)].sort_values("mi", ascending=False, kind="stable").reset_index(drop=True)
    return out.head(top) if top else out


def _copy_fixed(model: RAMModel, original: RAMModel) -> None:
    for name in ("S", "M"):
        new, old = getattr(model, name), getattr(original, name)
        for r, c, v, prm in zip(old.row, old.col, old.value, old.param):
            if prm < 0:
                hit = (new.row == r) & (new.col == c) & (new.param < 0)
                new.value[hit] = v


def _standardized_epc(result, add: pd.DataFrame):
    """EPCs standardized as lavaan's sepc.lv / sepc.all (covariances by residual variances)."""
    theta = result._theta
    p = result.params
    sepc_lv, sepc_all = np.full(len(add), np.nan), np.full(len(add), np.nan)
    for g, model in enumerate(result._bound.blocks, start=1):
        _, _, _, C, _ = model.implied(theta)
        sd = dict(zip(model.names, np.sqrt(np.diag(C))))
        lv = set(model.lv)
        res = p[(p.group == g) & (p.op == "~~") & (p.lhs == p.rhs)].set_index("lhs").est.to_dict()
        for k, r in enumerate(add.itertuples()):
            if r.group != g:
                continue
            e = r.epc
            sl = lambda v: sd[v] if v in lv else 1.0
            if r.op == "=~":
                sepc_lv[k] = e * sd[r.lhs]
                sepc_all[k] = e * sd[r.lhs] / sd[r.rhs]
            elif r.op == "~":
                sepc_lv[k] = e * sl(r.rhs) / sl(r.lhs)
                sepc_all[k] = e * sd[r.rhs] / sd[r.lhs]
            elif r.op == "~1":
                sepc_lv[k] = e / sl(r.lhs)
                sepc_all[k] = e / sd[r.lhs]
            elif r.lhs == r.rhs:
                sepc_lv[k] = e / sl(r.lhs) ** 2
                sepc_all[k] = e / sd[r.lhs] ** 2
            else:
                a, b = res.get(r.lhs, np.nan), res.get(r.rhs, np.nan)
                scaled = e / np.sqrt(a * b) if a > 0 and b > 0 else np.nan
                sepc_all[k] = scaled
                sepc_lv[k] = scaled if (r.lhs in lv and r.rhs in lv) else e
    return sepc_lv, sepc_all
