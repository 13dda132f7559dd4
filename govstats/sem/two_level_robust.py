"""The Yuan-Bentler (Mplus variant) scaled test of two-level MLR, as lavaan 0.6.14's
``lav_test_yuan_bentler_mplus_trace``: trace(U Gamma) = tr(B1 A1^-1) - tr(B0 A0^-1), with A1 the
observed information of the unrestricted model and B1 the cross-product of its cluster scores, both
at lavaan's EM estimate ("unstructured", always for this variant), over the unrestricted model's
parameters less those of fixed.x covariates (their means and their own covariance block); A0 and B0
are the model's information and cluster cross-product. The unrestricted model is written as a
two-level model whose parameters are the moments themselves (every covariance of each level, the
between means and the means of within-only variables), so the same objective gives its derivatives.
The baseline's scaling factor (robust CFI/TLI) uses its own tr(B0 A0^-1) the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govstats.sem import fit_measures as fm
from govstats.sem import two_level as tl
from govstats.sem.two_level_hessian import observed_hessian
from govstats.sem.two_level_inference import cluster_score_matrix
from govstats.sem.two_level_model import TwoLevelModel, baseline_names
from govstats.sem.two_level_objective import TwoLevelObjective


def saturated_partable(names, fixed_x: bool) -> pd.DataFrame:
    """The unrestricted two-level model as a parameter table: every covariance per level, the between
    means and the means of within-only variables free; fixed.x covariates' moments fixed (exo)."""
    rows = []
    both = set(names[0].ov) & set(names[1].ov)
    for block, level_names in enumerate(names, start=1):
        x = set(level_names.ov_x) if fixed_x else set()
        ov = list(level_names.ov)
        add = lambda lhs, op, rhs, free, exo=0, ustart=np.nan: rows.append(
            {"lhs": lhs, "op": op, "rhs": rhs, "group": block, "level": block, "user": 0, "free": free,
             "ustart": ustart, "exo": exo, "label": "", "line": 0})
        for i, a in enumerate(ov):
            for b in ov[i:]:
                fixed = a in x and b in x
                add(a, "~~", b, 0 if fixed else 1, exo=int(fixed))
        for v in ov:
            if v in x:
                add(v, "~1", "", 0, exo=1)
            elif block == 1 and v in both:
                add(v, "~1", "", 0, ustart=0.0)
            else:
                add(v, "~1", "", 1)
    table = pd.DataFrame(rows)
    table["free"] = np.where(table.free > 0, np.cumsum(table.free > 0), 0)
    return table


def h1_values(model: TwoLevelModel, h1: tl.H1):
    """(parameter vector at the EM estimate, fixed.x moments per level) of a model of observed
    variables only (the saturated or the independence model): each free row takes its moment."""
    pz = len(model.between_only)
    pos = model.between_position
    within = list(model.level_names[0].ov)
    between = list(model.level_names[1].ov)
    mean_b = h1.mu_b.copy()
    mean_b[pz:] += np.where(model.within_only, 0.0, h1.mu_w)   # total means of split variables
    sigma_b = h1.sigma_b[np.ix_(pos, pos)]
    moments = [(h1.mu_w, h1.sigma_w), (mean_b[pos], sigma_b)]
    table = model.table
    theta = np.zeros(model.n_free)
    for lhs, op, rhs, block, free in zip(table.lhs, table.op, table.rhs, table.group, table.free):
        if free <= 0:
            continue
        names = within if block == 1 else between
        mean, cov = moments[block - 1]
        theta[free - 1] = mean[names.index(lhs)] if op == "~1" else cov[names.index(lhs), names.index(rhs)]
    return theta, moments


def _trace_h0(bound, theta: np.ndarray, expected: bool = False) -> float:
    """tr(B0 A0^-1) of a fitted two-level model (A0: observed information, or the expected one with
    information="expected"; B0: cluster cross-product)."""
    objective = TwoLevelObjective(bound)
    scores = cluster_score_matrix(objective, theta)
    b0 = scores.T @ scores
    hessian = objective.expected_hessian(theta) if expected else observed_hessian(objective, theta)
    a0 = 0.5 * bound.statistics.blocks[0].n * hessian
    return float(np.sum(b0 * np.linalg.inv(a0).T))


def h1_trace(bound, h1: tl.H1, fixed_x: bool, expected: bool = False) -> float:
    """tr(B1 A1^-1) of the unrestricted model at lavaan's EM estimate."""
    model = bound.model
    table = saturated_partable(model.level_names, fixed_x)
    saturated = TwoLevelModel(model.syntax, table, baseline_names(model.level_names, fixed_x), model.level_labels, [])
    theta, moments = h1_values(saturated, h1)
    return _trace_h0(saturated.bind(bound.statistics, moments), theta, expected)


def scaled_test(bound, objective, theta, b0, info_inv, h1, chisq, df, base_bound, base_opt, base_chisq, base_df,
                fixed_x: bool, expected: bool = False) -> tuple[dict, tuple[float, float]]:
    """lavaan's MLR test and robust fit measures of a two-level model, and its scaling factors of h0
    and h1 (tr(B0 A0^-1) / npar, tr(B1 A1^-1) / number of unrestricted parameters) for the summary."""
    from govstats.sem.two_level_inference import h1_parameter_count

    n = bound.statistics.blocks[0].n
    trace_h1 = h1_trace(bound, h1, fixed_x, expected)
    trace_h0 = float(np.sum(b0 * info_inv.T))
    trace = trace_h1 - trace_h0
    base_trace = trace_h1 - _trace_h0(base_bound, base_opt.theta, expected)
    measures = fm.robust_measures(chisq=chisq, df=df, n=n, groups=1, c=trace / df, trace_ugamma=trace,
                                  baseline_chisq=base_chisq, baseline_df=base_df, c_null=base_trace / base_df)
    factors = (trace_h0 / bound.model.n_free, trace_h1 / h1_parameter_count(bound.model, fixed_x))
    return measures, factors
