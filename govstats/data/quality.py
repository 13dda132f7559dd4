"""Careless-responding indices, one vectorized function each, and the thresholds that flag them.

Every function takes the item answers as a float matrix ``X`` (respondents x items, in
form order, NaN for no answer) and returns one value per respondent. The thresholds in
:data:`THRESHOLDS` were calibrated on :func:`govstats.simulate` data of the five seed
instruments (20,000 respondents each, 10% careless, 5% speeders): each flags at most 0.5%
of careful respondents there while catching the careless kind it is meant for (see
``tests/data/test_quality.py`` for the rates the tests hold them to).

- **long-string** (Johnson 2005; R ``careless::longstring``): the longest run of identical
  consecutive answers, blanks skipped. Flagged when the run covers at least
  ``longstring_share`` (0.5) of the items, or when at least ``straight_block_share`` (0.75)
  of the Likert blocks (a construct's items, two or more answered; three blocks or more) are
  straight-lined. Careful respondents' longest run reached 19 of 41 items at most; a
  straight-liner's is all. On short instruments the run must also cover more than two
  blocks (:func:`limits`).
- **low IRV** (intra-individual response variability, Dunn et al. 2018; ``careless::irv``):
  the standard deviation of a respondent's answers (``ddof=1``). Flagged below
  ``irv_share`` (0.125) of the scale's range, i.e. 0.5 on a 5-point scale: answers that
  hardly vary, even when not one long run (careful respondents' 1st percentile was 0.64).
  Scaled down under 25 items (:func:`limits`).

The limits scale with the instrument so that careful respondents are flagged at about the
same rate on short and long instruments: on 20,000 simulated careful respondents (seed 11)
0.7% of a 9-item instrument in three blocks (5.8% with unscaled limits) and 0.5% of the
seed instruments, most of them the 0.4% whose natural duration is under 0.4 x the median.
- **Mahalanobis distance** (``careless::mahad``): D² of the answers from the sample mean
  under the sample covariance, with a chi-square p-value on as many degrees of freedom as
  items answered. Flagged when ``p < mahalanobis_alpha`` (0.001). The mean and covariance
  are estimated twice, the second time without the respondents flagged the first time
  and the long-string ones, so that careless respondents do not hide each other (random
  responders: 93-99% caught; careful: 0.2% flagged). Blank answers take the item mean (an
  approximation that only shrinks D²).
- **attention check**: an answer other than the instructed one (a blank is reported as a
  missing required answer, not as a failure).
- **speeder**: completed in less than ``speed_ratio`` (0.4) times the median duration of
  the file (end time minus start time). Careful durations spread log-normally (sd of the
  log about 0.35: 0.4 is 2.6 sd below the median), simulated speeders take 15-35% of it.
- **too much missing**: more than ``max_missing_share`` (1/3) of the items unanswered, the
  complement of the two-thirds rule of :func:`govstats.score`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from govstats._threads import single_threaded

THRESHOLDS = {
    "longstring_share": 0.5,
    "straight_block_share": 0.75,
    "irv_share": 0.125,
    "mahalanobis_alpha": 0.001,
    "speed_ratio": 0.4,
    "max_missing_share": 1 / 3,
}


# The seed instruments the thresholds were calibrated on have 26-41 items in blocks of 4-5;
# below REFERENCE_ITEMS items the limits are scaled (see limits()).
REFERENCE_ITEMS = 25
MIN_RUN = 5             # a long string is never shorter than this
MIN_STRAIGHT_BLOCKS = 3  # straight-lined blocks count only on instruments with at least this many


@dataclass(frozen=True)
class Limits:
    """The thresholds as they apply to one instrument (items, blocks, scale ranges)."""

    run: int            # longest run of identical answers flagged from this length
    straight_blocks: int  # usable blocks needed before the straight-block share applies
    irv: float          # IRV flagged below this


def limits(th: dict, n_items: int, block_sizes: list[int], ranges: list[float]) -> Limits:
    """The flags' limits for an instrument: the shares of :data:`THRESHOLDS`, scaled so that a
    short instrument does not flag honest respondents more often than a long one.

    - **run**: ``longstring_share`` of the items, but never fewer than ``MIN_RUN`` and, when
      the instrument has few items, more than two whole blocks (``2 x largest block + 2``, at
      most all items): careful respondents often answer every item of a block alike, and two
      such blocks in a row are common on short scales (on a 9-item instrument in blocks of 3,
      5% of simulated careful respondents had a run of 5; 0.1% a run of 8).
    - **straight_blocks**: the share ``straight_block_share`` of straight-lined blocks applies
      only with ``MIN_STRAIGHT_BLOCKS`` usable blocks or more (two blocks of three alike: 3%).
    - **irv**: ``irv_share`` of the mean scale range, times ``sqrt((k - 1) / 24)`` below 25
      items: the standard deviation of fewer answers varies more, so careful respondents'
      lower tail reaches lower (9 items: 1% at or below 0.5 on a 5-point scale).

    >>> limits(THRESHOLDS, 41, [4] * 9 + [5], [4] * 41)
    Limits(run=21, straight_blocks=3, irv=0.5)
    >>> limits(THRESHOLDS, 9, [3, 3, 3], [4] * 9)
    Limits(run=8, straight_blocks=3, irv=0.289)
    """
    k = max(n_items, 1)
    run = max(int(np.ceil(th["longstring_share"] * k)), MIN_RUN)
    if block_sizes:
        run = max(run, min(k, 2 * max(block_sizes) + 2))
    scale = min(1.0, float(np.sqrt(max(k - 1, 0) / (REFERENCE_ITEMS - 1))))
    irv = th["irv_share"] * (float(np.mean(ranges)) if ranges else 0.0) * scale
    return Limits(run=run, straight_blocks=MIN_STRAIGHT_BLOCKS, irv=round(irv, 3))


def check_thresholds(thresholds: dict | None, caller: str = "check_responses") -> dict:
    """The defaults updated with ``thresholds``; each must be a number in (0, 1]."""
    out = dict(THRESHOLDS)
    if thresholds is None:
        return out
    if not isinstance(thresholds, dict):
        raise ValueError(f"The 'thresholds' parameter of {caller} must be a dict with keys from "
                         f"{set(THRESHOLDS)}. Got {thresholds!r} instead.")
    for key, value in thresholds.items():
        if key not in THRESHOLDS:
            raise ValueError(f"The 'thresholds' parameter of {caller} must have keys from {set(THRESHOLDS)}. "
                             f"Got {key!r} instead.")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
            raise ValueError(f"The 'thresholds' parameter of {caller}: {key!r} must be a number in (0, 1]. "
                             f"Got {value!r} instead.")
        out[key] = float(value)
    return out


def longstring(X: np.ndarray, return_start: bool = False):
    """Longest run of identical consecutive answers, blanks skipped (0 if none answered).

    With ``return_start=True`` also the column where each row's (first) longest run starts.

    >>> longstring(np.array([[3, 3, np.nan, 3, 1], [1, 2, 3, 4, 5], [np.nan] * 5])).tolist()
    [3, 1, 0]
    >>> longstring(np.array([[1, 2, 2, 2, 1]]), return_start=True)[1].tolist()
    [1]
    """
    n = len(X)
    best = np.zeros(n, dtype=np.int32)
    run = np.zeros(n, dtype=np.int32)
    start = np.zeros(n, dtype=np.int32)
    best_start = np.zeros(n, dtype=np.int32)
    last = np.full(n, np.nan, dtype=X.dtype if X.dtype.kind == "f" else float)
    for j in range(X.shape[1]):
        x = X[:, j]
        answered = x == x            # not NaN
        same = x == last             # False where either is NaN
        # A blank neither extends nor breaks a run: keep the run where the answer is the
        # same or missing, start a new one (at 1) where it differs. Arithmetic on masks
        # instead of np.where: this loop is the largest part of the check's time.
        keep = same | ~answered
        run *= keep
        run += answered
        start[~keep] = j
        longer = run > best
        best_start[longer] = start[longer]
        np.maximum(best, run, out=best)
        last[answered] = x[answered]
    return (best, best_start) if return_start else best


def straight_blocks(X: np.ndarray, blocks: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per respondent: blocks straight-lined (two or more answers, all equal) and blocks with two or more answers.

    >>> X = np.array([[4, 4, 4, 2, 2], [4, 5, 4, 2, np.nan]])
    >>> straight, usable = straight_blocks(X, [np.array([0, 1, 2]), np.array([3, 4])])
    >>> straight.tolist(), usable.tolist()
    ([2, 0], [2, 1])
    """
    straight = np.zeros(len(X), dtype=np.int32)
    usable = np.zeros(len(X), dtype=np.int32)
    for cols in blocks:
        B = X[:, cols]
        ok = (B == B).sum(axis=1) >= 2
        usable += ok
        # fmax/fmin skip NaN: the largest and smallest answer given
        straight += ok & (np.fmax.reduce(B, axis=1) == np.fmin.reduce(B, axis=1))
    return straight, usable


def irv(X: np.ndarray) -> np.ndarray:
    """Intra-individual response variability: each row's standard deviation (``ddof=1``), NaN under two answers.

    >>> irv(np.array([[1, 2, 3, 4, 5], [4, 4, 4, np.nan, 4], [2, np.nan, np.nan, np.nan, np.nan]])).round(3)
    array([1.581, 0.   ,   nan])
    """
    n = len(X)
    k, total, squares = np.zeros(n), np.zeros(n), np.zeros(n)
    for j in range(X.shape[1]):  # column by column: no (n, items) temporaries
        x = X[:, j].astype(np.float64)
        answered = x == x
        k += answered
        x[~answered] = 0.0
        total += x
        squares += x * x
    with np.errstate(invalid="ignore", divide="ignore"):
        # codes are small integers: the one-pass formula loses nothing here
        out = np.sqrt(np.maximum(squares - total * total / k, 0.0) / (k - 1))
    out[k < 2] = np.nan
    return out


def mahalanobis(X: np.ndarray, use: np.ndarray | None = None, alpha: float = THRESHOLDS["mahalanobis_alpha"],
                exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Squared Mahalanobis distance of each row, its degrees of freedom and chi-square p-value.

    Parameters
    ----------
    X : ndarray
        Respondents x items, NaN for no answer (replaced by the item mean).
    use : bool ndarray, optional
        Rows to compute for (others get NaN); all rows with an answer by default.
    alpha : float
        Rows with ``p < alpha`` in the first pass, and rows in ``exclude``, do not enter the
        mean and covariance of the second pass.
    exclude : bool ndarray, optional
        Rows known to be careless (e.g. straight-liners) kept out of the estimates.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.multivariate_normal([0, 0, 0], [[1, .8, .8], [.8, 1, .8], [.8, .8, 1]], 500)
    >>> X[0] = [2, -2, 2]  # against the correlations
    >>> d2, df, p = mahalanobis(X)
    >>> bool(p[0] < 0.001), int(df[0]), bool(np.median(p) > 0.3)
    (True, 3, True)
    """
    n, k = X.shape
    count = np.zeros(n, dtype=np.int64)
    for a, b in _chunks(n):
        count[a:b] = (X[a:b] == X[a:b]).sum(axis=1)
    use = (count > 0) if use is None else (use & (count > 0))
    d2 = np.full(n, np.nan)
    p = np.full(n, np.nan)
    if use.sum() <= k + 1:  # too few respondents for a covariance matrix
        return d2, count.astype(float), p
    fit = use.copy()
    if exclude is not None:
        fit &= ~exclude
    for _ in range(2):
        with single_threaded():
            mean, inv = _moments(X, fit)
            d2 = _distances(X, mean, inv, use)
        p = np.where(use, special.chdtrc(np.maximum(count, 1), d2), np.nan)
        fit = use & (p >= alpha)
        if exclude is not None:
            fit &= ~exclude
        if fit.sum() <= k + 1:
            break
    return d2, count.astype(float), p


CHUNK = 100_000  # rows at a time: temporaries stay a few MB whatever the number of respondents


def _chunks(n: int, size: int = CHUNK):
    for a in range(0, n, size):
        yield a, min(a + size, n)


def _centered(X, a, b, mean, rows):
    """Rows a:b of X minus the mean, blanks at the mean (0), rows not in ``rows`` all 0."""
    D = np.array(X[a:b], dtype=np.float64, order="C")
    D -= mean
    D[np.isnan(D)] = 0.0
    D[~rows[a:b]] = 0.0
    return D


def _moments(X, rows):
    n, k = X.shape
    total, count = np.zeros(k), np.zeros(k)
    for a, b in _chunks(n):
        Xr = X[a:b]
        seen = (Xr == Xr) & rows[a:b, None]
        total += np.where(seen, Xr, 0).sum(axis=0, dtype=np.float64)
        count += seen.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nan_to_num(total / count)
    cross = np.zeros((k, k))
    for a, b in _chunks(n):
        D = _centered(X, a, b, mean, rows)
        cross += D.T @ D
    cov = cross / max(int(rows.sum()) - 1, 1)
    # A constant item (no variance) would make the matrix singular: pinv ignores it.
    return mean, np.linalg.pinv(cov, hermitian=True)


def _distances(X, mean, inv, use):
    out = np.full(len(X), np.nan)
    for a, b in _chunks(len(X)):
        D = _centered(X, a, b, mean, use)
        d2 = np.einsum("ij,ij->i", D @ inv, D)
        out[a:b] = np.where(use[a:b], d2, np.nan)
    return out
