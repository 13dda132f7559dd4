"""Stage 1 of ordinal SEM with continuous variables beside the ordered items.

lavaan 0.6.14 with ``ordered=`` naming only some observed variables and no exogenous observed
covariate (``conditional.x = FALSE``); read from its source (``muthen1984``,
``lav_samplestats_step1``/``step2``, ``lav_samplestats_wls_obs``, ``lav_uvreg_*``,
``lav_bvmix_*``, ``lav_bvreg_*``):

- **Univariate.** A continuous variable's mean and variance are the ML estimates of a normal
  (``lav_uvreg_fit``): the variance has divisor N. Ordered items get their thresholds as in the
  all-ordinal case.
- **Bivariate.** An ordered item with a continuous one: the two-step polyserial correlation
  (Olsson, Drasgow and Dorans 1982) -- thresholds, mean and variance fixed, rho maximizing
  sum log P(category | y) (``lav_bvmix_cor_twostep_fit``, ``nlminb`` within [-0.995, 0.995],
  started at cor(y, codes) sd(codes) / sum phi(tau)). Cases whose likelihood
  phi((y - mu) / sd) / sd * P falls below sqrt(machine epsilon) are left out of it, as lavaan
  does; P is floored at machine epsilon. Two continuous variables: the Pearson correlation.
- **Statistics** (``wls.obs``, Gamma's rows and columns): the threshold block in item order,
  where a continuous x contributes ``x~1`` with value **minus** its mean; then ``x~~x``, the
  continuous variables' variances; then every pair below the diagonal (numpy's triu order): the
  polychoric correlation of two ordered items, otherwise the **covariance**, rho times the
  standard deviation(s) of the continuous variable(s).
- **Gamma** = N H B^-1 (S'S) B^-T H' with the sign of the mean rows and columns flipped. S holds
  the casewise scores: thresholds, then per continuous variable its mean and variance scores
  (y - mu) / v and ((y - mu)^2 / v - 1) / (2 v), then each pair's score in its correlation
  (``lav_bvmix_cor_scores``, ``lav_bvreg_cor_scores``). B is block-triangular with blocks of
  score cross-products: A11 per variable (its thresholds, or its mean and variance together),
  A21 the pair scores against the two variables' univariate scores of the *bivariate*
  likelihood (for a polyserial pair: d/d mu, d/d variance and d/d thresholds), A22 the diagonal
  of the pair scores' sums of squares. H is the delta method from correlations to covariances:
  d cov / d rho = sd (sd1 sd2 for two continuous variables) and d cov / d v = rho / (2 sd)
  (rho sd2 / (2 sd1)). N is the number of complete rows (listwise deletion).

With ``missing="pairwise"`` (lavaan's ``missing = "pairwise"``): a continuous variable's mean and
variance come from the cases observed on it (``lav_uvreg_init_cache`` drops the blanks: variance
divisor the number observed), each polyserial correlation from the cases observing both
variables (blanks make lavaan's case likelihood NA, summed with ``na.rm = TRUE``), and a pair of
continuous variables of which either has a blank gets the two-step ML correlation of the
bivariate normal with the means and variances fixed, over the cases observing both
(``lav_bvreg_cor_twostep_fit``: ``nlminb`` within [-0.999, 0.999] from the pairwise Pearson
correlation, cases with a likelihood below sqrt(machine epsilon) left out; without blanks it
returns the Pearson correlation itself). In Gamma a blank scores zero (lavaan's scores are NA
and ``lav_matrix_crossprod`` sums with ``na.rm = TRUE``), and N is the number of rows with at
least one value, as in the all-ordinal case.

As in :mod:`govstats.sem.ordinal.stage1`, Gamma is assembled as N U'U from U' = H B^-1 S'
(statistics x cases): the ordinal rows come from the same per-category lookup tables; rows
that involve a continuous variable are computed case by case, all pairs at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr

from govstats.measurement.polychoric import PairTables, _edges, _item_thresholds, _recode, fit_pairs
from govstats.sem.ordinal.stage1 import (
    Stage1, _ordinal_u, _plain, _syrk, _warn_empty_categories, _zero_cells,
)

_EPS = np.finfo(float).eps
_SQRT_EPS = float(np.sqrt(_EPS))
_BOUND = 0.995  # lavaan's bounds for a polyserial correlation
_FAR = 100.0  # lavaan's stand-in for an infinite category limit (lav_uvord: o1, o2)
_SQRT_2PI = np.sqrt(2 * np.pi)


def mixed_stage1(data: pd.DataFrame, items: list[str], numeric: list[str], missing: str, levels) -> Stage1:
    """Stage 1 with the continuous variables ``numeric`` among ``items`` (checked by
    :func:`govstats.sem.ordinal.stage1.stage1`, which calls this)."""
    is_num = np.array([item in set(numeric) for item in items])
    if is_num.all():
        raise ValueError(
            f"The 'numeric' parameter of stage1 must leave at least one ordinal item. Got {numeric!r} instead."
        )
    x = np.column_stack([data[item].to_numpy(dtype=float) for item in items])
    seen = ~np.isnan(x)
    keep = seen.all(axis=1) if missing == "listwise" else seen.any(axis=1)
    x, seen = x[keep], seen[keep]
    blanks = not seen.all()
    n, p = x.shape
    num, ordi = np.flatnonzero(is_num), np.flatnonzero(~is_num)
    ord_items, num_items = [items[j] for j in ordi], [items[j] for j in num]

    codes, cats, counts = _recode(x[:, ordi])
    single = [item for item, c in zip(ord_items, cats) if len(c) < 2]
    if single:
        raise ValueError(f"Ordinal items need at least two observed categories; {single} have one or none.")
    _warn_empty_categories(data, ord_items, cats, levels)
    taus = [_item_thresholds(c) for c in counts]
    pairs = fit_pairs(codes, taus, ord_items) if len(ordi) > 1 else _no_pairs(codes, taus)
    ut_ord, V = _ordinal_u(codes, taus, counts, pairs)
    n_th = np.array([len(t) for t in taus])
    th_start = np.concatenate([[0], np.cumsum(n_th)])

    uni = _Continuous(x[:, num])
    const = [num_items[k] for k in np.flatnonzero(uni.var == 0)]
    if const:
        raise ValueError(f"Continuous variables need a nonzero variance; {const} are constant (or never observed).")

    # pairs in lavaan's order, by type
    ia, ib = np.triu_indices(p, 1)
    pos = np.full(p, -1)
    pos[num] = np.arange(len(num))
    pos[ordi] = np.arange(len(ordi))
    both_ord = ~is_num[ia] & ~is_num[ib]
    both_num = is_num[ia] & is_num[ib]
    mixed = ~both_ord & ~both_num
    if blanks:
        together = (seen[:, ia] & seen[:, ib]).sum(axis=0)
        if (together[~both_ord] < 2).any():
            q = int(np.flatnonzero((together < 2) & ~both_ord)[0])
            raise ValueError(f"Items {items[ia[q]]!r} and {items[ib[q]]!r} are answered together by fewer than "
                             f"two respondents: their correlation cannot be estimated.")
    mq_num = pos[np.where(is_num[ia], ia, ib)[mixed]]
    mq_ord = pos[np.where(is_num[ia], ib, ia)[mixed]]
    nq1, nq2 = pos[ia[both_num]], pos[ib[both_num]]

    kmax = int(n_th.max()) + 1
    z = (uni.dev / uni.sd).T[mq_num]
    pair_codes = codes.T[mq_ord]  # (pairs, cases), categories 0..K-1, -1 for a blank
    limits = np.clip(_edges(taus, kmax), -_FAR, _FAR)[mq_ord]
    if blanks:
        both = uni.seen.T[mq_num] & (pair_codes >= 0)
        start = _pairwise_start(x[:, num].T[mq_num], pair_codes, taus, mq_ord, both)
        blank_codes = np.where(pair_codes >= 0, pair_codes, kmax)  # V's row kmax is a blank's: zero
        pair_codes = np.where(both, pair_codes, 0)
    else:
        both, start, blank_codes = None, polyserial_start(z, pair_codes, taus, mq_ord), pair_codes
    serial = Polyserial(z, np.take_along_axis(limits, pair_codes + 1, axis=1),
                        np.take_along_axis(limits, pair_codes, axis=1), uni.sd[mq_num], start, both)
    u_mixed = _polyserial_u(serial, pair_codes, blank_codes, mq_num, mq_ord, kmax, V, uni)
    r_nn = (uni.dev[:, nq1] * uni.dev[:, nq2]).mean(axis=0) / (uni.sd[nq1] * uni.sd[nq2])
    nn_seen = None
    if blanks:
        nn_seen = uni.seen.T[nq1] & uni.seen.T[nq2]
        gaps = ~(uni.seen.all(axis=0)[nq1] & uni.seen.all(axis=0)[nq2])
        y = x[:, num].T
        r_nn[gaps] = _two_step_pearson(uni, nq1[gaps], nq2[gaps], nn_seen[gaps],
                                       _pairwise_cor(y[nq1[gaps]], y[nq2[gaps]], nn_seen[gaps]))
    u_nn = _pearson_u(uni, nq1, nq2, r_nn, nn_seen)

    n_stat = int(n_th.sum()) + 2 * len(num) + len(ia)
    ut = np.empty((n_stat, n))
    names = []
    row = 0
    for j, item in enumerate(items):
        if is_num[j]:
            ut[row] = -uni.u_mu[pos[j]]  # the statistic is minus the mean
            names.append(f"{item}~1")
            row += 1
        else:
            k = pos[j]
            ut[row:row + n_th[k]] = ut_ord[th_start[k]:th_start[k + 1]]
            names.extend(f"{item}|t{t + 1}" for t in range(n_th[k]))
            row += n_th[k]
    ut[row:row + len(num)] = uni.u_var
    names.extend(f"{item}~~{item}" for item in num_items)
    row += len(num)
    rows = row + np.arange(len(ia))
    ut[rows[both_ord]] = ut_ord[th_start[-1]:]
    ut[rows[mixed]] = u_mixed
    ut[rows[both_num]] = u_nn
    names.extend(f"{items[a]}~~{items[b]}" for a, b in zip(ia, ib))
    gamma = _syrk(ut)
    gamma *= n

    rho = np.eye(p)
    rho[ia[both_ord], ib[both_ord]] = pairs.rho
    rho[ia[mixed], ib[mixed]] = serial.rho
    rho[ia[both_num], ib[both_num]] = r_nn
    rho = np.triu(rho, 1) + np.triu(rho, 1).T + np.eye(p)
    ord_pair_names = [f"{ord_items[a]}~~{ord_items[b]}" for a, b in zip(pairs.ia, pairs.ib)]
    pair_nobs = None
    if missing == "pairwise":
        both_seen = seen.astype(float)
        pair_nobs = pd.DataFrame((both_seen.T @ both_seen).astype(int), index=items, columns=items)
    return Stage1(
        items=items,
        thresholds=pd.Series(np.concatenate(taus),
                             index=[f"{item}|t{t + 1}" for item, k in zip(ord_items, n_th) for t in range(k)]),
        correlations=pd.DataFrame(rho, index=items, columns=items),
        gamma=pd.DataFrame(gamma, index=names, columns=names, copy=False),
        nobs=n,
        categories={item: [_plain(v) for v in c] for item, c in zip(ord_items, cats)},
        missing=missing,
        pair_nobs=pair_nobs,
        zero_cell_pairs=[ord_pair_names[q] for q in _zero_cells(pairs, taus)],
        numeric=num_items,
        means=pd.Series(uni.mean, index=num_items),
        variances=pd.Series(uni.var, index=num_items),
    )


def _no_pairs(codes: np.ndarray, taus) -> PairTables:
    """The pair tables of a single ordinal item: none (fit_pairs needs two items)."""
    kmax = len(taus[0]) + 1
    empty = np.zeros((0, kmax, kmax))
    return PairTables(ia=np.zeros(0, int), ib=np.zeros(0, int),
                      ext=np.ascontiguousarray(np.where(codes >= 0, codes, kmax).T, dtype=np.int32),
                      cells=np.zeros((0, len(codes)), np.int32), counts=empty, rho=np.zeros(0), prob=empty,
                      dprob=empty, valid=np.zeros((0, kmax, kmax), bool), iterations=0, special={})


class _Continuous:
    """Means, variances (divisor N) and the rows of U1 = A11^-1 S1' of continuous variables.

    Blanks (NaN) are left out: the moments are those of the cases observed (divisor their
    number), and a blank's deviation and scores are zero."""

    def __init__(self, y: np.ndarray):
        self.seen = ~np.isnan(y)
        if self.seen.all():
            self.mean = y.mean(axis=0)
            self.dev = y - self.mean
            self.var = (self.dev * self.dev).mean(axis=0)
        else:
            count = np.maximum(self.seen.sum(axis=0), 1)  # never observed: variance 0, an error
            self.mean = np.where(self.seen, y, 0.0).sum(axis=0) / count
            self.dev = np.where(self.seen, y - self.mean, 0.0)
            self.var = (self.dev * self.dev).sum(axis=0) / count
        self.sd = np.sqrt(self.var)
        if (self.var == 0).any():
            return
        s_mu = (self.dev / self.var).T  # (variables, cases)
        s_var = ((self.dev * self.dev / self.var - 1) / (2 * self.var) * self.seen).T
        # A11 of a continuous variable: the 2 x 2 cross-products of its mean and variance scores
        a = (s_mu * s_mu).sum(axis=1)
        b = (s_mu * s_var).sum(axis=1)
        d = (s_var * s_var).sum(axis=1)
        det = a * d - b * b
        self.u_mu = (d[:, None] * s_mu - b[:, None] * s_var) / det[:, None]
        self.u_var = (a[:, None] * s_var - b[:, None] * s_mu) / det[:, None]


def polyserial_start(z: np.ndarray, codes: np.ndarray, taus, ordinal: np.ndarray) -> np.ndarray:
    """lavaan's start (``lav_bvmix_init_cache``): cor(y, codes) times the ML sd of the codes over
    the sum of phi at the item's thresholds (with covariates: its probit thresholds at x = 0),
    halved above 0.9."""
    c = codes - codes.mean(axis=1, keepdims=True)
    sd_c = np.sqrt((c * c).mean(axis=1))
    zc = z - z.mean(axis=1, keepdims=True)
    cor = (zc * c).mean(axis=1) / np.sqrt((zc * zc).mean(axis=1)) / sd_c
    dens = np.array([np.exp(-t * t / 2).sum() / _SQRT_2PI for t in taus])[ordinal]
    start = cor * sd_c / dens
    start = np.where(np.isfinite(start), start, 0.0)
    return np.where(np.abs(start) > 0.9, start / 2, start)


class Polyserial:
    """Two-step polyserial correlations of (continuous, ordinal) pairs, all pairs at once.

    Arrays are (pairs, cases): ``z`` the continuous variable standardized (its residual with
    covariates), ``up`` and ``lo`` the limits of the case's category of the ordinal item (minus
    its linear predictor with covariates; +-100 stands for infinite, as in lavaan); ``sd`` the
    continuous variable's (residual) sd per pair; ``seen`` (optional, pairwise deletion) whether
    the case observed both variables: the others are left out of the likelihood and score zero.
    :meth:`fit` runs on construction.
    """

    def __init__(self, z: np.ndarray, up: np.ndarray, lo: np.ndarray, sd: np.ndarray, start: np.ndarray,
                 seen: np.ndarray | None = None):
        self.z, self.up, self.lo, self.sd, self.seen = z, up, lo, sd[:, None], seen
        # the density of y itself: lavaan's case likelihood is phi(z) / sd * P(category | y)
        self.py1 = np.exp(-z * z / 2) / (_SQRT_2PI * sd[:, None])
        self.rho = np.clip(start, -_BOUND, _BOUND)
        self.fit()

    def _terms(self, r: np.ndarray, sel=slice(None)):
        """Log-likelihood, score, second derivative and information in rho of the pairs ``sel``."""
        z, up, lo, py1 = self.z[sel], self.up[sel], self.lo[sel], self.py1[sel]
        rr = r[:, None]
        big_r = np.sqrt(1 - rr * rr)
        a, b = (up - rr * z) / big_r, (lo - rr * z) / big_r
        prob = np.maximum(ndtr(a) - ndtr(b), _EPS)
        keep = py1 * prob >= _SQRT_EPS  # lavaan drops cases with a tiny likelihood
        if self.seen is not None:
            keep &= self.seen[sel]
        fa, fb = np.exp(-a * a / 2) / _SQRT_2PI, np.exp(-b * b / 2) / _SQRT_2PI
        ta, tb = up * rr - z, lo * rr - z
        r3 = big_r ** 3
        ratio = (fa * ta - fb * tb) / (r3 * prob)
        d2 = (fa * (up - a * ta * ta / r3 + 3 * rr * ta / (big_r * big_r))
              - fb * (lo - b * tb * tb / r3 + 3 * rr * tb / (big_r * big_r))) / (r3 * prob)
        ll = np.where(keep, np.log(np.where(keep, py1 * prob, 1.0)), 0.0).sum(axis=1)
        score = np.where(keep, ratio, 0.0).sum(axis=1)
        hess = np.where(keep, d2 - ratio * ratio, 0.0).sum(axis=1)
        info = np.where(keep, ratio * ratio, 0.0).sum(axis=1)
        return ll, score, hess, info

    def fit(self, tol: float = 1e-10, max_iter: int = 100) -> None:
        """Safeguarded Newton (Fisher scoring where the log-likelihood is not concave), steps
        that lower the likelihood halved; a pair stops when its step is below sqrt(tol)."""
        r = self.rho.copy()
        active = np.arange(len(r))
        ll, score, hess, info = self._terms(r)
        for _ in range(max_iter):
            if not active.size:
                break
            curvature = np.where(hess < 0, -hess, np.maximum(info, 1e-300))
            step = np.clip(score / curvature, -0.5, 0.5)
            old = r[active]
            new = np.clip(old + step, -_BOUND, _BOUND)
            ll_new, s_new, h_new, i_new = self._terms(new, active)
            worse = ll_new < ll - 1e-12 * np.abs(ll)
            for _ in range(40):
                if not worse.any():
                    break
                idx = np.flatnonzero(worse)
                new[idx] = (old[idx] + new[idx]) / 2
                part = self._terms(new[idx], active[idx])
                for full, piece in zip((ll_new, s_new, h_new, i_new), part):
                    full[idx] = piece
                worse[idx] = ll_new[idx] < ll[idx] - 1e-12 * np.abs(ll[idx])
            r[active] = new
            going = (new - old) ** 2 >= tol
            active = active[going]
            ll, score, hess, info = ll_new[going], s_new[going], h_new[going], i_new[going]
        self.rho = r

    def scores(self) -> dict:
        """Casewise scores of the bivariate likelihood at rho (``lav_bvmix_cor_scores``), in
        rho and in the univariate parameters: ``mu`` and ``var`` of the continuous variable
        (its slopes: ``mu`` times x), ``up`` and ``lo`` for the item's threshold above and
        below the case's category (its slopes: ``-(up - lo)`` times x)."""
        z, up, lo = self.z, self.up, self.lo
        r = self.rho[:, None]
        big_r = np.sqrt(1 - r * r)
        a, b = (up - r * z) / big_r, (lo - r * z) / big_r
        prob = np.maximum(ndtr(a) - ndtr(b), _EPS)
        fa, fb = np.exp(-a * a / 2) / _SQRT_2PI, np.exp(-b * b / 2) / _SQRT_2PI
        diff = (fa - fb) / prob
        sd = self.sd
        out = {
            "rho": (fa * (up * r - z) - fb * (lo * r - z)) / (big_r ** 3 * prob),
            "mu": (z + r / big_r * diff) / sd,
            "var": ((z * z - 1) + r * z / big_r * diff) / (2 * sd * sd),
            "up": fa / (big_r * prob),
            "lo": fb / (big_r * prob),
        }
        if self.seen is not None:
            out = {key: np.where(self.seen, value, 0.0) for key, value in out.items()}
        return out


def _polyserial_u(serial: Polyserial, codes, blank_codes, num, ord_, kmax, V, uni) -> np.ndarray:
    """Rows of U' for the covariances of polyserial pairs without covariates: (pairs, cases).

    The item's part of U1 is a lookup by category (V), so its A21 block is summed by category.
    ``blank_codes`` are the item's codes with kmax (V's blank row) for a blank; where either
    variable is blank the pair's own score is zero, but the correction keeps the other's part.
    """
    sc = serial.scores()
    score = sc["rho"]
    a_mu = (score * sc["mu"]).sum(axis=1)
    a_var = (score * sc["var"]).sum(axis=1)
    n_pairs = len(serial.rho)
    offset = (np.arange(n_pairs) * kmax)[:, None] + codes
    upper = np.bincount(offset.ravel(), (score * sc["up"]).ravel(), n_pairs * kmax)
    lower = np.bincount(offset.ravel(), (score * sc["lo"]).ravel(), n_pairs * kmax)
    # threshold t is the upper limit of category t and the lower limit of category t + 1
    a_th = upper.reshape(n_pairs, kmax)[:, :-1] - lower.reshape(n_pairs, kmax)[:, 1:]
    a22 = (score * score).sum(axis=1)
    per_category = np.einsum("qct,qt->qc", V[ord_], a_th)
    correction = (a_mu[:, None] * uni.u_mu[num] + a_var[:, None] * uni.u_var[num]
                  + np.take_along_axis(per_category, blank_codes, axis=1))
    u_cor = (score - correction) / a22[:, None]
    # from the correlation to the covariance rho sd (delta method, lavaan's H)
    sd = uni.sd[num][:, None]
    return sd * u_cor + (serial.rho[:, None] / (2 * sd)) * uni.u_var[num]


def pearson_scores(y1: np.ndarray, y2: np.ndarray, v1: np.ndarray, v2: np.ndarray, rho: np.ndarray) -> dict:
    """Casewise scores of the bivariate normal likelihood of two continuous variables
    (``lav_bvreg_cor_scores``): in rho, and in each one's mean (its slopes: that times x) and
    variance. ``y1``, ``y2`` are (pairs, cases) deviations (residuals), ``v1``, ``v2`` and
    ``rho`` per pair."""
    v1, v2, r = v1[:, None], v2[:, None], rho[:, None]
    s12 = np.sqrt(v1) * np.sqrt(v2)
    one = 1 - r * r
    cross = y1 * y2 / s12
    quad = y1 * y1 / v1 - 2 * r * cross + y2 * y2 / v2
    return {
        "rho": r / one + cross / one - quad * r / (one * one),
        "mu1": (y1 / v1 - r * y2 / s12) / one,
        "mu2": (y2 / v2 - r * y1 / s12) / one,
        "var1": -(0.5 / v1 - (y1 * y1 / (v1 * v1) - r * y1 * y2 / (v1 * s12)) / (2 * one)),
        "var2": -(0.5 / v2 + (r * y1 * y2 / (v2 * s12) - y2 * y2 / (v2 * v2)) / (2 * one)),
    }


def _pearson_u(uni: _Continuous, k1: np.ndarray, k2: np.ndarray, rho: np.ndarray, seen=None) -> np.ndarray:
    """Rows of U' for the covariances of pairs of continuous variables (``seen``: the cases
    observing both, under pairwise deletion)."""
    if not len(k1):
        return np.empty((0, len(uni.dev)))
    sc = pearson_scores(uni.dev.T[k1], uni.dev.T[k2], uni.var[k1], uni.var[k2], rho)
    if seen is not None:
        sc = {key: np.where(seen, value, 0.0) for key, value in sc.items()}
    score = sc["rho"]
    correction = sum((score * sc[d]).sum(axis=1)[:, None] * u
                     for d, u in (("mu1", uni.u_mu[k1]), ("mu2", uni.u_mu[k2]),
                                  ("var1", uni.u_var[k1]), ("var2", uni.u_var[k2])))
    u_cor = (score - correction) / (score * score).sum(axis=1)[:, None]
    s1, s2, r = uni.sd[k1][:, None], uni.sd[k2][:, None], rho[:, None]
    return s1 * s2 * u_cor + (s2 * r / (2 * s1)) * uni.u_var[k1] + (s1 * r / (2 * s2)) * uni.u_var[k2]


def _pairwise_cor(y1: np.ndarray, y2: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Pearson correlations of (pairs, cases) arrays over the cases ``seen`` (R's
    ``cor(use = "pairwise.complete.obs")``)."""
    count = seen.sum(axis=1, keepdims=True)
    a = np.where(seen, y1, 0.0)
    b = np.where(seen, y2, 0.0)
    a = np.where(seen, a - a.sum(axis=1, keepdims=True) / count, 0.0)
    b = np.where(seen, b - b.sum(axis=1, keepdims=True) / count, 0.0)
    return (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))


def _pairwise_start(y: np.ndarray, codes: np.ndarray, taus, ordinal: np.ndarray, both: np.ndarray) -> np.ndarray:
    """lavaan's polyserial start under pairwise deletion (``lav_bvmix_init_cache``): the
    pairwise-complete cor(y, codes) times sd(codes) over the item's observed cases (divisor
    n - 1) times sqrt((N - 1) / N), N every row, over the sum of phi at the thresholds."""
    n = codes.shape[1]
    observed = codes >= 0
    count = observed.sum(axis=1)
    c = np.where(observed, codes - np.where(observed, codes, 0).sum(axis=1, keepdims=True) / count[:, None], 0.0)
    sd_c = np.sqrt((c * c).sum(axis=1) / (count - 1) * (n - 1) / n)
    dens = np.array([np.exp(-t * t / 2).sum() / _SQRT_2PI for t in taus])[ordinal]
    start = _pairwise_cor(y, codes.astype(float), both) * sd_c / dens
    start = np.where(np.isfinite(start), start, 0.0)
    return np.where(np.abs(start) > 0.9, start / 2, start)


def _two_step_pearson(uni: _Continuous, k1: np.ndarray, k2: np.ndarray, seen: np.ndarray, start: np.ndarray,
                      tol: float = 1e-10, max_iter: int = 100) -> np.ndarray:
    """Two-step ML correlations of pairs of continuous variables with blanks
    (``lav_bvreg_cor_twostep_fit``): the bivariate normal likelihood of the cases observing
    both, means and variances fixed at their univariate estimates, maximized in rho within
    [-0.999, 0.999] by safeguarded Newton; cases whose likelihood is below sqrt(machine
    epsilon) are left out, as lavaan does."""
    if not len(k1):
        return np.zeros(0)
    z1, z2 = (uni.dev / uni.sd).T[k1], (uni.dev / uni.sd).T[k2]
    log_s12 = np.log(uni.sd[k1] * uni.sd[k2])[:, None]
    a, c = z1 * z1 + z2 * z2, z1 * z2

    def terms(r):
        rr = r[:, None]
        big_r = 1 - rr * rr
        q = a - 2 * rr * c
        log_lik = -np.log(2 * np.pi) - log_s12 - np.log(big_r) / 2 - q / (2 * big_r)
        keep = seen & (log_lik >= np.log(_SQRT_EPS))
        score = (rr + c) / big_r - q * rr / big_r ** 2
        d_score = (1 / big_r + 2 * rr * (rr + c) / big_r ** 2
                   - (a - 4 * rr * c) / big_r ** 2 - 4 * rr * (a * rr - 2 * rr * rr * c) / big_r ** 3)
        return (np.where(keep, log_lik, 0.0).sum(axis=1), np.where(keep, score, 0.0).sum(axis=1),
                np.where(keep, d_score, 0.0).sum(axis=1))

    r = np.clip(start, -0.999, 0.999)
    ll, score, hess = terms(r)
    for _ in range(max_iter):
        step = np.clip(np.where(hess < 0, -score / hess, np.sign(score) * 0.1), -0.5, 0.5)
        new = np.clip(r + step, -0.999, 0.999)
        ll_new, s_new, h_new = terms(new)
        for _ in range(40):  # halve steps that lower the likelihood
            worse = ll_new < ll - 1e-12 * np.abs(ll)
            if not worse.any():
                break
            new = np.where(worse, (r + new) / 2, new)
            ll_new, s_new, h_new = terms(new)
        done = (new - r) ** 2 < tol
        r, ll, score, hess = new, ll_new, s_new, h_new
        if done.all():
            break
    return r
