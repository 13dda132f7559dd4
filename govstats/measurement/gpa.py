"""Rotation by the gradient projection algorithm with random starts, as lavaan 0.6.14 rotates.

lavaan's ``lav_matrix_rotate`` (R/lav_matrix_rotate.R): rescale the rows to a correlation
metric (``std.ov``), run GPA (Bernaards & Jennrich 2005) from ``rstarts`` random orthogonal
starts, keep the start with the smallest criterion, undo the scaling, reflect every factor
to a positive column sum and order the factors (Asparouhov & Muthen's "index": by the mean
position of the items that load at least 0.8 of the factor's largest loading).

:func:`govstats.measurement.factoring.rotate` stays on factor_analyzer's Rotator for
``efa()``: it reproduces psych::fa (GPArotation, one start from the identity, psych's
geomin delta 0.01), which the psych fixtures test. ESEM blocks need lavaan's variant: its
starts, its epsilon (0.001) and its ordering, which the Rotator cannot take.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# lavaan's criteria done here (R/lav_matrix_rotate_methods.R; "pst" is a target with NaN, free, cells),
# listed once, with the rotation options that refuse the others
from govstats.sem.rotation_options import CRITERIA


def geomin(loadings: np.ndarray, epsilon: float = 0.001) -> tuple[float, np.ndarray]:
    """Browne's geomin criterion and its gradient (lavaan's ``lav_matrix_rotate_geomin``)."""
    m = loadings.shape[1]
    l2 = loadings * loadings + epsilon
    if epsilon < np.sqrt(np.finfo(float).eps):
        row = np.prod(l2, axis=1) ** (1 / m)   # Yates's formula, as lavaan for a tiny epsilon
    else:
        row = np.exp(np.log(l2).sum(axis=1) / m)
    return float(row.sum()), (2 / m) * loadings / l2 * row[:, None]


def oblimin(loadings: np.ndarray, gamma: float = 0.0) -> tuple[float, np.ndarray]:
    """Carroll's oblimin criterion (gamma 0: quartimin) and its gradient (Jennrich 2002)."""
    p, m = loadings.shape
    l2 = loadings * loadings
    lr = l2 @ (np.ones((m, m)) - np.eye(m))
    tmp = lr - gamma * lr.mean(axis=0)     # (I - gamma J/p) L2 R
    return float((l2 * tmp).sum() / 4), loadings * tmp


def orthomax(loadings: np.ndarray, gamma: float = 1.0) -> tuple[float, np.ndarray]:
    """The orthomax family (gamma 0: quartimax, 1: varimax), lavaan's minimized form."""
    l2 = loadings * loadings
    centered = l2 - gamma * l2.mean(axis=0)
    return float(-(l2 * centered).sum() / 4), -loadings * centered


def crawford_ferguson(loadings: np.ndarray, gamma: float = 0.0) -> tuple[float, np.ndarray]:
    """The Crawford-Ferguson family: (1 - gamma) row complexity + gamma column complexity."""
    p, m = loadings.shape
    l2 = loadings * loadings
    lr = l2 @ (np.ones((m, m)) - np.eye(m))
    lc = (np.ones((p, p)) - np.eye(p)) @ l2
    value = (1 - gamma) * (l2 * lr).sum() / 4 + gamma * (l2 * lc).sum() / 4
    return float(value), (1 - gamma) * loadings * lr + gamma * loadings * lc


def oblimax_criterion(loadings: np.ndarray) -> tuple[float, np.ndarray]:
    l2 = loadings * loadings
    s4, s2 = (l2 * l2).sum(), l2.sum()
    return float(-np.log(s4) + 2 * np.log(s2)), -4 * l2 * loadings / s4 + 4 * loadings / s2


def entropy_criterion(loadings: np.ndarray) -> tuple[float, np.ndarray]:
    l2 = loadings * loadings
    l2 = np.where(l2 == 0, 1.0, l2)   # log(1) = 0, as lavaan
    return float(-(l2 * np.log(l2)).sum() / 2), -loadings * np.log(l2) - loadings


def target_criterion(loadings: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """(Partially specified) target: squared distances to the target's non-NaN cells (lavaan's
    target and pst; a pst mask's zeros are NaN cells here)."""
    diff = np.where(np.isnan(target), 0.0, loadings - np.nan_to_num(target))
    return float((diff * diff).sum()), 2 * diff


def criterion(method: str, epsilon: float = 0.001, gamma: float = 0.0, *, orthomax_gamma: float = 1.0,
              target=None):
    """The criterion function of a rotation method: loadings -> (value, gradient). ``gamma`` is
    oblimin's; lavaan passes ``orthomax_gamma`` to both orthomax and "cf" (its cf.gamma is set only
    for the named cf-* variants, from the loadings' size)."""
    if method == "geomin":
        return lambda a: geomin(a, epsilon)
    if method == "oblimin":
        return lambda a: oblimin(a, gamma)
    if method == "quartimin":
        return lambda a: oblimin(a, 0.0)
    if method == "varimax":
        return lambda a: orthomax(a, 1.0)
    if method == "quartimax":
        return lambda a: orthomax(a, 0.0)
    if method == "orthomax":
        return lambda a: orthomax(a, orthomax_gamma)
    if method == "cf":
        return lambda a: crawford_ferguson(a, orthomax_gamma)
    named = {"cf-quartimax": lambda p, m: 0.0, "cf-varimax": lambda p, m: 1 / p,
             "cf-equamax": lambda p, m: m / (2 * p), "cf-parsimax": lambda p, m: (m - 1) / (p + m - 2),
             "cf-facparsim": lambda p, m: 1.0}
    if method in named:
        return lambda a: crawford_ferguson(a, named[method](*a.shape))
    if method == "oblimax":
        return oblimax_criterion
    if method == "entropy":
        return entropy_criterion
    if method in ("target", "pst"):
        goal = np.array(target, dtype=float)
        return lambda a: target_criterion(a, goal)
    raise ValueError(f"The rotation must be one of {CRITERIA}. Got {method!r} instead.")


@dataclass
class GPAResult:
    rot: np.ndarray       # T: oblique loadings A inv(T)', factor correlations T'T
    value: float          # the criterion at the solution
    iterations: int
    converged: bool


def gpa_oblique(a: np.ndarray, fun, start: np.ndarray, tol: float = 1e-5, max_iter: int = 10000) -> GPAResult:
    """lavaan's ``lav_matrix_rotate_gpa`` (oblique): the SAS/IML code of Bernaards & Jennrich (2005),
    step doubled every iteration, halved until the criterion drops by 0.5 alpha |Gp|^2."""
    rot = start.copy()
    alpha = 1.0
    lam = np.linalg.solve(rot, a.T).T
    q, gq = fun(lam)
    grad = -np.linalg.solve(rot.T, gq.T @ lam)
    converged = False
    iteration = 0
    for iteration in range(max_iter + 1):
        gp = grad - rot * (rot * grad).sum(axis=0)[None, :]
        frob = float(np.sqrt((gp * gp).sum()))
        if frob < tol:
            converged = True
            break
        alpha *= 2
        for _ in range(1000):
            x = rot - alpha * gp
            new = x / np.sqrt((x * x).sum(axis=0))[None, :]
            lam = np.linalg.solve(new, a.T).T
            q_new, gq = fun(lam)
            if q_new < q - 0.5 * frob * frob * alpha:
                break
            alpha /= 2
        rot, q = new, q_new
        grad = -np.linalg.solve(rot.T, gq.T @ lam)
    return GPAResult(rot, float(q), iteration, converged)


def gpa_orthogonal(a: np.ndarray, fun, start: np.ndarray, tol: float = 1e-5, max_iter: int = 10000) -> GPAResult:
    """lavaan's ``lav_matrix_rotate_gpa`` (orthogonal): loadings A T, T projected back onto the
    orthogonal matrices by the SVD after each step."""
    rot = start.copy()
    alpha = 1.0
    lam = a @ rot
    q, gq = fun(lam)
    grad = a.T @ gq
    converged = False
    iteration = 0
    for iteration in range(max_iter + 1):
        mm = rot.T @ grad
        gp = grad - rot @ ((mm + mm.T) / 2)
        frob = float(np.sqrt((gp * gp).sum()))
        if frob < tol:
            converged = True
            break
        alpha *= 2
        for _ in range(1000):
            u, _, vt = np.linalg.svd(rot - alpha * gp)
            new = u @ vt
            lam = a @ new
            q_new, gq = fun(lam)
            if q_new < q - 0.5 * frob * frob * alpha:
                break
            alpha /= 2
        rot, q = new, q_new
        grad = a.T @ gq
    return GPAResult(rot, float(q), iteration, converged)


def random_orthogonal(m: int, rng: np.random.Generator) -> np.ndarray:
    """A random orthogonal matrix: Q of the QR decomposition of a normal matrix (lavaan's start)."""
    q, _ = np.linalg.qr(rng.standard_normal((m, m)))
    return q


@dataclass
class Rotation:
    loadings: np.ndarray   # rotated, reflected, ordered; in the metric of the input
    phi: np.ndarray        # factor correlations
    rot: np.ndarray        # H: loadings = A inv(H)', phi = H'H (columns reflected and ordered)
    order: np.ndarray      # input factor of each output column
    value: float           # the smallest criterion over the starts
    converged: bool


def rotate_gpa(a: np.ndarray, method: str = "geomin", *, orthogonal: bool = False, epsilon: float = 0.001,
               gamma: float = 0.0, ov_var: np.ndarray | None = None, rstarts: int = 30, seed=0, tol: float = 1e-5,
               max_iter: int = 10000, reflect: bool = True, order_by: str = "index",
               start: np.ndarray | None = None, row_weights: str = "none", orthomax_gamma: float = 1.0,
               target=None) -> Rotation:
    """Oblique (or orthogonal) rotation of the unrotated loadings ``a`` (p x m) as lavaan's
    ``lav_matrix_rotate``. Orthogonal: loadings A T (= A inv(T)' for orthogonal T), phi = I.

    ``ov_var`` (the items' implied variances) rescales the rows before rotating (lavaan's
    ``std.ov = TRUE``); ``rstarts`` random orthogonal starts (0: one start from the identity),
    drawn from ``seed``, the best kept. lavaan draws its starts from R's generator: the two agree
    where the best start reaches the same minimum, which is what is compared. ``start``: one GPA
    run from this rotation matrix instead (lavaan's ``init.ROT``, used for the delta-method SEs).
    ``row_weights="kaiser"``: rows scaled to unit length before rotating (lavaan's default for varimax).
    """
    p, m = a.shape
    fun = criterion(method, epsilon, gamma, orthomax_gamma=orthomax_gamma, target=target)
    scale = np.ones(p) if ov_var is None else 1 / np.sqrt(ov_var)
    if row_weights == "kaiser":   # after the std.ov rescaling, as lavaan
        scale = scale * kaiser_weights(a * scale[:, None])
    a_std = a * scale[:, None]
    gpa = gpa_orthogonal if orthogonal else gpa_oblique
    if start is not None:
        best = gpa(a_std, fun, start, tol, max_iter)
    elif rstarts > 0:
        rng = np.random.default_rng(seed)
        fits = [gpa(a_std, fun, random_orthogonal(m, rng), tol, max_iter) for _ in range(rstarts)]
        best = min(fits, key=lambda r: r.value)   # first of equals, as R's which.min
    else:
        best = gpa(a_std, fun, np.eye(m), tol, max_iter)
    rot = best.rot
    loadings = np.linalg.solve(rot, a_std.T).T / scale[:, None]
    if reflect:
        neg = loadings.sum(axis=0) < 0
        loadings[:, neg] *= -1
        rot = rot.copy()
        rot[:, neg] *= -1
    phi = np.eye(m) if orthogonal else rot.T @ rot
    order = factor_order(loadings, order_by)
    return Rotation(loadings[:, order], phi[np.ix_(order, order)], rot[:, order], order, best.value,
                    best.converged)


def kaiser_weights(a: np.ndarray) -> np.ndarray:
    """1 / the rows' lengths (lavaan's lav_matrix_rotate_kaiser_weights)."""
    return 1 / np.sqrt((a * a).sum(axis=1))


def factor_order(loadings: np.ndarray, order_by: str = "index") -> np.ndarray:
    """lavaan's ``order.lv.by``: "index" (mean row number of the loadings at least 0.8 of the
    column's largest, Asparouhov & Muthen 2009, appendix D), "sumofsquares" (decreasing), "none"."""
    m = loadings.shape[1]
    if order_by == "none":
        return np.arange(m)
    if order_by == "sumofsquares":
        return np.argsort(-(loadings ** 2).sum(axis=0), kind="stable")
    absl = np.abs(loadings)
    top = absl.max(axis=0)
    index = [np.mean(np.flatnonzero(absl[:, j] >= 0.8 * top[j]) + 1) for j in range(m)]
    return np.argsort(index, kind="stable")
