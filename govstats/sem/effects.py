"""Direct, specific indirect, total indirect and total effects, and the effect ratio.

The structural part of a model is the graph of its regressions (``y ~ x`` is the edge x -> y,
among latent and observed variables alike). For every predictor x and outcome y joined by
at least one chain of two or more regressions, :func:`effects_table` lists the direct effect
(the path x -> y, if the model has it), each specific indirect effect (the product of the
coefficients along one chain x -> m1 -> ... -> y), their sum (the total indirect effect), the
total effect (direct + total indirect) and, when there is a direct path, the effect ratio
(total indirect / total; without one it is 1). The user writes no ``:=`` lines.

Each effect is a function of the parameter-table rows, so the same function gives the
estimate, the standardized value (from the std.all coefficients), every bootstrap draw (the
fit's draws, with its interval type), Monte Carlo draws, or the delta method's Jacobian.
A model with a feedback loop has infinitely many chains; it is refused.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govstats.sem.distributions import norm_ppf, norm_sf
from govstats.sem.standardize import delta_se, row_values_batch, standardize_batch

__all__ = ["effects_table", "structural_effects"]

COLUMNS = ["group", "effect", "predictor", "outcome", "path", "est", "se", "z", "pvalue", "ci_lower", "ci_upper",
           "std_all", "std_ci_lower", "std_ci_upper"]


def structural_effects(table: pd.DataFrame) -> list[dict]:
    """The effects of a parameter table: one dict per effect with ``group, effect, predictor,
    outcome, path`` and ``terms``, a list of (sign, [table rows multiplied]) whose sum is the
    effect (the ratio has ``numerator``/``denominator`` instead)."""
    out = []
    op, lhs, rhs, group = (table[c].to_numpy() for c in ("op", "lhs", "rhs", "group"))
    for g in sorted(set(group[op == "~"])):
        edges: dict[str, list[tuple[str, int]]] = {}
        for k in np.flatnonzero((op == "~") & (group == g)):
            edges.setdefault(rhs[k], []).append((lhs[k], int(k)))
        _refuse_cycles(edges, g)
        nodes = list(dict.fromkeys([v for v in edges] + [t for ts in edges.values() for t, _ in ts]))
        for x in nodes:
            chains = _chains(edges, x)
            for y in dict.fromkeys(path[-1][0] for path in chains):
                indirect = [p for p in chains if p[-1][0] == y and len(p) >= 2]
                if not indirect:
                    continue
                direct = [p for p in chains if p[-1][0] == y and len(p) == 1]
                base = {"group": int(g), "predictor": x, "outcome": y}
                ind_terms = [[k for _, k in p] for p in indirect]
                if direct:
                    out.append({**base, "effect": "direct", "path": f"{x} -> {y}",
                                "terms": [[direct[0][0][1]]]})
                for p, rows in zip(indirect, ind_terms):
                    out.append({**base, "effect": "indirect", "path": " -> ".join([x] + [v for v, _ in p]),
                                "terms": [rows]})
                out.append({**base, "effect": "total indirect", "path": "", "terms": ind_terms})
                total = ind_terms + ([[direct[0][0][1]]] if direct else [])
                out.append({**base, "effect": "total", "path": "", "terms": total})
                if direct:  # without a direct path the ratio is 1 by definition
                    out.append({**base, "effect": "ratio", "path": "indirect / total", "numerator": ind_terms,
                                "denominator": total})
    return out


def _chains(edges: dict, start: str) -> list[list[tuple[str, int]]]:
    """Every directed path from ``start`` as [(node, edge row), ...]."""
    out, stack = [], [[(t, k)] for t, k in edges.get(start, [])]
    while stack:
        path = stack.pop()
        out.append(path)
        stack.extend(path + [(t, k)] for t, k in edges.get(path[-1][0], []))
    return sorted(out, key=lambda p: (len(p), [v for v, _ in p]))


def _refuse_cycles(edges: dict, group) -> None:
    state: dict[str, int] = {}

    def visit(v, trail):
        state[v] = 1
        for t, _ in edges.get(v, []):
            if state.get(t) == 1:
                loop = " -> ".join(trail[trail.index(t):] + [t]) if t in trail else f"{v} -> {t}"
                raise ValueError(f"The structural model has a feedback loop ({loop}, group {group}); specific "
                                 "indirect effects are then infinite series, which effects() does not compute.")
            if state.get(t) is None:
                visit(t, trail + [t])
        state[v] = 2

    for v in list(edges):
        if state.get(v) is None:
            visit(v, [v])


def _evaluate(effects: list[dict], values: np.ndarray) -> np.ndarray:
    """Effects (k x effects) from row values (k x table rows)."""
    values = np.atleast_2d(values)

    def summed(terms):
        return sum(np.prod(values[:, rows], axis=1) for rows in terms)

    out = np.empty((len(values), len(effects)))
    for j, e in enumerate(effects):
        if e["effect"] == "ratio":
            with np.errstate(divide="ignore", invalid="ignore"):
                out[:, j] = summed(e["numerator"]) / summed(e["denominator"])
        else:
            out[:, j] = summed(e["terms"])
    return out


def effects_table(results, level: float = 0.95) -> pd.DataFrame:
    """The effects of a fitted model with estimates, standardized values, SEs and intervals.

    With bootstrap draws (``se="bootstrap"``) the SEs and intervals (of the fit's type) come
    from the draws, the standardized ones from the re-standardized draws; with
    ``ci="monte_carlo"`` from Monte Carlo draws (as semTools' monteCarloCI); otherwise SEs by the
    delta method and Wald intervals.

    Examples
    --------
    >>> import pandas as pd
    >>> from govstats import fit
    >>> from govstats.resources import instruments_dir
    >>> data = pd.read_csv(instruments_dir().parent / "data" / "synthetic" / "platform_dilemma.csv")
    >>> model = '''GP =~ GP1 + GP2 + GP3 + GP4
    ... RD =~ RD1 + RD2 + RD3 + RD4
    ... AU =~ AU1 + AU2 + AU3 + AU4
    ... RD ~ GP
    ... AU ~ RD + GP'''
    >>> table = fit(model, data).effects()
    >>> table[["effect", "path"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['direct', 'GP -> AU'], ['indirect', 'GP -> RD -> AU'], ['total indirect', ''], ['total', ''],
     ['ratio', 'indirect / total']]
    """
    bound = results._bound
    effects = structural_effects(bound.model.table)
    if not effects:
        return pd.DataFrame(columns=COLUMNS)
    theta = np.asarray(results._theta, dtype=float)
    est = _evaluate(effects, row_values_batch(bound, theta[None, :]))[0]
    std = _evaluate(effects, standardize_batch(bound, theta[None, :], "std.all"))[0]
    boot = results.bootstrap
    z = float(norm_ppf(0.5 + level / 2))
    if boot is not None and boot.requested:
        from govstats.sem.intervals import bootstrap_se, interval, jackknife_acceleration

        draws, std_draws = _evaluate(effects, boot.values), _evaluate(effects, boot.std_all)
        accel = std_accel = None
        if boot.jackknife_values is not None:
            accel = jackknife_acceleration(_evaluate(effects, boot.jackknife_values))
            std_accel = jackknife_acceleration(_evaluate(effects, boot.jackknife_std))
        se = bootstrap_se(draws)
        lower, upper = interval(draws, est, boot.ci, level, accel)
        std_lower, std_upper = interval(std_draws, std, boot.ci, level, std_accel)
    elif results._vcov is None:
        se = lower = upper = std_lower = std_upper = np.full(len(effects), np.nan)
    else:
        se = delta_se(lambda ts: _evaluate(effects, row_values_batch(bound, ts)), theta, results._vcov)
        if results.options.get("ci") == "monte_carlo":
            from govstats.sem.monte_carlo import DEFAULT_DRAWS, draw_tables

            values, std_values = draw_tables(results, DEFAULT_DRAWS, results.options.get("seed"))
            probs = [(1 - level) / 2, (1 + level) / 2]
            lower, upper = np.nanquantile(_evaluate(effects, values), probs, axis=0)
            std_lower, std_upper = np.nanquantile(_evaluate(effects, std_values), probs, axis=0)
        else:
            std_se = delta_se(lambda ts: _evaluate(effects, standardize_batch(bound, ts, "std.all")), theta,
                              results._vcov)
            lower, upper = est - z * se, est + z * se
            std_lower, std_upper = std - z * std_se, std + z * std_se
    with np.errstate(divide="ignore", invalid="ignore"):
        zval = np.where(se > 0, est / se, np.nan)
    frame = pd.DataFrame([{k: e[k] for k in ("group", "effect", "predictor", "outcome", "path")} for e in effects])
    frame = frame.assign(est=est, se=se, z=zval, pvalue=2 * norm_sf(np.abs(zval)), ci_lower=lower, ci_upper=upper,
                         std_all=std, std_ci_lower=std_lower, std_ci_upper=std_upper)
    return frame[COLUMNS]
