"""Score (Lagrange multiplier) tests for releasing equality constraints, as lavaan 0.6.14's
``lavTestScore(fit, epc = TRUE)`` in its default "release" mode.

An equality held by a shared label (``group_equal`` labels every group's copy of a parameter
alike; a user's ``c(a, a)*x2`` does the same) is, in lavaan, one free parameter per row and an
``==`` row per extra copy. The tests work in that space: the model over the table with every
copy freed (``CompiledModel.from_table``), evaluated at the constrained estimate, with

    score s = -1/2 dF/dtheta (lavaan's gradient of the log-likelihood per case),
    J = the expected information per case,  R = the Jacobian of the equalities (+1, -1 rows),
    total X2 = N s' J^+ s;   univariate X2_r = N s' [Z_r^+]_11 s,  Z_r = [[J, R_r'], [R_r, 0]]

with R_r all equalities but r, and ``^+`` the Moore-Penrose inverse (lavaan's ``MASS::ginv``,
relative tolerance sqrt(machine epsilon)). The expected parameter changes (EPC) of releasing
every equality are s' J^+, as lavaan's ``epc`` column (new minus old). Defined for
normal-theory ML on complete data (ML, MLR, MLM: lavaan uses the same ordinary score test
whatever the standard errors); other estimators are refused.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govstats.sem.distributions import chi2_sf
from govstats.sem.model import CompiledModel
from govstats.sem.objectives import MLObjective

__all__ = ["score_tests", "ScoreTests"]

_TOL = np.sqrt(np.finfo(float).eps)


class ScoreTests:
    """Score tests of a fit's equality constraints (:func:`score_tests`).

    Attributes
    ----------
    total : dict
        ``X2``, ``df``, ``pvalue`` for releasing every equality at once.
    univariate : DataFrame
        One row per equality (lavaan's ``$uni``): ``lhs``, ``op``, ``rhs`` as lavaan's plabels
        (``.p2.``, ``.p38.``), the parameter in words (``parameter``: ``visual=~x2``; ``groups``: the
        two groups it joins), ``X2``, ``df`` (1), ``pvalue``, and the EPC of the freed copy.
    epc : DataFrame
        Every free parameter of the released model: ``lhs, op, rhs, group, plabel, est, epc, epv``.
    """

    def __init__(self, total: dict, univariate: pd.DataFrame, epc: pd.DataFrame):
        self.total, self.univariate, self.epc = total, univariate, epc

    def summary(self) -> str:
        t = self.total
        head = f"Total score test: X2 = {t['X2']:.3f}, df = {t['df']}, p = {t['pvalue']:.4g}"
        cols = ["parameter", "groups", "X2", "pvalue", "epc"]
        return head + "\n\nUnivariate score tests (release one equality):\n" + \
            self.univariate[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}")

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p>{self.summary().splitlines()[0]}</p>" + self.univariate.to_html(index=False)


def released_table(table: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[int, int]]]:
    """The table with every row of a shared label freed on its own, and the equalities as pairs
    of rows (first copy, other copy), in lavaan's order of ``==`` rows (by the other copy's row)."""
    free = table.free.to_numpy()
    pairs = []
    first_of: dict[str, int] = {}
    for i, (f, label, op) in enumerate(zip(free, table.label, table.op)):
        if f <= 0 or not label or op in (":=", "==", "<", ">"):
            continue
        if label in first_of:
            pairs.append((first_of[label], i))
        else:
            first_of[label] = i
    released = table.copy()
    is_free = free > 0
    released.loc[is_free, "free"] = np.arange(1, int(is_free.sum()) + 1)
    released["label"] = [lab if not (f and lab in first_of) else "" for f, lab in zip(is_free, table.label)]
    return released, pairs


def score_tests(results) -> ScoreTests:
    """Score tests for releasing each equality constraint of a fit (``lavTestScore(fit, epc=TRUE)``).

    Parameters
    ----------
    results : SEMResults
        A converged ML-family fit on complete data with equalities by shared labels or
        ``group_equal``.

    Returns
    -------
    ScoreTests

    Examples
    --------
    >>> import pandas as pd, govstats
    >>> from govstats.resources import instruments_dir
    >>> d = pd.read_csv(instruments_dir().parent / "data" / "synthetic" / "platform_dilemma.csv")
    >>> metric = govstats.fit("AU =~ AU1 + AU2 + AU3 + AU4", d, group="district", group_equal=["loadings"])
    >>> st = score_tests(metric)
    >>> int(st.total["df"]), len(st.univariate)
    (6, 6)
    """
    bound = results._bound
    model = bound.model
    # lavaan: with robust SEs (MLM, MLMV, MLMVS) lavTestScore falls back to the ordinary score test
    if results.estimator not in ("ML", "MLR", "MLM", "MLMV", "MLMVS") or bound.statistics.blocks[0].kind != "moments":
        raise ValueError(f"score_tests: defined here for ML, MLR, MLM, MLMV and MLMVS fits on complete data; this "
                         f"fit is {results.estimator} with missing={results.options.get('missing', 'listwise')!r}.")
    if model.constraints is not None:
        raise ValueError("score_tests: the model has explicit constraints (==, <, >); score tests are implemented "
                         "for equalities by shared labels and group_equal only.")
    if not results.converged:
        raise ValueError("score_tests: the model did not converge (lavaan refuses the same).")
    table = model.table
    released, pairs = released_table(table)
    if not pairs:
        raise ValueError("score_tests: the model has no equality constraints to release (shared labels or "
                         "group_equal).")
    full = CompiledModel.from_table(model, released)
    full_bound = full.bind(bound.statistics)
    values = bound.values(results._theta)
    theta = np.zeros(full.n_free)
    is_free = released.free.to_numpy() > 0
    theta[released.free.to_numpy()[is_free] - 1] = values[is_free]
    _, gradient, hessian = MLObjective(full_bound).evaluate(theta, information=True)
    score = -0.5 * gradient
    info = 0.5 * hessian
    n = float(bound.statistics.ntotal)
    index = released.free.to_numpy() - 1
    r = np.zeros((len(pairs), full.n_free))
    for k, (i, j) in enumerate(pairs):
        r[k, index[i]], r[k, index[j]] = 1.0, -1.0
    j_inv = np.linalg.pinv(info, rcond=_TOL)
    stat = float(n * score @ j_inv @ score)
    total = {"X2": stat, "df": len(pairs), "pvalue": float(chi2_sf(stat, len(pairs)))}
    epc_all = score @ j_inv
    uni = []
    for k, (i, j) in enumerate(pairs):
        r1 = np.delete(r, k, axis=0)
        z = np.block([[info, r1.T], [r1, np.zeros((len(r1), len(r1)))]])
        z_plus = np.linalg.pinv(z, rcond=_TOL)[:full.n_free, :full.n_free]
        x2 = float(n * score @ z_plus @ score)
        uni.append({"lhs": f".p{i + 1}.", "op": "==", "rhs": f".p{j + 1}.",
                    "parameter": _name(table, j), "groups": f"{table.group.iat[i]}-{table.group.iat[j]}",
                    "X2": x2, "df": 1, "pvalue": float(chi2_sf(x2, 1)), "epc": float(epc_all[index[j]])})
    univariate = pd.DataFrame(uni)
    rows = np.flatnonzero(is_free)
    epc = pd.DataFrame({"lhs": table.lhs.to_numpy()[rows], "op": table.op.to_numpy()[rows],
                        "rhs": table.rhs.to_numpy()[rows], "group": table.group.to_numpy()[rows],
                        "plabel": [f".p{i + 1}." for i in rows], "est": values[rows],
                        "epc": epc_all[index[rows]]})
    epc["epv"] = epc.est + epc.epc
    return ScoreTests(total, univariate, epc)


def _name(table: pd.DataFrame, i: int) -> str:
    op = table.op.iat[i]
    return f"{table.lhs.iat[i]}~1" if op == "~1" else f"{table.lhs.iat[i]}{op}{table.rhs.iat[i]}"
