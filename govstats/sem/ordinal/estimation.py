"""Ordinal SEM, stage 2: WLSMV and ULSMV on the stage-1 statistics, as lavaan computes them.

With s the stage-1 statistics (thresholds, polychoric correlations; lavaan's ``wls.obs``),
m(theta) the model's, Gamma N times their asymptotic covariance and W the weights
(WLSMV: diag(Gamma)^-1, lavaan's DWLS; ULSMV: the identity):

    F(theta) = (s - m(theta))' W (s - m(theta)),     minimized by Gauss-Newton steps;
    vcov = A^-1 Delta' W Gamma W Delta A^-1 / (N - 1),   A = Delta' W Delta
    chisq = (N - 1) F;   U = W - W Delta A^-1 Delta' W
    scaled-shifted: a = sqrt(df / tr((U Gamma)^2)), chisq_scaled = a chisq + df - a tr(U Gamma)

The (N - 1) divisors are lavaan's (measured on tests/reference/sem_ordinal: with N instead,
chisq is off by exactly N / (N - 1) and the SEs by its square root; with N - 1 the SEs agree
to 4e-6 relative). The parameter vector holds the thresholds too, so the formulas above
are the same in the delta and the theta parameterization. The traces use
tr(U Gamma) = tr(W Gamma) - tr(A^-1 H' W Delta) with H = Gamma W Delta, and the square's
trace likewise, so that no moments x moments product of three matrices is formed: O(K^2 q)
instead of O(K^3) for K moments (K = 555 for 30 five-point items).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from govstats.sem.ml import GroupData
from govstats.sem.ordinal.model import OrdinalModel
from govstats.sem.ordinal.stage1 import Stage1


@dataclass
class OrdinalEstimate:
    theta: np.ndarray
    fmin: float               # F at the solution (lavaan's fmin is F / 2)
    iterations: int
    converged: bool
    message: str


def weights(s1: Stage1, estimator: str) -> np.ndarray:
    """Diagonal of the weight matrix: DWLS (WLSMV) inverts Gamma's diagonal, ULS uses ones."""
    if estimator == "ULSMV":
        return np.ones(len(s1.names))
    return 1.0 / np.diag(s1.gamma.to_numpy())


def estimate(model: OrdinalModel, s1: Stage1, w: np.ndarray, max_iter: int = 200,
             tol: float = 1e-9) -> OrdinalEstimate:
    """Gauss-Newton with step halving, from the continuous starting values on the polychorics."""
    s = s1.values
    theta = np.concatenate([model.engine.start([sample_moments(model, s1)]), s[model.layout.th]])
    if model.parameterization == "theta":
        # Gauss-Newton from the delta solution converted to the theta scale: the correlation-
        # based start is far from theta's (unit residual) scale.
        delta = OrdinalModel.__new__(OrdinalModel)
        delta.__dict__.update(model.__dict__)
        delta.parameterization = "delta"
        first = _gauss_newton(delta, s, w, theta, max_iter, tol)
        theta = model.theta_start_from_delta(first.theta, delta.residual_variances(first.theta))
    return _gauss_newton(model, s, w, theta, max_iter, tol)


def sample_moments(model: OrdinalModel, s1: Stage1) -> GroupData:
    """The stage-1 statistics as a covariance matrix and means: latent responses with unit
    variance and mean 0, continuous variables with their own; given covariates, the (residual)
    moments of y plus what the sample slopes and the covariates' own moments imply (for starting
    values and standardized residuals)."""
    lay, values = model.layout, s1.values
    p = len(model.items)
    cov, mean = np.eye(p), np.zeros(p)
    cov[lay.var_item, lay.var_item] = values[lay.var]
    cov[lay.pair_a, lay.pair_b] = cov[lay.pair_b, lay.pair_a] = values[lay.pair]
    mean[lay.mean_item] = -values[lay.mean]
    if len(model.covariates):
        # y = intercept + Pi x + residual: with L = Pi on y's rows and the identity on x's,
        # Sigma = residual moments + L Sigma_xx L', mu = intercepts + L mu_x
        x = model.x_pos
        sxx_inv, mu_x = model.covariate_moments
        loading = np.zeros((p, len(x)))
        loading[lay.slope_item, np.searchsorted(x, lay.slope_x)] = values[lay.slope]
        loading[x, np.arange(len(x))] = 1.0
        cov[x, x] = 0.0
        cov = cov + loading @ np.linalg.inv(sxx_inv) @ loading.T
        mean = mean + loading @ mu_x
    return GroupData(n=s1.nobs, mean=mean, cov=cov, raw=None, logdet=float(np.linalg.slogdet(cov)[1]))


def _gauss_newton(model, s, w, theta, max_iter, tol) -> OrdinalEstimate:
    def objective(t):
        m, sigma, pieces = model.moments(t)
        r = s - m
        return float(r @ (w * r)), r, sigma, pieces

    f, r, sigma, pieces = objective(theta)
    message = "iteration limit reached"
    for iteration in range(1, max_iter + 1):
        J = model.jacobian(theta, sigma, pieces)
        wj = w[:, None] * J
        try:
            step = np.linalg.solve(J.T @ wj, wj.T @ r)
        except np.linalg.LinAlgError:
            message = "singular Gauss-Newton system (is the model identified?)"
            break
        scale = 1.0
        for _ in range(30):
            candidate = theta + scale * step
            f_new, r_new, sigma_new, pieces_new = objective(candidate)
            if np.isfinite(f_new) and f_new <= f * (1 + 1e-12) + 1e-15:
                break
            scale /= 2
        else:
            message = "no step decreased the discrepancy"
            break
        theta, f, r, sigma, pieces = candidate, f_new, r_new, sigma_new, pieces_new
        if np.max(np.abs(scale * step)) < tol * max(1.0, float(np.max(np.abs(theta)))):
            return OrdinalEstimate(theta, f, iteration, True, "converged")
    return OrdinalEstimate(theta, f, iteration, False, message)


@dataclass
class OrdinalInference:
    vcov: np.ndarray | None
    chisq: float
    df: int
    trace: float              # tr(U Gamma)
    trace2: float             # tr((U Gamma)^2)
    residuals: np.ndarray     # s - m(theta)
    jacobian: np.ndarray      # Delta
    a_inv: np.ndarray | None  # (Delta' W Delta)^-1


def inference(model: OrdinalModel, s1: Stage1, w: np.ndarray, theta: np.ndarray) -> OrdinalInference:
    """Robust covariance of the estimates and the pieces of the scaled-shifted test."""
    n = s1.nobs
    gamma = s1.gamma.to_numpy()
    m, sigma, pieces = model.moments(theta)
    resid = s1.values - m
    J = model.jacobian(theta, sigma, pieces)
    wj = w[:, None] * J
    h = gamma @ wj                              # Gamma W Delta
    middle = wj.T @ h                           # Delta' W Gamma W Delta
    try:
        a_inv = np.linalg.inv(J.T @ wj)
    except np.linalg.LinAlgError:
        a_inv = None
    df = len(resid) - model.n_free
    wg = w[:, None] * gamma                     # W Gamma
    trace_wg, trace_wg2 = float(np.trace(wg)), float(np.sum(wg * wg.T))
    if a_inv is None:
        return OrdinalInference(None, (n - 1) * float(resid @ (w * resid)), df, float("nan"), float("nan"), resid,
                                J, None)
    vcov = a_inv @ middle @ a_inv / (n - 1)
    p_mat = a_inv @ middle                      # A^-1 Delta' W Gamma W Delta
    # tr((UG)^2) = tr(WGWG) - 2 tr(A^-1 Delta'W G W G W Delta) + tr((A^-1 Delta'WGWDelta)^2)
    wh = w[:, None] * h                         # W Gamma W Delta
    cross = float(np.sum(a_inv * (wh.T @ h)))  # tr(A^-1 H' W H), A^-1 and H'WH symmetric
    trace = trace_wg - float(np.trace(p_mat))
    trace2 = trace_wg2 - 2 * cross + float(np.sum(p_mat * p_mat.T))
    return OrdinalInference(vcov, (n - 1) * float(resid @ (w * resid)), df, trace, trace2, resid, J, a_inv)


def baseline(model: OrdinalModel, s1: Stage1, w: np.ndarray) -> tuple[float, int, float, float]:
    """(chisq, df, tr(U Gamma), tr((U Gamma)^2)) of the independence model: thresholds, means and
    variances free (saturated), correlations zero, so U is W on the correlations, 0 elsewhere."""
    k = model.layout.pair
    r = s1.values[k]
    wc = w[k]
    wg = wc[:, None] * s1.gamma.to_numpy()[np.ix_(k, k)]
    chisq = (s1.nobs - 1) * float(r @ (wc * r))
    return chisq, len(r), float(np.trace(wg)), float(np.sum(wg * wg.T))



@dataclass
class CatMLRobust:
    """lavaan's ingredients of the robust CFI, TLI and RMSEA for ordered data (Savalei 2021)."""

    chisq: float         # ML discrepancy of the polychoric matrix at the WLSMV estimates, times N
    scaling: float       # c.hat3
    baseline_chisq: float
    baseline_scaling: float


def catml_robust(model: OrdinalModel, s1: Stage1, w: np.ndarray, theta: np.ndarray,
                 inf: OrdinalInference) -> CatMLRobust | None:
    """Savalei's (2021) robust fit ingredients, as lavaan's ``lav_fit_catml_dwls``.

    The normal-theory (ML) discrepancy between the polychoric matrix R and the implied
    correlations at the DWLS estimates (lavaan refits nothing when every variable is ordered),
    times N, is scaled by c = tr(U' V U Gamma) / df with V the ML weights of the correlations at
    the implied matrix and U = I - Delta (Delta' W Delta)^-1 Delta' W on the correlations; the
    baseline by tr(Gamma) / p*. None where lavaan gives NA: with continuous variables, or when R
    is not positive definite (an eigenvalue below sqrt(machine epsilon)).

    With P = Delta A^-1 and H = Gamma W Delta (correlation rows), U Gamma U' = Gamma - P H' - H P'
    + P (H' W Delta) P', so tr(V U Gamma U') needs products of p* x q matrices only (O(p*^2 q)
    instead of the O(p*^3) of forming U).
    """
    lay = model.layout
    if len(lay.mean) or len(lay.var) or len(lay.slope) or inf.a_inv is None:
        return None
    r = s1.correlations.loc[model.items, model.items].to_numpy()
    if np.linalg.eigvalsh(r).min() < np.sqrt(np.finfo(float).eps):
        return None
    a, b = lay.pair_a, lay.pair_b
    implied = np.eye(len(model.items))
    implied[a, b] = implied[b, a] = s1.values[lay.pair] - inf.residuals[lay.pair]
    try:
        inv = np.linalg.inv(implied)
    except np.linalg.LinAlgError:
        return None
    p, n = len(model.items), s1.nobs
    f_ml = np.linalg.slogdet(implied)[1] + np.sum(r * inv) - np.linalg.slogdet(r)[1] - p
    v = inv[np.ix_(a, a)] * inv[np.ix_(b, b)] + inv[np.ix_(a, b)] * inv[np.ix_(b, a)]
    jc, wc = inf.jacobian[lay.pair], w[lay.pair]
    gamma = s1.gamma.to_numpy()[np.ix_(lay.pair, lay.pair)]
    pm = jc @ inf.a_inv
    h = gamma @ (wc[:, None] * jc)
    vp = v @ pm
    ks = float(np.sum(v * gamma) - 2 * np.sum(vp * h) + np.sum(vp * (pm @ (h.T @ (wc[:, None] * jc)))))
    df = len(lay.pair) + len(lay.th) - model.n_free
    return CatMLRobust(chisq=n * f_ml, scaling=ks / df, baseline_chisq=-n * np.linalg.slogdet(r)[1],
                       baseline_scaling=float(np.trace(gamma)) / len(lay.pair))
