"""Cells as numbers, vectorized: what a column holds, without changing it.

A column from a file may hold numbers, numbers written as text (``"4"``, ``" 4.0"``),
label text, or anything else. :func:`as_numbers` returns the numbers and masks for the
blank and the non-numeric cells, working on the distinct values of a text column (a
survey column has few), so a million cells cost about as much as a factorize.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Text that means "no value" in exports (R, SPSS, Stata, Excel). Read as blank; every other
# text is kept and, if it is not a valid answer, reported.
MISSING_MARKERS = frozenset({"", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A", "."})


@dataclass
class Numbers:
    """A column's cells as float64 (NaN where blank or not a number)."""

    values: np.ndarray
    blank: np.ndarray     # bool: no value at all
    text: np.ndarray      # bool: a value that is not a number (its original is in the column)

    @property
    def n_text(self) -> int:
        return int(self.text.sum())


def is_text_dtype(series: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)
                or isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(series.dtype))


def as_numbers(series: pd.Series, dtype: str = "float64") -> Numbers:
    """The numbers in a column, whatever its dtype (``float32`` halves the memory of code columns).

    >>> n = as_numbers(pd.Series(["4", " 2.0", "", "同意", None], dtype=object))
    >>> n.values.tolist()[:2], n.blank.tolist(), n.text.tolist()
    ([4.0, 2.0], [False, False, True, False, True], [False, False, False, True, False])
    """
    if pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype("Float64")
    if pd.api.types.is_numeric_dtype(series.dtype):
        # copy=True: a float64 column would otherwise come back as a view of the caller's data
        values = series.to_numpy(dtype=dtype, na_value=np.nan, copy=True)
        blank = np.isnan(values)
        text = np.isinf(values)  # "inf" parsed by a CSV reader is no answer a survey gives: report it
        values[text] = np.nan
        return Numbers(values, blank, text)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        blank = series.isna().to_numpy()
        return Numbers(np.full(len(series), np.nan), blank, ~blank)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    u_values, u_blank = unique_numbers(uniques)
    u_text = ~u_blank & np.isnan(u_values)
    # index -1 (NA) maps to the appended last slot: blank
    u_values = np.append(u_values, np.nan)
    u_blank = np.append(u_blank, True)
    u_text = np.append(u_text, False)
    return Numbers(u_values.astype(dtype)[codes], u_blank[codes], u_text[codes])


# ASCII digits only: Python's \d also matches full-width and other Unicode digits, which
# pandas cannot parse; read_responses maps those itself and records it.
NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"


def unique_numbers(uniques) -> tuple[np.ndarray, np.ndarray]:
    """(value, blank) for each distinct cell value; NaN value and not blank for text.

    Text is a number only when it is written as one (``" 4"``, ``"4.0"``, ``"1e3"``);
    ``float()`` would also take ``"inf"``, ``"nan"``, ``"1_000"`` and full-width digits, and
    ``"1,5"`` (a decimal comma) is not guessed either: those are text to report.
    """
    u = pd.Series(uniques, dtype=object)
    values = np.full(len(u), np.nan)
    blank = u.isna().to_numpy(dtype=bool, copy=True)
    is_str = u.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    other = ~is_str & ~blank
    for k in np.flatnonzero(other):  # numbers and booleans as Python or numpy scalars: few
        v = u.iloc[k]
        try:
            values[k] = float(v)
        except (TypeError, ValueError):
            values[k] = np.nan  # not a number: stays text for the checks to report
    if is_str.any():
        text = u[is_str].astype(str).str.strip()
        blank[is_str] = text.isin(MISSING_MARKERS).to_numpy()
        numeric = text.str.fullmatch(NUMBER).to_numpy(dtype=bool)
        where = np.flatnonzero(is_str)[numeric]
        parsed = pd.to_numeric(text[numeric]).to_numpy(dtype=float)
        # "1e309" is written as a number but is none (inf): text to report, as "inf" is
        finite = np.isfinite(parsed)
        values[where[finite]] = parsed[finite]
    return values, blank


def blank_mask(series: pd.Series) -> np.ndarray:
    """True where a cell holds no value: missing, empty or one of :data:`MISSING_MARKERS`."""
    if not is_text_dtype(series):
        return series.isna().to_numpy()
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    u_blank = pd.Series(uniques, dtype=object).astype(str).str.strip().isin(MISSING_MARKERS).to_numpy(bool)
    return np.append(u_blank, True)[codes]


def cell_text(series: pd.Series, positions: np.ndarray) -> np.ndarray:
    """The original cells at ``positions`` as display strings (for messages)."""
    values = series.iloc[positions]
    return np.asarray([_show(v) for v in values.tolist()], dtype=object)


def _show(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
