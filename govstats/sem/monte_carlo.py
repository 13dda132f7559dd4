"""Monte Carlo confidence intervals, as semTools' ``monteCarloCI`` (Preacher and Selig 2012).

The free parameters are drawn from their asymptotic distribution N(estimate, vcov); each draw
gives the defined (``:=``) parameters, and the interval is the pair of quantiles of those draws
(R's default ``quantile`` type 7, as semTools). Standardized intervals follow semTools too: the
standardized parameters are drawn from their delta-method distribution and the standardized
``:=`` values computed from them. No refits:
20000 draws take a fraction of a second, where the bootstrap refits the model each time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govstats.parallel import seed_record
from govstats.sem.standardize import row_values_batch, standardize_batch

__all__ = ["monte_carlo_ci", "parameter_draws", "draw_tables"]

DEFAULT_DRAWS = 20000  # semTools' nRep


def parameter_draws(results, n_draws: int = DEFAULT_DRAWS, seed=None) -> np.ndarray:
    """``n_draws`` parameter vectors from N(estimate, vcov) (k x free parameters).

    The covariance is factored by its eigen-decomposition, so a singular one (equality
    constraints) draws in the constrained subspace.
    """
    if results._vcov is None:
        raise ValueError("Monte Carlo intervals need the covariance matrix of the estimates; this fit has none "
                         "(se='none' or an unidentified model).")
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 2:
        raise ValueError(f"The 'n_draws' parameter must be an int >= 2. Got {n_draws!r} instead.")
    theta = np.asarray(results._theta, dtype=float)
    vcov = np.asarray(results._vcov, dtype=float)
    w, v = np.linalg.eigh((vcov + vcov.T) / 2)
    root = v * np.sqrt(np.clip(w, 0, None))
    rng = np.random.default_rng(seed)
    return theta + rng.standard_normal((int(n_draws), len(theta))) @ root.T


def draw_tables(results, n_draws, seed):
    """(row values, standardized row values) of each draw.

    The standardized draws are semTools': normal around the standardized estimates with the
    delta method's covariance J V J' (J: the Jacobian of std.all in the parameters), written as
    J (theta* - theta) with the same raw draws theta*, and the := rows computed from them.
    """
    bound = results._bound
    theta = np.asarray(results._theta, dtype=float)
    thetas = parameter_draws(results, n_draws, seed)
    values = row_values_batch(bound, thetas)
    steps = 1e-7 * np.maximum(1.0, np.abs(theta))  # as standardize.delta_se
    around = standardize_batch(bound, np.vstack([theta, theta + np.diag(steps)]), "std.all")
    jac = (around[1:] - around[0]) / steps[:, None]  # q x rows
    std = around[0][None, :] + (thetas - theta) @ np.nan_to_num(jac)
    defined = bound.model.row_map.defined
    if defined.any():
        std[:, defined] = bound.defined(std)
    return values, std


def monte_carlo_ci(results, n_draws: int = DEFAULT_DRAWS, level: float = 0.95, seed=None,
                   standardized: bool = False) -> pd.DataFrame:
    """Monte Carlo intervals of the defined (``:=``) parameters, as ``semTools::monteCarloCI``.

    Parameters
    ----------
    results : SEMResults
    n_draws : int
        Draws from the asymptotic distribution (semTools' ``nRep``, default 20000).
    level : float
    seed : int or SeedSequence, optional
    standardized : bool
        Also the standardized (std.all) values and intervals of every row, defined ones included.

    Returns
    -------
    DataFrame
        ``lhs, op, rhs, est, ci_lower, ci_upper`` for the := rows (every row with
        ``standardized``, with ``est_std, ci_lower_std, ci_upper_std``).

    Examples
    --------
    >>> import pandas as pd
    >>> from govstats import fit
    >>> from govstats.resources import instruments_dir
    >>> data = pd.read_csv(instruments_dir().parent / "data" / "synthetic" / "platform_dilemma.csv")
    >>> res = fit("AU =~ AU1 + a*AU2 + AU3 + AU4; a2 := a^2", data)
    >>> mc = monte_carlo_ci(res, seed=1)
    >>> mc[["lhs", "op"]].values.tolist()
    [['a2', ':=']]
    >>> bool(mc.ci_lower[0] < mc.est[0] < mc.ci_upper[0])
    True
    """
    if not 0 < level < 1:
        raise ValueError(f"The 'level' parameter of monte_carlo_ci must be between 0 and 1. Got {level!r} instead.")
    values, std = draw_tables(results, n_draws, seed)
    table = results._bound.model.table
    shown = table.op.isin(set(results.params.op)).to_numpy()
    probs = [(1 - level) / 2, (1 + level) / 2]
    params = results.params
    keep = np.ones(len(params), dtype=bool) if standardized else (params.op == ":=").to_numpy()
    out = params.loc[keep, ["lhs", "op", "rhs", "group", "est"]].reset_index(drop=True)
    q = np.quantile(values[:, shown][:, keep], probs, axis=0)
    estimated = ((params.free > 0) | (params.op == ":=")).to_numpy()[keep]
    out["ci_lower"] = np.where(estimated, q[0], out.est)
    out["ci_upper"] = np.where(estimated, q[1], out.est)
    if standardized:
        qs = np.nanquantile(std[:, shown][:, keep], probs, axis=0)
        out["est_std"] = results.standardized.est_std.to_numpy()[keep]
        out["ci_lower_std"], out["ci_upper_std"] = qs[0], qs[1]
    return out


def monte_carlo_tables(results, seed=None, n_draws: int = DEFAULT_DRAWS, level: float = 0.95) -> None:
    """Monte Carlo intervals into ``results.params`` (the := rows; free parameters keep their
    Wald intervals, which the Monte Carlo ones equal in expectation) and
    ``results.standardized`` (every row with a standard error)."""
    if seed is None:  # fresh entropy, recorded so that the intervals can be repeated
        seed = np.random.SeedSequence()
    values, std = draw_tables(results, n_draws, seed)
    results.options["seed"] = seed_record(seed)
    table = results._bound.model.table
    shown = table.op.isin(set(results.params.op)).to_numpy()
    probs = [(1 - level) / 2, (1 + level) / 2]
    defined = (results.params.op == ":=").to_numpy()
    if defined.any():
        q = np.quantile(values[:, shown][:, defined], probs, axis=0)
        results.params.loc[defined, "ci_lower"] = q[0]
        results.params.loc[defined, "ci_upper"] = q[1]
    s = results.standardized
    varies = (np.nan_to_num(s.se.to_numpy()) > 0)
    qs = np.nanquantile(std[:, shown][:, varies], probs, axis=0)
    s.loc[varies, "ci_lower"] = qs[0]
    s.loc[varies, "ci_upper"] = qs[1]
