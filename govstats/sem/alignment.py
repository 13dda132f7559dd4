"""Alignment optimization for many groups (Asparouhov & Muthen 2014), as ``sirt::invariance.alignment``.

The configural one-factor model is fit in every group with the factor's mean 0 and variance 1,
giving per group ``g`` and item ``i`` a loading ``lambda[g, i]`` and an intercept ``nu[g, i]``.
Alignment then looks for group factor means ``alpha[g]`` and SDs ``psi[g]`` under which the
aligned parameters

    lambda1[g, i] = lambda[g, i] / psi[g]
    nu1[g, i]     = nu[g, i] - alpha[g] * lambda[g, i] / psi[g]

are as equal across groups as possible, by minimizing the simplicity function

    F = sum_i sum_{g != h} w[g, i] w[h, i] * ( f_lambda(lambda1[g, i] - lambda1[h, i])
                                              + f_nu(nu1[g, i] - nu1[h, i]) ),
    f(x) = ((x / scale)^2 + eps)^(power / 2)   (about |x / scale|^power),

summed over ordered pairs of groups (each pair twice) with the weights of every item normalized
to sum 1 over the groups. These are sirt's definitions (sirt 4.3-21, ``R/invariance.alignment.R``
and ``src/sirt_rcpp_invariance_alignment.cpp``): ``power`` is sirt's ``align.pow`` (default
0.5, Asparouhov & Muthen's component loss ``sqrt(sqrt(x^2 + eps))``), ``scale`` is
``align.scale`` (default 1), ``eps`` is 0.001, and the reported value ``simplicity`` is sirt's
``fopt``. Identification is sirt's default ``meth=1, fixed=TRUE`` (sirt 4.3-21 chooses it for fewer
than 1000 groups), which is Mplus' ALIGNMENT = FIXED with the first group as reference: the
first group's mean is 0 and its SD 1. Measured here: with many groups and noisy loadings this
identification has a degenerate optimum, all other groups' SDs inflated together (their aligned
loadings shrink to nearly equal values; the gain grows with the G^2 pairs among them, the loss
only with the 2G pairs with the reference), e.g. 20-fold in every case of
benchmarks/bench_alignment.py (30-100 groups). So the default ``identification="auto"`` uses
it for up to 6 groups only, the rule sirt's help page states for ``fixed=NULL`` ("for many
groups, fixed=FALSE is chosen") and its ``invariance_alignment_choose_fixed(Gmax=6)`` default,
and beyond that sirt's ``fixed=FALSE``: first group's mean 0, geometric mean of the SDs 1
(reported so, as sirt does; divide means and SDs by the first group's SD for its scale). The
FREE variant of Mplus is offered as sirt's ``meth=4`` (``identification="free"``: all means
free, product of SDs 1, a ridge ``0.001 * sum(means^2)``), with the analytic gradient (sirt uses
numerical derivatives there).

The optimization follows sirt: L-BFGS-B with the analytic gradient, SDs bounded below by 0.01,
started from the groups' median loading (relative to the first group's) and median intercept
(minus the first group's), and run along sirt's decreasing sequence of ``eps`` values
(1, 10^-0.5, ..., down to ``eps``), each run starting where the previous one stopped, so the
nearly non-smooth final function is approached from smooth ones. Because the function is not
convex, ``starts - 1`` further starts perturb the first start's solution at random (from
``seed``: means by about their spread over groups, SDs by about 30%) and rerun the stages with
eps <= 0.01 (the smoother stages would pull them back to one place); the lowest simplicity
value wins. The first start alone is sirt's path. Example (tests): two groups whose item
differences are 0, 0, 1, 1 leave sirt's path at the mean difference 0.5, a stationary point
between the two minima 0 and 1, which the further starts find.
Convergence: each run stops when L-BFGS-B's relative reduction of F falls below 1e-13 or the
largest projected gradient component below 1e-8 (``scipy.optimize.minimize`` options
``ftol``/``gtol``); the result counts as converged when the final run of the best start stops
that way (not on its iteration limit).

Invariance measures, as sirt reports them: ``R2`` per parameter type over all groups and items,
``1 - sum((lambda - psi_g M_i)^2) / sum(lambda^2)`` for loadings and
``1 - sum((nu - M.nu_i - alpha_g M.lambda_i)^2) / sum(nu^2)`` for intercepts (``M`` are the
items' means of the aligned parameters; sirt's ``sirt_rsquared`` divides by the uncentered sum
of squares), ``sqrtU2 = sqrt(1 - R2)`` and ``rbar``, the average correlation between groups of
the aligned parameters across items. Per item, the Mplus-style R-squared (Asparouhov & Muthen
2014, variance over groups of the same residuals divided by the variance of the configural
parameter) and each item's share of ``F``; per group and item, the residual of the aligned
parameter from the item's mean (sirt's ``lambda.resid``, ``nu.resid``) and the group's share of
``F`` (the sum over the other groups of its pairwise terms; the shares add up to ``F``), which
singles out the non-invariant parameters.

Speed (benchmarks/bench_alignment.py, CPU seconds on this machine, whose 2 cores were shared
with other jobs at load 12-15, so wall time was 3-10x more; "product" identification, one start /
the default 5 starts): 30 groups x 6 items 0.12 / 0.31 s; 60 x 8: 0.24 / 0.68 s; 100 x 5:
0.52 / 1.5 s; 100 x 10: 1.1 / 3.2 s. One evaluation of F and its gradient for 100 x 10 takes
about 5 ms CPU (pairs of groups as arrays, no Python loop).
"""

from __future__ import annotations

import html
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from govstats._threads import single_threaded
from govstats.errors import ConvergenceWarning, IdentificationWarning

MIN_SD = 0.01          # sirt's lower bound for the group SDs (min_val)
EPS_GRID = 10.0 ** np.arange(0.0, -10.5, -0.5)  # sirt's default eps_grid = seq(0, -10, by=-.5)
FTOL, GTOL, MAXITER = 1e-13, 1e-8, 5000


# -- the simplicity function ------------------------------------------------------------------
def component_loss(diff: np.ndarray, scale: float, power: float, eps: float):
    """sirt's ``f(x) = ((x / scale)^2 + eps)^(power / 2)`` and its derivative in ``x``."""
    q = (diff / scale) ** 2 + eps
    half = power / 2.0
    value = np.sqrt(np.sqrt(q)) if half == 0.25 else np.sqrt(q) if half == 0.5 else q ** half  # sqrt: 5x faster
    slope = (power / scale ** 2) * value / q * diff
    return value, slope


@dataclass(frozen=True)
class PairWeights:
    """The unordered pairs of groups ``first[p] < second[p]`` and their weights ``w[g, i] w[h, i]``
    (P x I) of the per-item normalized weights."""

    first: np.ndarray
    second: np.ndarray
    weights: np.ndarray
    n_groups: int

    def to_groups(self, per_pair: np.ndarray, sign: float) -> np.ndarray:
        """G x I sums over the pairs: ``per_pair`` added to the first group and ``sign * per_pair``
        to the second (one bincount instead of a loop)."""
        g, n_items = self.n_groups, per_pair.shape[1]
        cols = np.arange(n_items)
        out = np.bincount((self.first[:, None] * n_items + cols).ravel(), per_pair.ravel(), g * n_items)
        out += sign * np.bincount((self.second[:, None] * n_items + cols).ravel(), per_pair.ravel(), g * n_items)
        return out.reshape(g, n_items)


def pair_weights(weights: np.ndarray) -> PairWeights:
    """The pair weights ``w[g, i] w[h, i]`` of the per-item normalized weights (sirt's wgt_combi)."""
    w = weights / weights.sum(axis=0, keepdims=True)
    first, second = np.triu_indices(w.shape[0], 1)
    return PairWeights(first, second, w[first] * w[second], w.shape[0])


def aligned_parameters(loadings, intercepts, means, sds):
    """The aligned loadings ``lambda / psi`` and intercepts ``nu - alpha * lambda / psi`` (G x I)."""
    lam1 = loadings / sds[:, None]
    return lam1, intercepts - means[:, None] * lam1


def simplicity_terms(loadings, intercepts, means, sds, pw, power=(0.5, 0.5), scale=(1.0, 1.0), eps=1e-3):
    """Group-by-item shares of the simplicity function for loadings and for intercepts.

    Returns two G x I arrays; their grand total is the simplicity function ``F`` (sirt's
    ``fopt``): the share of group ``g`` and item ``i`` is the sum over the other groups ``h`` of
    ``w[g, i] w[h, i] f(par1[g, i] - par1[h, i])``.
    """
    lam1, nu1 = aligned_parameters(loadings, intercepts, means, sds)
    out = []
    for k, par in enumerate((lam1, nu1)):
        value, _ = component_loss(par[pw.first] - par[pw.second], scale[k], power[k], eps)
        out.append(pw.to_groups(pw.weights * value, 1.0))
    return out[0], out[1]


def simplicity(loadings, intercepts, means, sds, pw, power=(0.5, 0.5), scale=(1.0, 1.0), eps=1e-3):
    """The simplicity function ``F`` and its gradient in (means, sds), each of length G.

    ``F`` sums over ordered pairs as sirt does, i.e. twice over the unordered ones.
    """
    lam1, nu1 = aligned_parameters(loadings, intercepts, means, sds)
    total = 0.0
    grads = []
    for k, par in enumerate((lam1, nu1)):
        value, slope = component_loss(par[pw.first] - par[pw.second], scale[k], power[k], eps)
        total += 2.0 * float((pw.weights * value).sum())
        # d/d par[g]: +slope for the pair's first group, -slope for its second; times 2 (both orders)
        grads.append(2.0 * pw.to_groups(pw.weights * slope, -1.0))
    g_lam, g_nu = grads
    grad_means = -(g_nu * lam1).sum(axis=1)
    grad_sds = ((-g_lam + g_nu * means[:, None]) * lam1).sum(axis=1) / sds
    return total, grad_means, grad_sds


# -- the optimization --------------------------------------------------------------------------
FREE_PENALTY = 1e-3   # sirt's meth=4 ridge: sum(wgt[, 1]) / 1000 with weights normalized per item


def n_mean_parameters(g: int, identification: str) -> int:
    return g if identification == "free" else g - 1


def unpack(x, g: int, identification: str):
    """Group means and SDs from the free parameters: means 2..G (all G for "free"), then SDs
    2..G ("first") or log-SDs 2..G of SDs scaled to geometric mean 1 ("product", "free")."""
    k = n_mean_parameters(g, identification)
    means = x[:k] if identification == "free" else np.concatenate(([0.0], x[:k]))
    if identification == "first":
        return means, np.concatenate(([1.0], x[k:]))
    logs = np.concatenate(([0.0], x[k:]))
    return means, np.exp(logs - logs.mean())


def _objective(x, loadings, intercepts, pw, power, scale, eps, identification="first"):
    g = loadings.shape[0]
    means, sds = unpack(x, g, identification)
    value, gm, gs = simplicity(loadings, intercepts, means, sds, pw, power, scale, eps)
    if identification != "first":  # chain rule through sds = exp(l - mean(l))
        gs = gs * sds
        gs = gs - gs.mean()
    if identification == "free":  # all means free, held by sirt's small ridge
        value += FREE_PENALTY * float(means @ means)
        return value, np.concatenate((gm + 2 * FREE_PENALTY * means, gs[1:]))
    return value, np.concatenate((gm[1:], gs[1:]))


def _reported(x, g: int, identification: str):
    """Means and SDs as reported; for "free" on the first group's scale, as sirt's
    invariance_alignment_center_parameters does for meth=4."""
    means, sds = unpack(x, g, identification)
    if identification == "free":
        means, sds = (means - means[0]) / sds[0], sds / sds[0]
    return means, sds


def _run_path(x0, eps_path, loadings, intercepts, pw, power, scale, identification="first"):
    """One start along the decreasing eps sequence; returns (x, value, scipy result of the last run, iterations)."""
    g = loadings.shape[0]
    low = MIN_SD if identification == "first" else None
    bounds = [(None, None)] * n_mean_parameters(g, identification) + [(low, None)] * (g - 1)
    x, iterations, res = x0, 0, None
    for k, e in enumerate(eps_path):
        last = k == len(eps_path) - 1  # the smoother stages only lead the way: looser tolerances
        res = minimize(_objective, x, args=(loadings, intercepts, pw, power, scale, e, identification), jac=True,
                       method="L-BFGS-B", bounds=bounds,
                       options={"ftol": FTOL if last else 1e-9, "gtol": GTOL if last else 1e-5,
                                "maxiter": MAXITER, "maxcor": 20})
        x = res.x
        iterations += int(res.nit)
    return x, float(res.fun), res, iterations


def _eps_path(eps: float) -> np.ndarray:
    """sirt_define_eps_sequence: the grid values >= eps, then eps, decreasing."""
    path = np.unique(np.concatenate((EPS_GRID, [eps])))[::-1]
    return path[path >= eps]


# -- inputs -----------------------------------------------------------------------------------
def _as_matrix(x, name: str) -> tuple[np.ndarray, list | None, list | None]:
    if isinstance(x, pd.DataFrame):
        return x.to_numpy(dtype=float), list(x.index), list(x.columns)
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"The '{name}' parameter of alignment must be a numeric G x I array; {exc}") from None
    if arr.ndim != 2:
        raise ValueError(f"The '{name}' parameter of alignment must be a G x I array (groups x items). "
                         f"Got an array of shape {arr.shape} instead.")
    return arr, None, None


def _pair(value, name: str) -> tuple[float, float]:
    arr = np.broadcast_to(np.asarray(value, dtype=float), (2,)) if np.ndim(value) <= 1 else None
    if arr is None or not np.all(np.isfinite(arr)):
        raise ValueError(f"The '{name}' parameter of alignment must be a number or a pair "
                         f"(loadings, intercepts). Got {value!r} instead.")
    return float(arr[0]), float(arr[1])


def _weights(weights, shape) -> np.ndarray:
    g, i = shape
    if weights is None:
        return np.ones(shape)
    w = np.asarray(weights, dtype=float)
    if w.shape == (g,):
        w = np.repeat(w[:, None], i, axis=1)
    if w.shape != shape or not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ValueError(f"The 'weights' parameter of alignment must be positive numbers, one per group "
                         f"(length {g}) or a {g} x {i} array. Got {weights!r} instead.")
    return w


# -- results ----------------------------------------------------------------------------------
@dataclass
class AlignmentResults:
    """The result of :func:`alignment` / :func:`alignment_from_estimates`.

    Attributes
    ----------
    factor : DataFrame
        One row per group: aligned factor ``mean`` (sirt's ``alpha0``), ``sd`` (``psi0``) and
        ``variance``; the first group has mean 0, and SD 1 ("first", "free") or the SDs have
        geometric mean 1 ("product").
    loadings, intercepts : DataFrame
        The configural estimates that were aligned (groups x items).
    aligned_loadings, aligned_intercepts : DataFrame
        sirt's ``lambda.aligned`` and ``nu.aligned``: the parameters on the aligned scale.
    loading_residuals, intercept_residuals : DataFrame
        sirt's ``lambda.resid`` and ``nu.resid``: aligned parameters minus their item mean.
    loading_contributions, intercept_contributions : DataFrame
        Each group's share of the simplicity function per item (they sum to ``simplicity``);
        large shares mark non-invariant parameters.
    items : DataFrame
        Per item: sirt's ``itempars.aligned`` (Med, M, SD, Min, Max of the aligned loadings and
        intercepts); ``R2.lambda``, ``R2.nu``, the Mplus-style R-squared, 1 - variance over groups
        of (configural parameter - its value under the aligned model with the item's mean aligned
        parameter) / variance over groups of the configural parameter, negative when the
        configural parameter varies less over groups than it departs from that model (nearly
        invariant items with few groups); ``F.lambda``, ``F.nu``, the item's share of ``F``.
    invariance : DataFrame
        sirt's ``es.invariance``: rows ``R2``, ``sqrtU2``, ``rbar``; columns ``loadings``,
        ``intercepts``.
    simplicity : float
        The minimized simplicity function (sirt's ``fopt``).
    starts : DataFrame
        Every start's simplicity value, iterations and convergence; row 0 is sirt's start.
    converged : bool
    options : dict
        ``power``, ``scale``, ``eps``, ``starts``, ``seed``, ``identification`` (as resolved
        from "auto"), ``weights`` (a description) and ``weight_matrix`` (the G x I weights).
    seconds : float
    """

    factor: pd.DataFrame
    loadings: pd.DataFrame
    intercepts: pd.DataFrame
    aligned_loadings: pd.DataFrame
    aligned_intercepts: pd.DataFrame
    loading_residuals: pd.DataFrame
    intercept_residuals: pd.DataFrame
    loading_contributions: pd.DataFrame
    intercept_contributions: pd.DataFrame
    items: pd.DataFrame
    invariance: pd.DataFrame
    simplicity: float
    starts: pd.DataFrame
    converged: bool
    iterations: int
    seconds: float
    options: dict = field(default_factory=dict)
    factor_name: str = ""

    def largest_contributions(self, top: int = 10) -> pd.DataFrame:
        """The ``top`` group-by-parameter shares of the simplicity function, largest first."""
        rows = []
        for kind, table, resid in (("loading", self.loading_contributions, self.loading_residuals),
                                   ("intercept", self.intercept_contributions, self.intercept_residuals)):
            long = table.stack().rename("contribution").reset_index()
            long.columns = ["group", "item", "contribution"]
            long.insert(2, "parameter", kind)
            long["residual"] = resid.stack().to_numpy()
            rows.append(long)
        out = pd.concat(rows, ignore_index=True).sort_values("contribution", ascending=False)
        return out.head(top).reset_index(drop=True)

    def summary(self) -> str:
        opts = self.options
        lines = [f"Alignment optimization (Asparouhov & Muthen 2014; as sirt::invariance.alignment)"
                 + (f" for factor {self.factor_name}" if self.factor_name else ""),
                 f"  Groups {len(self.factor)}, items {len(self.items)}; identification: "
                 + {"first": "first group mean 0, SD 1 (FIXED)",
                    "product": "first group mean 0, geometric mean of the SDs 1",
                    "free": "all means free, SDs' geometric mean 1, ridge 0.001 (FREE); reported with the "
                            "first group's mean 0, SD 1"}[opts.get("identification", "first")],
                 f"  Power {opts['power'][0]:g} {opts['power'][1]:g}, scale {opts['scale'][0]:g} "
                 f"{opts['scale'][1]:g}, eps {opts['eps']:g}, weights {opts['weights']}",
                 f"  Simplicity function {self.simplicity:.6f}; converged {self.converged}; "
                 f"{len(self.starts)} start(s), {self.iterations} iterations, {self.seconds:.2f} s",
                 "", "Effect sizes of approximate invariance",
                 self.invariance.to_string(float_format=lambda v: f"{v:.4f}"),
                 "", "Group means and standard deviations",
                 self.factor.to_string(float_format=lambda v: f"{v:.3f}"),
                 "", "Items",
                 self.items.to_string(float_format=lambda v: f"{v:.3f}"),
                 "", "Largest shares of the simplicity function",
                 self.largest_contributions().to_string(float_format=lambda v: f"{v:.4f}")]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        head = html.escape(self.summary().split("\n\n")[0]).replace("\n", "<br>")
        return (f"<div><p>{head}</p><h4>Effect sizes of approximate invariance</h4>"
                f"{self.invariance.to_html(float_format=lambda v: f'{v:.4f}')}"
                f"<h4>Group means and standard deviations</h4>"
                f"{self.factor.to_html(float_format=lambda v: f'{v:.3f}')}"
                f"<h4>Items</h4>{self.items.to_html(float_format=lambda v: f'{v:.3f}')}</div>")


def _rbar(par: np.ndarray) -> float:
    """sirt's invariance_alignment_calc_corr: mean off-diagonal correlation between groups over items."""
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.corrcoef(par)
    g = c.shape[0]
    return float((c.sum() - g) / (g * g - g))


def _describe(par: np.ndarray, label: str) -> dict:
    return {f"Med.{label}": np.median(par, axis=0), f"M.{label}": par.mean(axis=0),
            f"SD.{label}": par.std(axis=0, ddof=1), f"Min.{label}": par.min(axis=0),
            f"Max.{label}": par.max(axis=0)}


def alignment_from_estimates(loadings, intercepts, weights=None, power=(0.5, 0.5), scale=(1.0, 1.0),
                             eps: float = 1e-3, starts: int = 5, seed: int = 0, identification: str = "auto",
                             groups=None, items=None, factor_name: str = "") -> AlignmentResults:
    """Align per-group loadings and intercepts of a one-factor model (sirt's ``invariance.alignment``).

    Parameters
    ----------
    loadings, intercepts : array-like or DataFrame, G x I
        Configural estimates with the factor's mean 0 and variance 1 in every group (groups in
        rows, items in columns). DataFrames lend their index and columns as labels.
    weights : None or array-like
        sirt's ``wgt``: one positive weight per group (or a G x I array); the pair weight is the
        product of the two groups' weights, normalized per item. None weighs groups equally
        (sirt's default); ``sqrt`` of the group sizes gives Mplus' ``sqrt(N_g N_h)``.
    power, scale : float or pair
        sirt's ``align.pow`` and ``align.scale`` for (loadings, intercepts).
    eps : float
        The smoothing constant of the component loss (sirt's ``eps``).
    starts : int
        Number of starts; the first is sirt's (median parameters), the others perturb it.
    seed : int
        Seed of the perturbed starts.
    identification : {"auto", "first", "product"}
        "auto" is "first" for up to 6 groups and "product" beyond (the rule sirt documents for
        ``fixed=NULL`` and its ``invariance_alignment_choose_fixed`` default ``Gmax=6``; sirt
        4.3-21 passes Gmax=999, see the module notes).
        "first" (sirt's ``fixed=TRUE``, Mplus FIXED): the first group has mean 0 and SD 1.
        "product" (sirt's ``fixed=FALSE``): the first group has mean 0 and the SDs have geometric
        mean 1; the SDs are optimized on the log scale. With many groups and a non-invariant
        reference group, "first" can reach a lower simplicity value by inflating every other
        group's SD (all their aligned loadings shrink together); "product" cannot.
        "free" (sirt's ``meth=4``, like Mplus FREE): every group's mean is free, the SDs have
        geometric mean 1, and ``0.001 * sum(means^2)`` is added to F (sirt's ridge; the means are
        only weakly identified, by the non-invariant loadings); the result is reported, as sirt
        does, on the first group's scale (mean 0, SD 1), and ``simplicity`` is F there without
        the ridge (the ``starts`` table holds the penalized values that were minimized).
    groups, items : list, optional
        Labels (default: the DataFrame's, else ``G1..``, ``I1..`` as sirt).

    Returns
    -------
    AlignmentResults

    Examples
    --------
    >>> import numpy as np
    >>> lam = np.array([[1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 1.0], [0.5, 0.5, 0.5, 0.5]])
    >>> nu = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 0.5], [-1.0, -1.0, -1.0, -1.0]])
    >>> res = alignment_from_estimates(lam, nu, starts=1)
    >>> res.factor[["mean", "sd"]].round(2).to_numpy().tolist()
    [[0.0, 1.0], [1.0, 2.0], [-1.0, 0.5]]
    """
    t0 = time.perf_counter()
    lam, lab_g, lab_i = _as_matrix(loadings, "loadings")
    nu, _, _ = _as_matrix(intercepts, "intercepts")
    if lam.shape != nu.shape:
        raise ValueError(f"The 'loadings' and 'intercepts' parameters of alignment must have the same shape. "
                         f"Got {lam.shape} and {nu.shape} instead.")
    g, n_items = lam.shape
    if g < 2 or n_items < 2:
        raise ValueError(f"alignment needs at least 2 groups and 2 items; got {g} group(s) and {n_items} item(s).")
    if not (np.all(np.isfinite(lam)) and np.all(np.isfinite(nu))):
        bad = np.argwhere(~(np.isfinite(lam) & np.isfinite(nu)))[0]
        raise ValueError(f"alignment: loadings and intercepts must be finite numbers; group {bad[0] + 1}, "
                         f"item {bad[1] + 1} is not.")
    negative = np.flatnonzero(lam.sum(axis=1) <= 0)
    if negative.size:
        raise ValueError(f"alignment: the loadings of group(s) {', '.join(str(k + 1) for k in negative)} sum "
                         "to a non-positive number; reverse the factor's sign in those groups (negate their "
                         "loadings) so that all groups measure the factor in the same direction.")
    power, scale = _pair(power, "power"), _pair(scale, "scale")
    if min(power) <= 0 or min(scale) <= 0:
        raise ValueError(f"The 'power' and 'scale' parameters of alignment must be positive. "
                         f"Got power={power}, scale={scale} instead.")
    if not (isinstance(eps, (int, float)) and eps > 0):
        raise ValueError(f"The 'eps' parameter of alignment must be a positive number. Got {eps!r} instead.")
    if not (isinstance(starts, (int, np.integer)) and starts >= 1):
        raise ValueError(f"The 'starts' parameter of alignment must be an integer >= 1. Got {starts!r} instead.")
    if identification not in ("auto", "first", "product", "free"):
        raise ValueError("The 'identification' parameter of alignment must be one of {'auto', 'first', "
                         f"'product', 'free'}}. Got {identification!r} instead.")
    if identification == "auto":
        identification = "first" if g <= 6 else "product"
    w = _weights(weights, lam.shape)
    pw = pair_weights(w)
    groups = list(groups) if groups is not None else (lab_g or [f"G{k + 1}" for k in range(g)])
    items = list(items) if items is not None else (lab_i or [f"I{k + 1}" for k in range(n_items)])
    if len(groups) != g or len(items) != n_items:
        raise ValueError(f"alignment: {len(groups)} group labels and {len(items)} item labels given for "
                         f"{g} groups and {n_items} items.")

    # sirt's start: median loading relative to group 1, median intercept minus group 1's
    sd0 = np.median(lam, axis=1)
    sd0 = np.maximum(sd0 / sd0[0], MIN_SD)
    mean0 = np.median(nu, axis=1)
    mean0 = mean0 - mean0[0]
    if identification != "first":
        sd0 = np.log(sd0)
    k_means = n_mean_parameters(g, identification)
    x_first = np.concatenate((mean0[g - k_means:], sd0[1:]))
    rng = np.random.default_rng(seed)
    eps_path = _eps_path(float(eps))
    # The smoothest stages are nearly convex and would pull every start back to the same place, so
    # the further starts perturb the first start's solution and rerun only the stages eps <= 0.01.
    late_path = eps_path[eps_path <= max(0.01, float(eps))]
    spread = max(float(np.std(mean0)), 0.1)
    runs = []
    with single_threaded():  # L-BFGS-B's small BLAS calls wait on a second thread otherwise
        for k in range(int(starts)):
            if k == 0:
                x0, path = x_first, eps_path
            else:  # means moved by about their spread, SDs by about 30%
                x_sol = runs[0]["x"]
                jitter = rng.normal(scale=0.3, size=g - 1)
                sds = x_sol[k_means:] + jitter if identification != "first" else \
                    np.maximum(x_sol[k_means:] * np.exp(jitter), MIN_SD)
                x0, path = np.concatenate((x_sol[:k_means] + rng.normal(scale=spread, size=k_means), sds)), late_path
            x, value, res, nit = _run_path(x0, path, lam, nu, pw, power, scale, identification)
            runs.append({"start": k, "simplicity": value, "iterations": nit,
                         "converged": bool(res.success) and res.nit < MAXITER, "x": x})
    best = min(runs, key=lambda r: r["simplicity"])
    means, sds = _reported(best["x"], g, identification)
    converged = best["converged"]
    if not converged:
        warnings.warn("alignment: the optimizer stopped before converging (iteration limit or line-search "
                      "failure); the aligned means and SDs may not minimize the simplicity function.",
                      ConvergenceWarning, stacklevel=2)
    inflation = float(np.exp(np.log(sds[1:]).mean()))
    if identification == "first" and not 0.4 < inflation < 2.5:
        warnings.warn(f"alignment: the other groups' SDs are {inflation:.3g} times the first group's on "
                      "average; with a fixed first group the simplicity function can fall by scaling all other "
                      "groups together. Check with identification='product'.", IdentificationWarning,
                      stacklevel=2)
    if np.any(sds <= MIN_SD * (1 + 1e-6)):
        warnings.warn(f"alignment: a group SD reached its lower bound {MIN_SD}; the alignment is not "
                      "well determined for that group.", IdentificationWarning, stacklevel=2)
    ties = [r for r in runs if r["simplicity"] - best["simplicity"] < 1e-6 * abs(best["simplicity"])]
    spread_means = max(float(np.abs(_reported(r["x"], g, identification)[0] - means).max()) for r in ties)
    if spread_means > 1e-3:
        warnings.warn("alignment: different starts reach the same simplicity value with group means that "
                      f"differ by up to {spread_means:.3g}; the aligned means are not uniquely determined.",
                      IdentificationWarning, stacklevel=2)

    out = _results(lam, nu, w, pw, means, sds, power, scale, float(eps), runs, best, converged, groups, items,
                   weights, starts, seed, time.perf_counter() - t0, factor_name)
    out.options["identification"] = identification
    return out


def _results(lam, nu, w, pw, means, sds, power, scale, eps, runs, best, converged, groups, items,
             weights, starts, seed, seconds, factor_name) -> AlignmentResults:
    lam1, nu1 = aligned_parameters(lam, nu, means, sds)
    c_lam, c_nu = simplicity_terms(lam, nu, means, sds, pw, power, scale, eps)
    m_lam, m_nu = lam1.mean(axis=0), nu1.mean(axis=0)
    expl_lam = sds[:, None] * m_lam[None, :]
    expl_nu = m_nu[None, :] + means[:, None] * m_lam[None, :]
    # sirt_rsquared: 1 - SSR / uncentered SS, pooled over groups and items
    r2 = np.array([1 - ((lam - expl_lam) ** 2).sum() / (lam ** 2).sum(),
                   1 - ((nu - expl_nu) ** 2).sum() / (nu ** 2).sum()])
    invariance = pd.DataFrame([r2, np.sqrt(np.maximum(1 - r2, 0)), [_rbar(lam1), _rbar(nu1)]],
                              index=["R2", "sqrtU2", "rbar"], columns=["loadings", "intercepts"])
    with np.errstate(invalid="ignore", divide="ignore"):  # an item with no spread over groups has R2 NaN
        r2_lam_item = 1 - (lam - expl_lam).var(axis=0) / lam.var(axis=0)
        r2_nu_item = 1 - (nu - expl_nu).var(axis=0) / nu.var(axis=0)
    item_table = pd.DataFrame({**_describe(lam1, "lambda"), **_describe(nu1, "nu"),
                               "R2.lambda": r2_lam_item, "R2.nu": r2_nu_item,
                               "F.lambda": c_lam.sum(axis=0), "F.nu": c_nu.sum(axis=0)}, index=items)

    def frame(a):
        return pd.DataFrame(a, index=groups, columns=items)

    factor = pd.DataFrame({"mean": means, "sd": sds, "variance": sds ** 2}, index=groups)
    factor.index.name = "group"
    starts_table = pd.DataFrame([{k: v for k, v in r.items() if k != "x"} for r in runs]).set_index("start")
    if weights is None:
        weights_desc = "equal"
    elif isinstance(weights, str):
        weights_desc = weights
    else:
        weights_desc = "given"
    return AlignmentResults(
        factor=factor, loadings=frame(lam), intercepts=frame(nu), aligned_loadings=frame(lam1),
        aligned_intercepts=frame(nu1), loading_residuals=frame(lam1 - m_lam), intercept_residuals=frame(nu1 - m_nu),
        loading_contributions=frame(c_lam), intercept_contributions=frame(c_nu), items=item_table,
        invariance=invariance, simplicity=float(c_lam.sum() + c_nu.sum()), starts=starts_table,
        converged=bool(converged), iterations=int(sum(r["iterations"] for r in runs)), seconds=seconds,
        options={"power": power, "scale": scale, "eps": eps, "starts": int(starts), "seed": seed,
                 "weights": weights_desc, "weight_matrix": w},
        factor_name=factor_name)


# -- from a configural multiple-group fit -------------------------------------------------------
def configural_estimates(configural_results, factor: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The G x I loadings and intercepts of one factor from a configural multiple-group fit.

    Checks that the fit has at least two groups, no cross-group equality constraints, the
    factor's variance fixed to 1 and mean fixed to 0 in every group (``std_lv=True`` with a
    mean structure), continuous indicators that load on this factor only, and that it
    converged. A group whose loadings sum to a negative number has the factor reversed (the
    configural model cannot tell); its loadings are negated, with an IdentificationWarning.
    """
    res = configural_results
    params = getattr(res, "params", None)
    if not isinstance(params, pd.DataFrame) or not {"lhs", "op", "rhs", "group", "est"} <= set(params.columns):
        raise ValueError("alignment expects the SEMResults of govstats.fit(model, data, group=..., std_lv=True, "
                         f"meanstructure=True); got {type(res).__name__}.")
    labels = list(getattr(res, "group_labels", []) or [])
    if len(labels) < 2:
        raise ValueError("alignment needs a multiple-group fit (fit(..., group=COLUMN)) with at least 2 groups; "
                         f"this fit has {max(len(labels), 1)}.")
    if getattr(res, "options", {}).get("group_equal"):
        raise ValueError("alignment starts from the configural model; this fit has group_equal="
                         f"{res.options['group_equal']!r}. Refit without group_equal.")
    if not getattr(res, "converged", True):
        raise ValueError("alignment: the configural fit did not converge; its estimates cannot be aligned.")
    loads = params[params.op == "=~"]
    latents = list(dict.fromkeys(loads.lhs))
    if factor is None:
        if len(latents) != 1:
            raise ValueError(f"The 'factor' parameter of alignment must name one of {latents} for a model with "
                             f"{len(latents)} factors. Got None instead.")
        factor = latents[0]
    elif factor not in latents:
        raise ValueError(f"The 'factor' parameter of alignment must be one of {latents}. Got {factor!r} instead.")
    own = loads[loads.lhs == factor]
    items = list(dict.fromkeys(own.rhs))
    cross = sorted(set(loads[(loads.lhs != factor) & loads.rhs.isin(items)].rhs))
    if cross:
        raise ValueError(f"alignment: item(s) {cross} load on {factor} and on another factor; alignment of "
                         "one factor needs items that measure only that factor.")
    if (params.op == "|").any() and params[params.op == "|"].lhs.isin(items).any():
        raise ValueError("alignment: the items of this fit are ordinal (thresholds); alignment here needs "
                         "continuous indicators with intercepts.")
    # one lookup table instead of a DataFrame filter per group and item
    est = {(r.lhs, r.op, r.rhs, r.group): (r.est, getattr(r, "free", 0)) for r in params.itertuples()}
    lam = np.full((len(labels), len(items)), np.nan)
    nu = np.full_like(lam, np.nan)
    for gi in range(len(labels)):
        var = est.get((factor, "~~", factor, gi + 1))
        mean = est.get((factor, "~1", "", gi + 1))
        if not (var and mean and var[1] == 0 and mean[1] == 0 and abs(var[0] - 1) < 1e-12 and abs(mean[0]) < 1e-12):
            raise ValueError(f"alignment: in group {labels[gi]!r} the factor {factor} must have its variance "
                             "fixed to 1 and its mean fixed to 0; fit the configural model with std_lv=True "
                             "and meanstructure=True.")
        for ii, item in enumerate(items):
            load, icpt = est.get((factor, "=~", item, gi + 1)), est.get((item, "~1", "", gi + 1))
            if load is None or icpt is None:
                raise ValueError(f"alignment: group {labels[gi]!r} has no loading or no intercept for item "
                                 f"{item!r}; fit with meanstructure=True and the same items in every group.")
            lam[gi, ii], nu[gi, ii] = load[0], icpt[0]
    flipped = [labels[k] for k in np.flatnonzero(lam.sum(axis=1) < 0)]
    if flipped:
        warnings.warn(f"alignment: the loadings on {factor} are mostly negative in group(s) {flipped}; the "
                      "factor's sign is reversed there (loadings negated) so every group measures it in the "
                      "same direction.", IdentificationWarning, stacklevel=3)
        lam[lam.sum(axis=1) < 0] *= -1
    index = pd.Index(labels, name="group")
    return pd.DataFrame(lam, index=index, columns=items), pd.DataFrame(nu, index=index, columns=items), factor


def alignment(configural_results, factor: str | None = None, weights=None, power=(0.5, 0.5),
              scale=(1.0, 1.0), eps: float = 1e-3, starts: int = 5, seed: int = 0,
              identification: str = "auto") -> AlignmentResults:
    """Alignment optimization of a configural multiple-group one-factor fit.

    Parameters
    ----------
    configural_results : SEMResults
        ``govstats.fit(model, data, group=COLUMN, std_lv=True, meanstructure=True)`` of a model
        in which ``factor`` is measured by continuous items that load on it alone.
    factor : str, optional
        The factor to align (required when the model has several).
    weights : None, "n", "sqrt_n" or array-like
        None weighs groups equally (sirt's default); ``"n"`` uses the group sizes as sirt's
        ``wgt`` (pairs weigh ``N_g N_h``); ``"sqrt_n"`` their square roots, so pairs weigh
        ``sqrt(N_g N_h)`` as in Mplus (Asparouhov & Muthen 2014); an array is sirt's ``wgt``.
    power, scale, eps, starts, seed, identification
        As in :func:`alignment_from_estimates`.

    Returns
    -------
    AlignmentResults

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from govstats import fit
    >>> rng = np.random.default_rng(1)
    >>> frames = []
    >>> for g, (m, s) in enumerate([(0.0, 1.0), (0.5, 1.2), (-0.3, 0.8)]):
    ...     eta = rng.normal(m, s, 400)
    ...     x = 0.2 + 0.8 * eta[:, None] + rng.normal(0, 0.6, (400, 4))
    ...     frames.append(pd.DataFrame(x, columns=["a", "b", "c", "d"]).assign(site=f"s{g}"))
    >>> conf = fit("F =~ a + b + c + d", pd.concat(frames), group="site", std_lv=True, meanstructure=True)
    >>> res = alignment(conf, starts=1)
    >>> bool(abs(res.factor.loc["s1", "mean"] - 0.5) < 0.2)
    True
    """
    lam, nu, factor = configural_estimates(configural_results, factor)
    if isinstance(weights, str):
        if weights not in ("n", "sqrt_n"):
            raise ValueError(f"The 'weights' parameter of alignment must be None, 'n', 'sqrt_n' or an array. "
                             f"Got {weights!r} instead.")
        w = np.asarray(configural_results.nobs_groups, dtype=float)
        w = np.sqrt(w) if weights == "sqrt_n" else w
    else:
        w = weights
    out = alignment_from_estimates(lam, nu, weights=w, power=power, scale=scale, eps=eps, starts=starts,
                                   seed=seed, identification=identification, factor_name=factor)
    if isinstance(weights, str):
        out.options["weights"] = weights
    return out
