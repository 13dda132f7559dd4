"""Two-level normal likelihood of incomplete data (two-level FIML), as lavaan 0.6.14's
``lav_mvnorm_cluster_missing_loglik_samplestats_2l``.

Rows i of cluster j: y_ij = mu_y + b_j + w_ij over the level-1 variables, with blanks; z_j the
level-2-only variables (blanks: conditioning on the observed ones). Given z_j, the between part of the split variables has
covariance B = Sigma_B,yy - Sigma_yz Sigma_zz^-1 Sigma_zy and the rows have mean
m_j = mu_y + Sigma_yz Sigma_zz^-1 (z_j - mu_z). With W_i the within covariance of row i's observed
variables, P_i its inverse padded with zeros, e_i = y_i - m_j (zero where blank), q_i = P_i e_i,
A_j = sum_i P_i, p_j = sum_i q_i and M_j = (I + B A_j)^-1 B (Woodbury and the determinant lemma
for the cluster's stacked covariance D_j + S_j B S_j'):

    -2 log L_j = sum_i [log|W_i| + e_i' q_i] + log|I + B A_j| - p_j' M_j p_j
                 + log|Sigma_zz| + c_j' Sigma_zz^-1 c_j,     c_j = z_j - mu_z.

The derivatives with respect to (B, Sigma_W, m_j) follow from G_j = V_j^-1 - V_j^-1 r r' V_j^-1 of
the stacked vector: with r_j = p_j - A_j M_j p_j and s_i = q_i - P_i M_j p_j,

    dB: A_j - A_j M_j A_j - r_j r_j',   dSigma_W: sum_i [P_i - P_i M_j P_i - s_i s_i'],   dm_j: -2 r_j,

and the chain rule through B and m_j gives those with respect to Sigma_zz, Sigma_yz, mu_z. lavaan's
gradient (``lav_mvnorm_cluster_missing_dlogl_2l_samplestats``) loops over clusters in R; here every
cluster is one slice of batched arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from govstats.sem import two_level as tl

LOG_2PI = tl.LOG_2PI


@dataclass
class MissingClusterStatistics:
    """Two-level data with blanks in level-1 variables (one group).

    ``y`` (n x p_y, blanks as NaN) are the level-1 variables in the level-1 model's order, ``z``
    (J x p_z) the level-2-only variables per cluster (NaN where blank). ``sizes``/``counts`` (distinct
    cluster sizes, clusters of each size) serve the approximate information of the first scoring
    steps; ``s_pw``, ``total_mean``/``total_cov`` and :meth:`between_moments` (available-case
    moments) the start values and the fixed.x covariates' moments (complete by construction).
    """

    n: int
    n_clusters: int
    within: list
    between_only: list
    y: np.ndarray
    z: np.ndarray
    cluster_index: np.ndarray
    cluster_size: np.ndarray
    sizes: np.ndarray
    counts: np.ndarray
    s_pw: np.ndarray
    total_mean: np.ndarray
    total_cov: np.ndarray
    ybar: np.ndarray | None = None   # J x p_y: cluster means of the observed values (start values)
    loglik_x: float = 0.0
    cluster_labels: list | None = None

    kind = "two_level_missing"

    def __post_init__(self):
        self.observed = ~np.isnan(self.y)
        self.filled = np.where(self.observed, self.y, 0.0)
        keys, self.pattern_of_row = np.unique(self.observed, axis=0, return_inverse=True)
        self.pattern_of_row = self.pattern_of_row.ravel()
        self.patterns = keys.astype(bool)
        self.pattern_freq = np.bincount(self.pattern_of_row, minlength=len(keys))
        # J x N indicator: sums over the rows of each cluster as one sparse product
        self.members = sparse.csr_matrix((np.ones(self.n), (self.cluster_index, np.arange(self.n))),
                                         shape=(self.n_clusters, self.n))
        # J x n_patterns: how many rows of each pattern a cluster has (A_j = sum_k count_jk P_k)
        self.pattern_counts = sparse.csr_matrix((np.ones(self.n), (self.cluster_index, self.pattern_of_row)),
                                                shape=(self.n_clusters, len(keys))).toarray()
        # level-2-only values per cluster: blank when a row of the cluster has them blank (lavaan's
        # cluster means with na.rm = FALSE)
        self.z_observed = ~np.isnan(self.z)
        self.z_filled = np.where(self.z_observed, self.z, 0.0)
        z_keys, self.z_pattern = np.unique(self.z_observed, axis=0, return_inverse=True)
        self.z_pattern = self.z_pattern.ravel()
        self.z_patterns = z_keys.astype(bool).reshape(len(z_keys), self.z.shape[1])
        self.z_pattern_freq = np.bincount(self.z_pattern, minlength=len(z_keys))
        self.n_observed = int(self.observed.sum()) + int(self.z_observed.sum())
        # patterns grouped by their number of blanks: (pattern numbers, blank variables n x k)
        blanks = (~self.patterns).sum(axis=1)
        self.pattern_groups = [(np.flatnonzero(blanks == k),
                                np.array([np.flatnonzero(~self.patterns[j]) for j in np.flatnonzero(blanks == k)]))
                               for k in np.unique(blanks) if k > 0]

    @property
    def cluster(self) -> np.ndarray:
        return self.cluster_index

    @property
    def p_z(self) -> int:
        return len(self.between_only)

    @property
    def p_y(self) -> int:
        return len(self.within)

    @property
    def cluster_names(self) -> list:
        return list(self.between_only) + list(self.within)

    @property
    def n_blank(self) -> int:
        return int((~self.observed).sum())

    @classmethod
    def from_rows(cls, y: np.ndarray, z: np.ndarray, cluster: np.ndarray, within: list, between_only: list,
                  within_x: list = (), between_x: list = ()) -> "MissingClusterStatistics":
        """From rows with blanks in y (none blank on every level-1 variable) and z, constant within
        clusters; clusters numbered in order of first appearance, as lavaan."""
        n = len(y)
        labels, first, index = np.unique(cluster, return_index=True, return_inverse=True)
        order = np.argsort(first)
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        index = rank[index.ravel()]
        n_clusters = len(labels)
        size = np.bincount(index, minlength=n_clusters).astype(float)
        zbar = np.zeros((n_clusters, z.shape[1]))
        if z.shape[1]:
            np.add.at(zbar, index, z)
            zbar /= size[:, None]
        sizes, counts = np.unique(size, return_counts=True)
        observed = ~np.isnan(y)
        total_mean = np.nanmean(y, axis=0)
        # available-case moments (start values only; the covariates of fixed.x are complete, so for
        # them these are lavaan's sample moments)
        ybar = _cluster_nanmean(y, index, n_clusters)
        dev_total = np.where(observed, y - total_mean, 0.0)
        dev_within = np.where(observed, y - ybar[index], 0.0)
        both = observed.astype(float)
        pairs = both.T @ both
        total_cov = dev_total.T @ dev_total / np.maximum(pairs, 1.0)
        s_pw = dev_within.T @ dev_within / np.maximum(pairs - n_clusters, 1.0)
        stats = cls(n=n, n_clusters=n_clusters, within=list(within), between_only=list(between_only), y=y, z=zbar,
                    cluster_index=index, cluster_size=size, sizes=sizes, counts=counts, s_pw=s_pw,
                    total_mean=total_mean, total_cov=total_cov, ybar=ybar,
                    cluster_labels=[labels[k] for k in order])
        stats.loglik_x = stats.marginal_loglik_x(within_x, between_x)
        return stats

    def between_moments(self):
        """(mean, covariance with divisor J) of the cluster vectors (z, ybar), ybar over each
        cluster's observed values (a cluster with none takes the overall mean)."""
        ybar = np.where(np.isnan(self.ybar), self.total_mean, self.ybar)
        z = np.where(self.z_observed, self.z, np.nanmean(self.z, axis=0)) if self.p_z else self.z
        y2 = np.hstack([z, ybar])
        mean = y2.mean(axis=0)
        dev = y2 - mean
        return mean, dev.T @ dev / self.n_clusters

    def marginal_loglik_x(self, within_x, between_x) -> float:
        """lavaan's loglik.x (as :meth:`ClusterStatistics.marginal_loglik_x`; the covariates are complete)."""
        out = 0.0
        if len(within_x):
            k = [self.within.index(v) for v in within_x]
            out += tl.saturated_loglik(self.n, self.total_cov[np.ix_(k, k)])
        if len(between_x):
            names = self.cluster_names
            k = [names.index(v) for v in between_x]
            out += tl.saturated_loglik(self.n_clusters, self.between_moments()[1][np.ix_(k, k)])
        return out

    def constant(self) -> float:
        """-(P/2) log(2 pi), P the number of observed values (lavaan's Mp$nel + Zp$nel)."""
        return -0.5 * self.n_observed * LOG_2PI


def _cluster_nanmean(y: np.ndarray, index: np.ndarray, n_clusters: int) -> np.ndarray:
    observed = ~np.isnan(y)
    sums = np.zeros((n_clusters, y.shape[1]))
    np.add.at(sums, index, np.where(observed, y, 0.0))
    counts = np.zeros((n_clusters, y.shape[1]))
    np.add.at(counts, index, observed.astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts


def _pattern_inverses(stats: MissingClusterStatistics, sigma_w: np.ndarray):
    """(P_k padded inverses, log|W_k|) of every pattern's observed block of Sigma_W; None when not PD.
    As :mod:`govstats.sem.fiml`: with K = Sigma_W^-1 and m a pattern's blank variables,
    P = K - K[:, m] K_mm^-1 K[m, :] and log|W_oo| = log|Sigma_W| + log|K_mm|, batched over the
    patterns with the same number of blanks (a loop of small factorizations per pattern cost 70 ms
    an evaluation on 8 items with 84 patterns)."""
    try:
        chol = np.linalg.cholesky(sigma_w)
    except np.linalg.LinAlgError:
        return None
    chol_inv = np.linalg.inv(chol)
    K = chol_inv.T @ chol_inv
    logdet = 2.0 * float(np.log(np.diagonal(chol)).sum())
    n_pat = len(stats.patterns)
    inv = np.broadcast_to(K, (n_pat,) + K.shape).copy()
    logdets = np.full(n_pat, logdet)
    for which, missing in stats.pattern_groups:
        k_mm = K[missing[:, :, None], missing[:, None, :]]
        try:
            k_chol = np.linalg.cholesky(k_mm)
        except np.linalg.LinAlgError:
            return None
        k_m = K[:, missing].transpose(1, 0, 2)                            # (n, p, k): K[:, m]
        inv[which] -= k_m @ np.linalg.solve(k_mm, k_m.transpose(0, 2, 1))
        logdets[which] += 2.0 * np.log(np.diagonal(k_chol, axis1=1, axis2=2)).sum(axis=1)
        o = stats.patterns[which]
        inv[which] *= o[:, :, None] & o[:, None, :]                        # exact zeros where blank
    return inv, logdets


def _z_pattern_inverses(stats: MissingClusterStatistics, sigma_zz: np.ndarray):
    """(padded inverses, log-determinants) of Sigma_zz over each pattern of observed level-2-only
    variables (a cluster with none observed: zeros); None when not positive definite."""
    pz = sigma_zz.shape[0]
    inv = np.zeros((len(stats.z_patterns), pz, pz))
    logdet = np.zeros(len(stats.z_patterns))
    for k, mask in enumerate(stats.z_patterns):
        o = np.flatnonzero(mask)
        if not len(o):
            continue
        try:
            chol = np.linalg.cholesky(sigma_zz[np.ix_(o, o)])
        except np.linalg.LinAlgError:
            return None
        chol_inv = np.linalg.inv(chol)
        inv[k][np.ix_(o, o)] = chol_inv.T @ chol_inv
        logdet[k] = 2.0 * np.log(np.diagonal(chol)).sum()
    return inv, logdet


@dataclass
class ClusterPieces:
    """What the value and the derivatives share at one set of implied moments."""

    value: float
    P: np.ndarray           # n_patterns x p_y x p_y: each pattern's padded within inverse
    P_rows: np.ndarray      # N x p_y x p_y: each row's
    q: np.ndarray           # N x p_y
    A: np.ndarray           # J x p_y x p_y
    p: np.ndarray           # J x p_y
    M: np.ndarray           # J x p_y x p_y (zero outside the split variables)
    K: np.ndarray           # J x p_y x p_z: Sigma_yz Sigma_zz^-1 (over each cluster's observed z)
    zz_inv: np.ndarray      # J x p_z x p_z: padded inverse of Sigma_zz over each cluster's observed z
    c: np.ndarray           # J x p_z: z_j - mu_z (zero where blank)


def evaluate(stats: MissingClusterStatistics, m: tl.Moments2L, both: np.ndarray) -> ClusterPieces | None:
    """-2 log L (without the 2 pi constant) and its shared pieces; None outside the admissible
    region. ``both``: boolean over y, True for level-1 variables also in level 2 (split)."""
    pz = stats.p_z
    b = np.flatnonzero(both)
    sigma_w = m.sigma_w
    sigma_b = m.sigma_b
    mu_y, mu_z = m.mu[pz:], m.mu[:pz]
    # lavaan's admissibility: a negative within variance, or a between matrix of the split
    # variables with an eigenvalue below -0.05, is +Inf
    if np.any(np.diag(sigma_w) < 0) or np.any(np.diag(sigma_b) < 0):
        return None
    if len(b) and np.linalg.eigvalsh(sigma_b[pz:, pz:][np.ix_(b, b)]).min() < -0.05:
        return None
    patterns = _pattern_inverses(stats, sigma_w)
    if patterns is None:
        return None
    P, w_logdet = patterns
    J, py = stats.n_clusters, stats.p_y
    B = np.broadcast_to(sigma_b[pz:, pz:], (J, py, py))
    value = 0.0
    K = np.zeros((J, py, pz))
    zz_inv = np.zeros((J, pz, pz))
    c = np.zeros((J, pz))
    m_j = np.broadcast_to(mu_y, (J, py))
    if pz:
        z_patterns = _z_pattern_inverses(stats, sigma_b[:pz, :pz])
        if z_patterns is None:
            return None
        z_inv, z_logdet = z_patterns
        zz_inv = z_inv[stats.z_pattern]                                  # J x p_z x p_z, padded
        yz = sigma_b[pz:, :pz]
        K = yz[None] @ zz_inv                                            # J x p_y x p_z
        B = B - K @ yz.T[None]
        c = np.where(stats.z_observed, stats.z_filled - mu_z, 0.0)
        m_j = mu_y + np.einsum("jyz,jz->jy", K, c)
        value += float(stats.z_pattern_freq @ z_logdet + np.einsum("jz,jzw,jw->", c, zz_inv, c))
    P_rows = P[stats.pattern_of_row]
    e = np.where(stats.observed, stats.filled - m_j[stats.cluster_index], 0.0)
    q = np.einsum("nij,nj->ni", P_rows, e)
    value += float(stats.pattern_freq @ w_logdet + np.sum(e * q))
    A = (stats.pattern_counts @ P.reshape(len(P), -1)).reshape(-1, stats.p_y, stats.p_y)
    p = np.asarray(stats.members @ q)
    M = np.zeros_like(A)
    if len(b):
        Bb = B[:, b[:, None], b[None, :]]
        Ab = A[:, b[:, None], b[None, :]]
        I_BA = np.eye(len(b))[None] + Bb @ Ab
        sign, logdet = np.linalg.slogdet(I_BA)
        if np.any(sign <= 0):
            return None
        Mb = np.linalg.solve(I_BA, Bb)
        M[:, b[:, None], b[None, :]] = Mb
        pb = p[:, b]
        value += float(logdet.sum() - np.einsum("ji,jik,jk->", pb, Mb, pb))
    return ClusterPieces(value=value, P=P, P_rows=P_rows, q=q, A=A, p=p, M=M, K=K, zz_inv=zz_inv, c=c)


def matrix_gradient(stats: MissingClusterStatistics, pieces: ClusterPieces):
    """d(-2 log L) with respect to Sigma_W (p_y x p_y), Sigma_B over (z, y) and mu over (z, y), as
    matrices G with d(-2 log L) = tr(G_W dSigma_W) + tr(G_B dSigma_B) + g' dmu. The per-row term
    sum_i P_i M_j P_i is summed per pattern k as P_k (sum_j n_jk M_j) P_k (one product per pattern
    instead of one per row)."""
    A, M, p = pieces.A, pieces.M, pieces.p
    AM = A @ M
    r = p - np.einsum("jik,jk->ji", AM, p)
    g_bz_j = A - AM @ A - r[:, :, None] * r[:, None, :]              # J x p_y x p_y: d / dB_j
    g_bz = g_bz_j.sum(axis=0)
    g_m = -2.0 * r                                                   # J x p_y: d / dm_j
    Mp = np.einsum("jik,jk->ji", M, p)
    s = pieces.q - np.einsum("nij,nj->ni", pieces.P_rows, Mp[stats.cluster_index])
    P = pieces.P
    M_by_pattern = np.einsum("jk,jab->kab", stats.pattern_counts, M)
    g_w = np.einsum("k,kab->ab", stats.pattern_freq.astype(float), P) - (P @ M_by_pattern @ P).sum(axis=0) - s.T @ s
    pz, py = stats.p_z, stats.p_y
    pc = pz + py
    g_b = np.zeros((pc, pc))
    g_b[pz:, pz:] = g_bz
    g_mu = np.zeros(pc)
    g_mu[pz:] = g_m.sum(axis=0)
    if pz:
        # the chain rule through B_j = B_yy - Sigma_yz Z_j Sigma_zy and m_j = mu_y + Sigma_yz Z_j c_j, Z_j the
        # padded inverse of Sigma_zz over cluster j's observed z (d Z_j = -Z_j dSigma_zz Z_j)
        K, zi, c = pieces.K, pieces.zz_inv, pieces.c
        zc = np.einsum("jzw,jw->jz", zi, c)                             # Z_j c_j
        cg = zc[:, :, None] * g_m[:, None, :]                            # J x p_z x p_y: Z_j c_j g_j'
        g_zy = 0.5 * (-2.0 * np.einsum("jyz,jyk->zk", K, g_bz_j) + cg.sum(axis=0))
        zcgk = -np.einsum("jzy,jyw->zw", cg, K)
        g_zz = (zi.sum(axis=0) - zc.T @ zc + np.einsum("jyz,jyk,jkw->zw", K, g_bz_j, K) + 0.5 * (zcgk + zcgk.T))
        g_b[:pz, :pz] = g_zz
        g_b[:pz, pz:] = g_zy
        g_b[pz:, :pz] = g_zy.T
        g_mu[:pz] = -np.einsum("jyz,jy->z", K, g_m) - 2.0 * zc.sum(axis=0)
    return g_w, g_b, g_mu
