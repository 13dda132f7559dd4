"""Checks of the data an estimator is about to use, each failing with a located :class:`DataError`.

They catch what would otherwise surface deep inside the numerics as an overflow, a singular
matrix or a division by zero: infinite values, a single cluster, fewer respondents than ordered
items.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govstats.errors import DataError


def check_finite(x: np.ndarray, columns: list[str], index: pd.Index) -> np.ndarray:
    """``x`` unchanged when it holds no infinite value; else a DataError naming the cells.

    Examples
    --------
    >>> check_finite(np.array([[1.0, np.inf]]), ["a", "b"], pd.RangeIndex(1))
    Traceback (most recent call last):
    ...
    govstats.errors.DataError: Column 'b' has an infinite value (inf) in row 0 (the row's index in the data; \
line 2 of a CSV file with a header line). Infinite values are not answers: blank them or recode them before \
fitting.
    """
    bad = np.isinf(x)
    if not bad.any():
        return x
    rows, cols = np.nonzero(bad)
    cells = [(columns[c], index[r], x[r, c]) for r, c in zip(rows, cols)]
    first_col, first_row, value = cells[0]
    where = f"in row {first_row}"
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        where += f" (the row's index in the data; line {first_row + 2} of a CSV file with a header line)"
    more = "" if len(cells) == 1 else f"; {len(cells)} infinite cells in all, also " + ", ".join(
        f"{c!r} row {r}" for c, r, _ in cells[1:6]) + (" ..." if len(cells) > 6 else "")
    raise DataError(f"Column {first_col!r} has an infinite value ({value}) {where}{more}. Infinite values are "
                    "not answers: blank them or recode them before fitting.")


def check_clusters(labels: np.ndarray, cluster: str, where: str = "") -> None:
    """Cluster-robust standard errors need at least two clusters."""
    n = len(pd.unique(labels))
    if n < 2:
        raise DataError(f"The cluster column {cluster!r} has {n} cluster{'' if n == 1 else 's'}{where} among the "
                        "rows used; cluster-robust standard errors and tests need at least two (and many more "
                        "to be trustworthy). Check the column, or leave out 'cluster'.")


def check_ordinal_rows(n: int, items: list[str], where: str = "") -> None:
    """WLSMV/ULSMV need more respondents than ordered items: with fewer, the asymptotic covariance
    of the polychorics (Gamma) is singular and the robust test has no meaning."""
    if n <= len(items):
        raise DataError(f"Only {n} respondents{where} for {len(items)} ordered items; WLSMV and ULSMV need more "
                        "respondents than items (with fewer, the sampling covariance of the polychoric "
                        "correlations is singular). Collect more responses or fit fewer items.")


def check_latent_names(formulas, latent: tuple[str, ...], columns) -> None:
    """A latent variable may not have the name of a data column: lavaan refuses the model ("some
    latent variable names collide with observed variable names"), as fitting it would ignore the
    column without a word."""
    from govstats.sem.syntax import ModelSyntaxError

    present = set(map(str, columns))
    clash = [name for name in latent if name in present]
    if clash:
        lines = {f.lhs: f.line for f in reversed(formulas) if f.op in ("=~", "<~")}
        where = ", ".join(f"'{name}' (line {lines.get(name, '?')})" for name in clash)
        raise ModelSyntaxError(f"latent variable name(s) {where} are also columns of the data; lavaan refuses such "
                               "a model (latent variable names collide with observed variable names). Rename the "
                               f"latent variable (e.g. '{clash[0]}_f') or the column.")
