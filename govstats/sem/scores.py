"""Factor scores of a continuous fit, as lavaan's ``lavPredict(fit, method = "regression")`` and
``lavPredict(fit, method = "Bartlett")``.

Both are linear in the data, y -> E(eta) + W (y - E(y)), with the model-implied moments at the
estimates:

- regression (Thurstone; lavaan's default "EBM" for continuous data):
  ``W = V L' Sigma^-1``, with ``L`` below and ``V`` the implied covariance of the latent (and
  dummy) variables from the implied moments of all the variables (``C = B S B'`` of the RAM
  form): ``Cov(eta, y) Sigma^-1`` in a model without regressions on observed variables;
- Bartlett: ``W = (L' Sigma^-1 L)^+ L' Sigma^-1`` (``+``: Moore-Penrose inverse, as lavaan's
  ``MASS::ginv``), with ``L`` lavaan's ``computeLAMBDA``: the measurement loadings of the latent
  variables plus a column per observed variable that lavaan's LISREL form represents by a
  "dummy" latent variable (variables in regressions, see :func:`_dummy_observed`); an exogenous
  dummy's row is a unit vector, an endogenous dummy's row its direct effects (its row of BETA).
  Regressions among the latent variables do not enter ``L``; they enter through ``Sigma`` and
  ``E(eta)``.

``E(y)`` and ``E(eta)`` are the implied means. Without a mean structure lavaan takes the fitted
sample's means for ``E(y)`` and sets the intercepts of the dummy variables so that their implied
means are the sample means (``E(eta)`` is then 0 in a CFA and ``b * mean(x)`` for a factor
regressed on a covariate ``x``); new data are centred at the fitted sample's means, not their own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METHODS = {"regression": "regression", "ebm": "regression", "bartlett": "bartlett", "bartlet": "bartlett",
           "ml": "bartlett"}


def factor_scores(result, data: pd.DataFrame | None = None, method: str = "regression") -> pd.DataFrame:
    """Factor scores of the latent variables of a continuous (ML/MLR) fit.

    Parameters
    ----------
    result : SEMResults
    data : DataFrame, optional
        New data with the model's observed variables (and, for a multiple-group fit, the group
        column; rows whose group the fit does not know are an error). Default: the rows the fit
        used.
    method : {"regression", "Bartlett"}
        Case-insensitive; lavaan's aliases ``"EBM"`` (regression) and ``"ML"`` (Bartlett) too.

    Returns
    -------
    DataFrame
        One column per latent variable, in the model's order; for a multiple-group fit a first
        column ``group`` with the row's group label. With ``data``, the rows and index of
        ``data``: a row with a blank in a model variable (or in the group column) gets NaN scores,
        where lavaan's ``lavPredict`` drops it, so that the scores stay aligned with the input.
        Without ``data``, the rows the fit used, group after group (lavaan's order), with a new
        0..n-1 index.

    Examples
    --------
    >>> import pandas as pd
    >>> from govstats import fit
    >>> from govstats.resources import instruments_dir
    >>> data = pd.read_csv(instruments_dir().parent / "data" / "synthetic" / "platform_dilemma.csv")
    >>> res = fit("AU =~ AU1 + AU2 + AU3 + AU4", data)
    >>> scores = res.predict(data)
    >>> list(scores.columns), len(scores) == len(data)
    (['AU'], True)
    >>> abs(float(scores.AU.mean())) < 1e-10  # centred at the sample means without a mean structure
    True
    """
    kind = METHODS.get(method.lower()) if isinstance(method, str) else None
    if kind is None:
        raise ValueError("The 'method' parameter of predict must be one of {'regression', 'Bartlett'} "
                         f"(case-insensitive; lavaan's aliases 'EBM' and 'ML' too). Got {method!r} instead.")
    bound = result._bound
    model = bound.model
    if model.is_ordinal:
        raise ValueError(f"Factor scores for ordered items (lavaan's EBM or ML scores) are not available in this "
                         f"version ({result.estimator} fit); they are available for continuous (ML, MLR) fits.")
    if (model.table.op == "<~").any():
        raise ValueError("Factor scores of a model with composites ('<~') are not available in this version.")
    lv = list(model.names.lv)
    if not lv:
        raise ValueError("The model has no latent variables, so there are no factor scores to predict.")
    ov = list(model.names.ov)
    multigroup = model.ngroups > 1
    weights = [_weights(bound, result._theta, g, kind) for g in range(1, model.ngroups + 1)]
    columns = (["group"] if multigroup else []) + lv

    fiml = bound.statistics.blocks[0].kind == "missing"

    def scores_of(rows_x: np.ndarray, g: int) -> np.ndarray:
        """Scores of rows of group g: with FIML, an incomplete row's from its answered items, as lavaan
        (the weights of its missing-data pattern: Sigma_oo^-1 in place of Sigma^-1); else NaN."""
        w, ey, eeta = weights[g - 1]
        out = np.full((len(rows_x), len(lv)), np.nan)
        blank = np.isnan(rows_x)
        complete = ~blank.any(axis=1)
        out[complete] = (rows_x[complete] - ey) @ w.T + eeta
        if fiml:
            masks, which = np.unique(blank[~complete], axis=0, return_inverse=True)
            idx = np.flatnonzero(~complete)
            for k, mask in enumerate(masks):
                if mask.all():
                    continue
                w_k, _, _ = _weights(bound, result._theta, g, kind, observed=~mask)
                rows = idx[which.ravel() == k]
                out[rows] = np.nan_to_num(rows_x[rows] - ey) @ w_k.T + eeta
        return out

    if data is None:
        parts = []
        for g in range(1, model.ngroups + 1):
            raw = bound.statistics.blocks[g - 1].raw
            frame = pd.DataFrame(scores_of(raw, g), columns=lv)
            if multigroup:
                frame.insert(0, "group", result.group_labels[g - 1])
            parts.append(frame)
        return pd.concat(parts, ignore_index=True)[columns]

    from govstats.sem.prepare import numeric_block

    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"The 'data' parameter of predict must be a pandas DataFrame. Got {type(data).__name__} "
                         "instead.")
    x = numeric_block(data, ov)
    complete = ~np.isnan(x).any(axis=1)
    out = np.full((len(data), len(lv)), np.nan)
    if multigroup:
        column = result.options.get("group")
        if column not in data.columns:
            raise ValueError(f"The data have no column {column!r}: the fit has groups {result.group_labels}, and "
                             "predict needs each row's group.")
        values = data[column].to_numpy()
        known = pd.notna(values)
        unknown = [v for v in pd.unique(values[known]) if v not in result.group_labels]
        if unknown:
            raise ValueError(f"The group column {column!r} has value(s) {unknown[:10]} that the fit does not know "
                             f"(its groups: {result.group_labels}).")
        for g, label in enumerate(result.group_labels, start=1):
            rows = known & (values == label) & (complete | fiml)
            out[rows] = scores_of(x[rows], g)
        frame = pd.DataFrame(out, index=data.index, columns=lv)
        frame.insert(0, "group", data[column].to_numpy())
        return frame
    out = scores_of(x, 1)
    return pd.DataFrame(out, index=data.index, columns=lv)


def _weights(bound, theta: np.ndarray, g: int, kind: str, observed: np.ndarray | None = None):
    """(W, E(y), E(eta)) of group g at ``theta``: scores = (y - E(y)) W' + E(eta). With ``observed``
    (a mask of the answered variables) W uses only them: Sigma_oo^-1 padded with zeros."""
    block = bound.display_models[g - 1]
    sigma, mu, B, C, M = block.implied(theta)
    p, m = block.p, block.m
    lv_index = np.arange(p, m)
    if observed is None:
        sigma_inv = np.linalg.pinv(sigma)
    else:
        sigma_inv = np.zeros_like(sigma)
        sigma_inv[np.ix_(observed, observed)] = np.linalg.pinv(sigma[np.ix_(observed, observed)])
    dummies = _dummy_observed(bound.model.table, g, block.ov, block.lv)
    ey, eeta = _means(bound, g, block, B, M, dummies)
    A = block.matrices(theta)[0]
    dummy_index = [block.ov.index(v) for v in dummies]
    # lavaan's computeLAMBDA: columns the latent variables, then one per dummy; an ordinary
    # indicator's row holds its loadings, an exogenous dummy's row a 1 in its own column, and an
    # endogenous dummy's row its direct effects (its row of BETA: loadings, regressions on the
    # other dummies; 0 in its own column)
    lam = np.hstack([A[:p, p:], A[:p, dummy_index]])
    exogenous = set(bound.model.names.ov_x)
    for k, i in enumerate(dummy_index):
        if block.ov[i] in exogenous:
            lam[i] = 0.0
            lam[i, len(lv_index) + k] = 1.0
    plain = np.setdiff1d(np.arange(p), dummy_index)
    lam[np.ix_(plain, len(lv_index) + np.arange(len(dummy_index)))] = 0.0
    if kind == "regression":
        # lavaan: VETA L' Sigma^-1 with VETA the implied covariance of the latent and the dummy
        # variables (a dummy is its observed variable); in a model without dummies L' VETA is
        # Cov(y, eta)
        latent = np.concatenate([lv_index, dummy_index]).astype(int)
        fsc = C[np.ix_(latent, latent)] @ lam.T @ sigma_inv
    else:
        information = lam.T @ sigma_inv @ lam
        fsc = np.linalg.pinv(information) @ lam.T @ sigma_inv
        if observed is not None:  # a factor none of whose indicators was answered: no score (lavaan: NA), not 0
            fsc[np.diag(information) <= 1e-12] = np.nan
    return fsc[: len(lv_index)], ey, eeta


def _means(bound, g: int, block, B, M, dummies):
    """(E(y), E(eta)) as lavaan's computeEY / computeEETA."""
    p = block.p
    if bound.model.meanstructure:
        mean = B @ M
        return mean[:p], mean[p:]
    sample = bound.statistics.blocks[g - 1].mean
    if not dummies:
        return sample, np.zeros(block.m - p)
    # lavaan's .internal_get_ALPHA: the dummies' intercepts make their implied means the sample's
    index = [block.ov.index(v) for v in dummies]
    intercepts = np.linalg.solve(B[np.ix_(index, index)], sample[index])
    m_star = np.zeros(block.m)
    m_star[index] = intercepts
    return sample, (B @ m_star)[p:]


def _dummy_observed(table: pd.DataFrame, g: int, ov: list[str], lv: list[str]) -> list[str]:
    """Observed variables lavaan's LISREL form gives a dummy latent variable in group g
    (``lav_lisrel``, without conditional.x): those in a regression, those in a covariance with one
    of them (or sharing a side of such a covariance), and those covarying with a latent variable;
    in the model's order of observed variables."""
    t = table[table.group == g]
    lv_set, ov_set = set(lv), set(ov)
    reg = t[t.op == "~"]
    names1 = {v for v in list(reg.lhs) + list(reg.rhs) if v not in lv_set}
    cov = t[t.op == "~~"]
    first = cov[cov.lhs.isin(names1) | cov.rhs.isin(names1)]
    second = cov[cov.lhs.isin(set(first.lhs)) | cov.rhs.isin(set(first.rhs))]
    rows = pd.concat([first, second])
    names2 = set(rows.lhs) | set(rows.rhs)
    names3 = set(cov.lhs[cov.lhs.isin(ov_set) & cov.rhs.isin(lv_set)]) | \
        set(cov.rhs[cov.lhs.isin(lv_set) & cov.rhs.isin(ov_set)])
    dummies = names1 | names2 | names3
    return [v for v in ov if v in dummies]
