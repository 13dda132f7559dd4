"""Composite reliability, omega and AVE from CFAs fitted by the project's SEM engine, as semTools."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from govstats.measurement.constructs import Constructs, sample_cov


def _fit(items: dict[str, list[str]], x: pd.DataFrame):
    """The correlated-factors CFA of ``items`` (std.lv), its parameters under the given names.

    Items and constructs are fitted under plain ASCII aliases: names as researchers write
    them (``认同1``) are valid column names but not all are valid model-syntax names.
    """
    from govstats.sem.fit import fit

    names = list(items) + [i for its in items.values() for i in its]
    alias = {name: f"v{k}_" for k, name in enumerate(dict.fromkeys(names))}
    back = {a: name for name, a in alias.items()}
    syntax = "\n".join(f"{alias[c]} =~ {' + '.join(alias[i] for i in its)}" for c, its in items.items())
    res = fit(syntax, x.rename(columns=alias), std_lv=True)
    params = res.params.copy()
    for column in ("lhs", "rhs"):
        params[column] = params[column].map(lambda v: back.get(v, v))
    return res, params


def _loadings(params: pd.DataFrame, construct: str, items: list[str]) -> np.ndarray:
    p = params[(params.op == "=~") & (params.lhs == construct)].set_index("rhs")
    return p.loc[items, "est"].to_numpy(float)


def omega_one_factor(c: Constructs) -> dict[str, dict[str, float]]:
    """Per construct, its own one-factor CFA: omega = (sum lambda)^2 / sum(S), as
    ``semTools::compRelSEM(fit)`` (observed total variance), and ``omega_model`` with the
    model-implied total variance (``obs.var = FALSE``)."""
    out = {}
    for cid, items in c.items.items():
        x = c.data[items]
        if len(items) < 3:
            # a 2-item factor is not identified on its own; alpha and CR still describe it
            out[cid] = {"omega": float("nan"), "omega_model": float("nan"), "converged": False}
            continue
        res, params = _fit({cid: items}, x)
        lam = _loadings(params, cid, items)
        theta = params[(params.op == "~~") & (params.lhs.isin(items)) & (params.lhs == params.rhs)]
        common = lam.sum() ** 2
        out[cid] = {
            "omega": float(common / sample_cov(x).sum()),
            "omega_model": float(common / (common + theta.est.sum())),
            "converged": bool(res.converged),
        }
    return out


def measurement_model(c: Constructs) -> dict:
    """The correlated-factors CFA of all constructs: CR, AVE and the latent correlations.

    CR is semTools' ``compRelSEM(fit, obs.var = FALSE)``: (sum lambda)^2 phi over the sum of the
    model-implied covariances of the construct's items; AVE is ``semTools::AVE(fit)``: sum of
    lambda^2 phi over the sum of the observed item variances.
    """
    res, p = _fit(c.items, c.data)
    ids = list(c.items)
    phi = pd.DataFrame(np.eye(len(ids)), index=ids, columns=ids)
    for r in p[(p.op == "~~") & p.lhs.isin(ids) & p.rhs.isin(ids)].itertuples():
        phi.loc[r.lhs, r.rhs] = phi.loc[r.rhs, r.lhs] = r.est
    sd = np.sqrt(np.diag(phi.to_numpy()))
    cor = phi / np.outer(sd, sd)
    s = sample_cov(c.data)
    col = {v: i for i, v in enumerate(c.data.columns)}
    theta = {(r.lhs, r.rhs): r.est for r in p[(p.op == "~~") & p.lhs.isin(list(col))].itertuples()}
    cr, ave = {}, {}
    for cid, items in c.items.items():
        lam = _loadings(p, cid, items)
        f = phi.loc[cid, cid]
        idx = [col[i] for i in items]
        resid = sum(v for (a, b), v in theta.items() if a in items and b in items) \
            + sum(v for (a, b), v in theta.items() if a in items and b in items and a != b)
        common = lam.sum() ** 2 * f
        cr[cid] = float(common / (common + resid))
        ave[cid] = float((lam**2).sum() * f / np.trace(s[np.ix_(idx, idx)]))
    if not res.converged:
        warnings.warn("The measurement model did not converge; CR, AVE and the Fornell-Larcker table "
                      "are not to be trusted.", stacklevel=3)
    return {"cr": cr, "ave": ave, "cor_lv": cor, "converged": bool(res.converged), "fit": res}
