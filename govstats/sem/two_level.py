"""Two-level normal likelihood (the distribution layer of two-level SEM), as lavaan 0.6.14's
``lav_mvnorm_cluster.R`` and ``lav_samplestats_cluster_patterns``.

Respondents i in clusters j (communities) are y_ij = mu + b_j + w_ij with within part w ~
N(0, Sigma_W) and between part b_j ~ N(0, Sigma_B); level-2-only variables z_j (community
characteristics) belong to the between part alone. The data enter through sufficient statistics:
the pooled within covariance S_PW (divisor N - J) and, per distinct cluster size n, the mean and
covariance (divisor: the number of clusters of that size) of the cluster vectors c_j = (z_j, ybar_j).
Per cluster size the cluster vector is normal with covariance

    V_n = Sigma_B^c + E_y Sigma_W E_y' / n,

(Sigma_B^c over (z, y); E_y places the within matrix on the y rows), so that

    -2 log L = sum_n n_s [log|V_n| + p_y log n + tr(V_n^-1 (C_n + d_n d_n'))]
               + (N - J) [log|Sigma_W| + tr(Sigma_W^-1 S_PW)] + P log(2 pi),

which is lavaan's ``lav_mvnorm_cluster_loglik_samplestats_2l`` written with the joint covariance of
(z_j, ybar_j) (its log|n Sigma_B.z + Sigma_W| is log|V_n| + p_y log n). The derivatives with respect
to the matrices are those of independent normal pieces, so the expected information is exact.

The unrestricted (h1) model is estimated by lavaan's EM algorithm (``lav_mvnorm_cluster_em_sat``,
``lav_mvnorm_cluster_em_estepb``) with its start, tolerance (1e-4 on the log-likelihood) and
quirks, so that the h1 log-likelihood, the chi-square, the SRMR and the ICCs agree with lavaan's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from govstats.sem.ml import information_matrix

LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass
class ClusterStatistics:
    """Sufficient statistics of two-level data (one group, complete rows).

    The cluster vector is (z, y): ``between_only`` names the level-2-only variables z, ``within``
    the level-1 variables y (in the level-1 model's order; those also in level 2 are split into a
    within and a between part, the others are within-only). ``raw`` (n x p_y) and ``cluster_index``
    (each row's cluster, 0..J-1) serve the casewise (cluster) scores of the robust statistics.
    """

    n: int
    n_clusters: int
    within: list
    between_only: list
    s_pw: np.ndarray
    sizes: np.ndarray          # (S,) distinct cluster sizes
    counts: np.ndarray         # (S,) clusters of each size
    mean_d: np.ndarray         # (S, p_c) per size: mean of the cluster vectors (z, ybar)
    cov_d: np.ndarray          # (S, p_c, p_c) per size: their covariance (divisor: clusters of that size)
    sum_d: np.ndarray          # (S, p_c) per size: sum of the cluster vectors (the EM's statistics)
    outer_d: np.ndarray        # (S, p_c, p_c) per size: sum of their outer products
    y2: np.ndarray             # J x (p_z + p_y): cluster vectors, clusters in order of first appearance
    cluster_size: np.ndarray   # J
    y1y1: np.ndarray           # crossproduct of the raw level-1 variables (lavaan's Y1Y1, for the EM)
    raw: np.ndarray
    cluster_index: np.ndarray
    total_mean: np.ndarray     # over the level-1 variables (fixed.x values of within covariates)
    total_cov: np.ndarray      # divisor N
    loglik_x: float = 0.0
    cluster_labels: list | None = None

    kind = "two_level"

    @property
    def cluster(self) -> np.ndarray:
        """Each row's cluster (0..J-1), as other statistics' ``cluster`` (the summary counts them)."""
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

    @classmethod
    def from_rows(cls, y: np.ndarray, z: np.ndarray, cluster: np.ndarray, within: list, between_only: list,
                  within_x: list = (), between_x: list = ()) -> "ClusterStatistics":
        """From complete rows: y (n x p_y, level-1 variables), z (n x p_z, constant within clusters),
        the cluster ids, and the fixed.x covariates of each level (their marginal log-likelihood is
        left out of logl, as lavaan's ``loglik.x``)."""
        n = len(y)
        labels, first, index = np.unique(cluster, return_index=True, return_inverse=True)
        order = np.argsort(first)                     # lavaan: clusters in order of first appearance
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        index = rank[index]
        n_clusters = len(labels)
        size = np.bincount(index, minlength=n_clusters).astype(float)
        sums = np.zeros((n_clusters, y.shape[1]))
        np.add.at(sums, index, y)
        ybar = sums / size[:, None]
        zbar = np.zeros((n_clusters, z.shape[1]))
        if z.shape[1]:
            zsum = np.zeros_like(zbar)
            np.add.at(zsum, index, z)
            zbar = zsum / size[:, None]
        centred = y - ybar[index]
        s_pw = centred.T @ centred / (n - n_clusters)
        y2 = np.hstack([zbar, ybar])
        sizes, which, counts = np.unique(size, return_inverse=True, return_counts=True)
        sum_d = np.zeros((len(sizes), y2.shape[1]))
        np.add.at(sum_d, which, y2)
        outer_d = np.zeros((len(sizes), y2.shape[1], y2.shape[1]))
        np.add.at(outer_d, which, y2[:, :, None] * y2[:, None, :])
        mean_d = sum_d / counts[:, None]
        cov_d = outer_d / counts[:, None, None] - mean_d[:, :, None] * mean_d[:, None, :]
        total_mean = y.mean(axis=0)
        dev = y - total_mean
        total_cov = dev.T @ dev / n
        stats = cls(n=n, n_clusters=n_clusters, within=list(within), between_only=list(between_only), s_pw=s_pw,
                    sizes=sizes, counts=counts, mean_d=mean_d, cov_d=cov_d, sum_d=sum_d, outer_d=outer_d, y2=y2, cluster_size=size,
                    y1y1=y.T @ y, raw=y, cluster_index=index, total_mean=total_mean, total_cov=total_cov,
                    cluster_labels=[labels[k] for k in order])
        stats.loglik_x = stats.marginal_loglik_x(within_x, between_x)
        return stats

    def between_moments(self):
        """(mean, covariance with divisor J) of the cluster vectors: the fixed.x values of level-2
        covariates (lavaan's Mu.B.start and Sigma.B of between-only variables)."""
        mean = self.y2.mean(axis=0)
        dev = self.y2 - mean
        return mean, dev.T @ dev / self.n_clusters

    def marginal_loglik_x(self, within_x, between_x) -> float:
        """lavaan's loglik.x: the saturated log-likelihood of the within covariates (total covariance,
        N rows) plus that of the between covariates (covariance of the cluster vectors, J clusters)."""
        out = 0.0
        if len(within_x):
            k = [self.within.index(v) for v in within_x]
            out += saturated_loglik(self.n, self.total_cov[np.ix_(k, k)])
        if len(between_x):
            names = self.cluster_names
            k = [names.index(v) for v in between_x]
            out += saturated_loglik(self.n_clusters, self.between_moments()[1][np.ix_(k, k)])
        return out

    def constant(self) -> float:
        """-(P/2) log(2 pi), P = N p_y + J p_z (lavaan's count of observed values)."""
        return -0.5 * (self.n * self.p_y + self.n_clusters * self.p_z) * LOG_2PI


def saturated_loglik(n: int, cov: np.ndarray) -> float:
    """The normal log-likelihood of n rows at their own (N-divided) covariance matrix."""
    p = cov.shape[0]
    return -0.5 * n * (p * LOG_2PI + np.linalg.slogdet(cov)[1] + p)


@dataclass
class Moments2L:
    """Implied two-level moments in the cluster layout: Sigma_W over y, Sigma_B and mu over (z, y)."""

    sigma_w: np.ndarray
    sigma_b: np.ndarray
    mu: np.ndarray


def cluster_covariances(stats: ClusterStatistics, m: Moments2L) -> np.ndarray:
    """(S, p_c, p_c): V_n = Sigma_B + E_y Sigma_W E_y' / n for every cluster size n."""
    pz = stats.p_z
    v = np.repeat(m.sigma_b[None], len(stats.sizes), axis=0)
    v[:, pz:, pz:] += m.sigma_w[None] / stats.sizes[:, None, None]
    return v


def minus2_loglik(stats: ClusterStatistics, m: Moments2L, terms: bool = False):
    """-2 log L without the constant (lavaan's value), or None outside the admissible region; with
    ``terms`` also what its derivatives need: (value, (V_n^-1, residual outer products, d_n), Sigma_W^-1).
    All cluster sizes at once (batched LAPACK): lavaan's EM needed 1360 iterations on a 100-cluster
    sample with ICCs near .03, and a loop over the 17 sizes cost 9 ms an evaluation."""
    try:
        w_chol = np.linalg.cholesky(m.sigma_w)
        v = cluster_covariances(stats, m)
        chol = np.linalg.cholesky(v)
    except np.linalg.LinAlgError:
        return None
    w_inv = np.linalg.inv(m.sigma_w)
    w_logdet = 2.0 * float(np.log(np.diagonal(w_chol)).sum())
    extra = stats.n - stats.n_clusters
    value = extra * (w_logdet + float(np.sum(w_inv * stats.s_pw)))
    logdet = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    inv = np.linalg.inv(v)
    d = stats.mean_d - m.mu
    outer = stats.cov_d + d[:, :, None] * d[:, None, :]
    value += float(stats.counts @ (logdet + stats.p_y * np.log(stats.sizes) + np.einsum("sij,sij->s", inv, outer)))
    return (value, (inv, outer, d), w_inv) if terms else value


def loglik(stats: ClusterStatistics, m: Moments2L, fixed_x: bool = True) -> float:
    """lavaan's logl (with the 2 pi constant, less loglik.x of fixed.x covariates)."""
    value = minus2_loglik(stats, m)
    if value is None:
        return -np.inf
    return -0.5 * value + stats.constant() - (stats.loglik_x if fixed_x else 0.0)


def matrix_gradient(stats: ClusterStatistics, m: Moments2L, pieces, w_inv):
    """Derivatives of -2 log L with respect to Sigma_W (p_y x p_y), Sigma_B (over (z, y)) and mu, as
    matrices G with d(-2 log L) = tr(G_W dSigma_W) + tr(G_B dSigma_B) + g' dmu."""
    pz = stats.p_z
    inv, outer, d = pieces
    g_w = (stats.n - stats.n_clusters) * (w_inv - w_inv @ stats.s_pw @ w_inv)
    g = stats.counts[:, None, None] * (inv - inv @ outer @ inv)
    g_b = g.sum(axis=0)
    g_w = g_w + (g[:, pz:, pz:] / stats.sizes[:, None, None]).sum(axis=0)
    g_mu = -2.0 * np.einsum("s,sij,sj->i", stats.counts, inv, d)
    return g_w, g_b, g_mu


def expected_hessian(stats: ClusterStatistics, pieces, w_inv, dW: np.ndarray, dB: np.ndarray,
                     dmu: np.ndarray) -> np.ndarray:
    """E[d2(-2 log L)] with respect to the parameters, from the Jacobians of Sigma_W (p_y x p_y x q),
    Sigma_B (p_c x p_c x q) and mu (p_c x q): a sum over independent normal pieces."""
    pz = stats.p_z
    out = (stats.n - stats.n_clusters) * information_matrix(w_inv, dW)
    for size, count, inv in zip(stats.sizes, stats.counts, pieces[0]):
        dV = dB.copy()
        dV[pz:, pz:, :] += dW / size
        out += count * (information_matrix(inv, dV) + 2.0 * dmu.T @ inv @ dmu)
    return out


def cluster_scores(stats: ClusterStatistics, m: Moments2L):
    """Per cluster, the derivatives of its log-likelihood with respect to Sigma_W, Sigma_B and mu:
    (G_W: J x p_y x p_y, G_B: J x p_c x p_c, g_mu: J x p_c), each as matrices G with
    d logL_j = tr(G_W dSigma_W) + tr(G_B dSigma_B) + g_mu' dmu. The cluster's rows y_ij give a within
    part (n_j - 1 degrees of freedom, its own scatter about ybar_j) and the cluster vector (z_j, ybar_j)."""
    pz = stats.p_z
    w_inv = np.linalg.inv(m.sigma_w)
    J = stats.n_clusters
    dev = stats.raw - stats.y2[stats.cluster_index, pz:]
    scatter = np.zeros((J, stats.p_y, stats.p_y))
    np.add.at(scatter, stats.cluster_index, dev[:, :, None] * dev[:, None, :])
    size = stats.cluster_size
    g_w = -0.5 * ((size - 1)[:, None, None] * w_inv[None] - w_inv[None] @ scatter @ w_inv[None])
    g_b = np.zeros((J, len(m.mu), len(m.mu)))
    g_mu = np.zeros((J, len(m.mu)))
    for s in stats.sizes:
        rows = np.flatnonzero(size == s)
        v = m.sigma_b.copy()
        v[pz:, pz:] += m.sigma_w / s
        inv = np.linalg.inv(v)
        d = (stats.y2[rows] - m.mu) @ inv
        g = -0.5 * (inv[None] - d[:, :, None] * d[:, None, :])
        g_b[rows] = g
        g_w[rows] += g[:, pz:, pz:] / s
        g_mu[rows] = d
    return g_w, g_b, g_mu


# -- the unrestricted model: lavaan's EM ------------------------------------------------------------

@dataclass
class H1:
    """The unrestricted two-level model (lavaan's h1): implied moments per level and its logl."""

    sigma_w: np.ndarray      # over y
    sigma_b: np.ndarray      # over (z, y), within-only rows and columns zero
    mu_w: np.ndarray         # over y
    mu_b: np.ndarray         # over (z, y), within-only entries zero
    logl: float              # with the constant, less loglik.x when fixed.x covariates exist
    iterations: int
    converged: bool


def em_h1(stats: ClusterStatistics, within_only: np.ndarray, fixed_x: bool = True, tol: float = 1e-4,
          max_iter: int = 5000, min_variance: float = 1e-5) -> H1:
    """lavaan's ``lav_mvnorm_cluster_em_sat``: EM from identity matrices and zero means, stopped when
    the log-likelihood rises by less than ``tol``. As lavaan, the E-step carries a between part for
    within-only variables that the reported moments (and log-likelihood) set to zero.

    ``within_only``: boolean over y, True for level-1 variables that are not in level 2.
    """
    pz, py = stats.p_z, stats.p_y
    both = ~within_only
    N, J = stats.n, stats.n_clusters
    z = stats.y2[:, :pz]
    mu_z = z.mean(axis=0)
    sigma_zz = (z - mu_z).T @ (z - mu_z) / J
    sigma_w = np.eye(py)
    sigma_b = np.diag(both.astype(float))
    sigma_yz = np.zeros((py, pz))
    mu_w = np.zeros(py)
    mu_b = np.zeros(py)

    def reported(sw, sb, syz, mw, mb, szz, mz):
        mu_b_out = np.where(within_only, 0.0, mb)
        sb_out = sb * np.outer(both, both)
        syz_out = syz * both[:, None]
        big = np.zeros((pz + py, pz + py))
        big[:pz, :pz] = szz
        big[pz:, :pz] = syz_out
        big[:pz, pz:] = syz_out.T
        big[pz:, pz:] = sb_out
        return sw, big, mw, np.concatenate([mz, mu_b_out])

    shift = stats.constant() - (stats.loglik_x if fixed_x else 0.0)

    def value(sw, big, mw, mb):
        """(logl, V_n^-1 of every cluster size) at reported moments."""
        m = Moments2L(sigma_w=sw, sigma_b=big, mu=mb + np.concatenate([np.zeros(pz), mw]))
        out = minus2_loglik(stats, m, terms=True)
        if out is None:
            return -np.inf, None
        return -0.5 * out[0] + shift, out[1][0]

    # lavaan starts from Sigma.B = I over the level-2 variables (z included) and zero means
    start_big = np.zeros((pz + py, pz + py))
    start_big[:pz, :pz] = np.eye(pz)
    start_big[pz:, pz:] = sigma_b
    fx_old = value(sigma_w, start_big, mu_w, np.zeros(pz + py))[0]
    # Without within-only variables the reported moments are the EM's own, so the inverses of the
    # log-likelihood's V_n are the next E-step's Omega_n^-1 (half the LAPACK work; 1360 iterations
    # on the seed data)
    reuse = not within_only.any()
    omega_inv = None
    y1y1 = stats.y1y1
    sizes, counts = stats.sizes, stats.counts.astype(float)
    sum_d, outer_d = stats.sum_d, stats.outer_d
    converged = False
    out = None
    for iteration in range(1, max_iter + 1):
        # lavaan's E-step per cluster size, from the sums of the cluster vectors and of their outer
        # products (every cluster of a size shares the conditional covariance and the regression K)
        mu_y = mu_w + mu_b
        sigma_1 = np.hstack([sigma_yz, sigma_b])
        mu = np.concatenate([mu_z, mu_y])
        if omega_inv is None:
            omega = np.empty((len(sizes), pz + py, pz + py))
            omega[:, :pz, :pz] = sigma_zz
            omega[:, :pz, pz:] = sigma_yz.T
            omega[:, pz:, :pz] = sigma_yz
            omega[:, pz:, pz:] = sigma_w[None] / sizes[:, None, None] + sigma_b[None]
            omega_inv = np.linalg.inv(omega)
        K = sigma_1[None] @ omega_inv                                        # (S, p_y, p_c)
        centred_sum = sum_d - counts[:, None] * mu                          # sum of (b_j - mu)
        ev_sum = np.einsum("syc,sc->sy", K, centred_sum) + counts[:, None] * mu_b
        scatter = (outer_d - sum_d[:, :, None] * mu[None, None, :] - mu[None, :, None] * sum_d[:, None, :]
                   + counts[:, None, None] * np.outer(mu, mu)[None])
        kc = ev_sum - counts[:, None] * mu_b                                 # K (sum - n mu)
        evev = (K @ scatter @ K.transpose(0, 2, 1) + kc[:, :, None] * mu_b[None, None, :]
                + mu_b[None, :, None] * kc[:, None, :] + counts[:, None, None] * np.outer(mu_b, mu_b)[None])
        covv = counts[:, None, None] * (sigma_b[None] - K @ sigma_1.T[None])
        covv = (covv + covv.transpose(0, 2, 1)) / 2
        evv = covv + evev
        # sum_j x_j e_j' for x the cluster vectors: (outer - sum mu') K' + sum mu_b'
        cross_all = (outer_d - sum_d[:, :, None] * mu[None, None, :]) @ K.transpose(0, 2, 1) \
            + sum_d[:, :, None] * mu_b[None, None, :]
        cross = cross_all[:, pz:, :]
        mw_sum = (sizes[:, None] * (sum_d[:, pz:] - ev_sum)).sum(axis=0)
        mb_sum = ev_sum.sum(axis=0)
        cw2 = (sizes[:, None, None] * (evv - cross - cross.transpose(0, 2, 1))).sum(axis=0)
        cb = evv.sum(axis=0)
        zy = cross_all[:, :pz, :].sum(axis=0)
        m_ws = mw_sum / N
        m_bs = mb_sum / J
        sigma_w = (y1y1 + cw2) / N - np.outer(m_ws, m_ws)
        sigma_b = cb / J - np.outer(m_bs, m_bs)
        mu_w, mu_b = m_ws, m_bs
        if pz:
            sigma_yz = (zy / J - np.outer(mu_z, m_bs)).T
        sw, big, mw, mb = reported(sigma_w, sigma_b, sigma_yz, mu_w, mu_b, sigma_zz, mu_z)
        sw_checked = sw
        small = np.diag(sw) < min_variance
        if small.any():
            sw_checked = sw.copy()
            sw_checked[small, :] = 0
            sw_checked[:, small] = 0
            sw_checked[small, small] = min_variance
            sigma_w = sw_checked.copy()
        fx, v_inv = value(sw_checked, big, mw, mb)
        omega_inv = v_inv if reuse and v_inv is not None else None
        out = (sw, big, mw, mb, fx)
        if fx - fx_old < tol:
            converged = True
            break
        fx_old = fx
    sw, big, mw, mb, fx = out
    return H1(sigma_w=sw, sigma_b=big, mu_w=mw, mu_b=mb, logl=float(fx), iterations=iteration, converged=converged)


def icc(h1: H1, stats: ClusterStatistics) -> np.ndarray:
    """lavaan's ``lavInspect(fit, "icc")``: per level-1 variable, Sigma_B / (Sigma_W + Sigma_B) of the
    unrestricted model (0 for within-only variables)."""
    b = np.diag(h1.sigma_b)[stats.p_z:]
    return b / (np.diag(h1.sigma_w) + b)
