"""What an analysis may use of a set of responses, by the instrument's own definition of an answer.

Every analysis that is given an instrument (``efa``, ``reliability``, ``validity``, ``harman``,
``fit``, ``score``) prepares its data here, so that none of them analyses a code the instrument
says is no answer, and each says how many respondents it left out and why:

- a **declared missing code** (a scale's ``missing:`` codes such as 9 "don't know", or a
  value an SPSS ``.sav`` file declares user-missing) is a blank; the cell's reason is kept in
  :attr:`AnalysisFrame.missing` and counted;
- a respondent with a value **off the scale** in an analysed item (4.5, 3.0000000001, inf,
  99 when 99 is not declared missing, -9, text) is left out: such a code is a keying or
  export error, and which answer was meant cannot be known;
- a respondent who **did not consent** (consent 0, blank or anything but 1: the form asks
  nothing without consent) is left out, as are **empty rows** (no value at all).

Blanks stay blank: whether a row with a blank item is used (listwise, FIML) is the analysis's
choice. Without an instrument (lavaan-style syntax or a mapping), values are taken as they are,
as lavaan takes them, and nothing here is called.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from govstats.data import spec as sp
from govstats.data.cells import as_numbers, blank_mask
from govstats.errors import DataError

# Why a respondent is left out, in the order the reasons are checked (each row counted once).
REASONS = {
    "empty_row": "empty rows",
    "declined_consent": "declined consent",
    "no_consent": "without consent (blank or not 1)",
    "off_scale": "with off-scale codes",
}


@dataclass
class AnalysisFrame:
    """The rows and item columns an analysis may use, and what was left out.

    Attributes
    ----------
    data : DataFrame
        The respondents kept, indexed as the input; the analysed item columns as float64
        (declared missing codes and blanks as NaN), the other columns unchanged.
    exclusions : dict
        ``n_input``, ``n_used``, per reason in :data:`REASONS` the respondents left out for it
        (each counted once, in that order), ``declared_missing`` (cells of kept respondents
        read as blank because their code is declared missing) and ``off_scale_items``
        (item -> respondents with an off-scale value in it).
    missing : dict
        Item -> ``{reason: cells}`` for the declared missing codes read as blank, counted over
        every input row (``exclusions["declared_missing"]`` counts the rows used only), e.g.
        ``{"IC1": {"missing code 9 (Don't know)": 12}}``.
    reasons : ndarray of str
        Per input row, the key in :data:`REASONS` it was left out for, ``""`` if used.
    """

    data: pd.DataFrame
    exclusions: dict
    missing: dict = field(default_factory=dict)
    reasons: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))

    def summary(self) -> str:
        """One line: ``"302 of 400 used: 61 with off-scale codes, 37 declined consent"``."""
        return exclusions_text(self.exclusions)


def exclusions_text(exclusions: dict) -> str:
    """The summary line of an :attr:`AnalysisFrame.exclusions` dict (empty dict: ``""``)."""
    if not exclusions:
        return ""
    parts = [f"{exclusions[k]} {label}" for k, label in REASONS.items() if exclusions.get(k)]
    text = f"{exclusions['n_used']} of {exclusions['n_input']} respondents used"
    text += (": " + ", ".join(parts) + " left out") if parts else ""
    if exclusions.get("declared_missing"):
        text += f"; {exclusions['declared_missing']} answers with a declared missing code read as blank"
    return text


def analysis_frame(instrument, data: pd.DataFrame, columns=None, function: str = "analysis",
                   empty_ok: bool = False) -> AnalysisFrame:
    """The responses an analysis may use: declared missing codes blank, invalid respondents left out.

    Parameters
    ----------
    instrument : Instrument
        Says what an answer to each item is (its scale's codes and missing codes) and which
        column holds consent.
    data : DataFrame
        Responses, as :func:`govstats.read_responses` returns them or any DataFrame with the
        instrument's item columns (numbers, numbers as text). Not modified.
    columns : sequence of str, optional
        The item columns the analysis uses; by default every construct item of the instrument.
        Columns that are not items of the instrument are passed through as they are.
    function : str
        The analysis, named in error messages.
    empty_ok : bool
        Return an empty frame when no respondent is left, instead of raising (``score`` keeps
        a row per input row whatever they hold).

    Returns
    -------
    AnalysisFrame

    Raises
    ------
    ValueError
        If ``data`` is not a DataFrame or has two columns of one name.
    DataError
        If an item column is missing, or no respondent is left (every one declined consent or
        has off-scale codes), saying why.

    Examples
    --------
    >>> import pandas as pd
    >>> from govstats import load_instrument
    >>> from govstats.data.analysis_frame import analysis_frame
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("ri_asset"))
    >>> df = pd.DataFrame({"consent": [1, 1, 0, 1], "IC1": [4, 4.5, 3, None], "IC2": [5, 2, 1, 3]})
    >>> frame = analysis_frame(inst, df, columns=["IC1", "IC2"])
    >>> frame.summary()
    '2 of 4 respondents used: 1 declined consent, 1 with off-scale codes left out'
    >>> frame.data["IC1"].tolist(), frame.reasons.tolist()
    ([4.0, nan], ['', 'off_scale', 'declined_consent', ''])
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"The 'data' parameter of {function} must be a pandas DataFrame. "
                         f"Got {type(data).__name__} instead.")
    duplicated = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
    if duplicated:
        where = ", ".join(f"'{c}' (columns {', '.join(str(k + 1) for k in np.flatnonzero(data.columns == c))})"
                          for c in duplicated)
        raise ValueError(f"The 'data' parameter of {function} has more than one column named {where}; "
                         f"rename or drop the extra column(s) so that each item has one column.")
    items = {i.id: i for i in instrument.items}
    columns = list(items) if columns is None else [str(c) for c in columns]
    absent = [c for c in columns if c not in data.columns]
    if absent:  # a data problem (wrong file, renamed columns), not a wrong argument: DataError
        raise DataError(f"{function}: the data have no column for {len(absent)} item(s) of instrument "
                        f"'{instrument.id}': {absent[:12]}{' ...' if len(absent) > 12 else ''} (the data's columns "
                        f"start {list(data.columns)[:8]}). Is it the right file? govstats check lists what matches.")
    n = len(data)
    declared = _user_missing(data)
    reason = {k: np.zeros(n, dtype=bool) for k in REASONS}

    empty = np.ones(n, dtype=bool)
    # numeric columns first, and only the rows still blank: one column usually settles every row
    order = sorted(range(data.shape[1]), key=lambda k: not pd.api.types.is_numeric_dtype(data.dtypes.iloc[k]))
    for k in order:
        rows = np.flatnonzero(empty)
        if not len(rows):
            break
        empty[rows] = blank_mask(data.iloc[rows, k])
    reason["empty_row"] = empty
    consent = instrument.consent.id
    if consent in data.columns:
        c = as_numbers(data[consent]).values
        # "是"/"Yes" in a frame not read by read_responses is consent given, as check reads it
        said = {sp.normalize_label(t): code for code, texts in sp.CONSENT_LABELS.items() for t in texts}
        text = np.isnan(c) & ~blank_mask(data[consent])
        if text.any():
            c[text] = [said.get(sp.normalize_label(str(v)), np.nan) for v in data[consent].to_numpy()[text]]
        reason["declined_consent"] = ~empty & (c == sp.CONSENT_NO)
        reason["no_consent"] = ~empty & (c != sp.CONSENT_NO) & (c != sp.CONSENT_YES)

    out = data.copy()
    missing, off_items, declared_cells = {}, {}, np.zeros(n, dtype=np.int64)
    for name in columns:
        item = items.get(name)
        if item is None:
            continue  # not an item of the instrument (e.g. a covariate): taken as it is
        num = as_numbers(data[name])
        x = num.values
        codes = np.asarray(item.scale.codes, dtype=float)
        labels = {float(p.code): f"missing code {p.code} ({p.label.en})" for p in item.scale.missing}
        for lo, hi in declared.get(name, ()):
            for v in np.unique(x[(x >= lo) & (x <= hi)]):
                labels.setdefault(float(v), f"declared user-missing in the .sav file ({_number(v)})")
        is_missing = np.zeros(n, dtype=bool)
        counts = {}
        for code, text in labels.items():
            hit = x == code
            if hit.any():
                is_missing |= hit
                counts[text] = counts.get(text, 0) + int(hit.sum())
        on_scale = np.isin(x, codes)
        off = ~num.blank & ~on_scale & ~is_missing  # text and inf are flagged by as_numbers as not blank
        if off.any():
            off_items[name] = int(off.sum())
        reason["off_scale"] |= off
        declared_cells += is_missing
        if counts:
            missing[name] = counts
        out[name] = np.where(on_scale, x, np.nan)

    left_out = np.zeros(n, dtype=bool)
    why = np.full(n, "", dtype=object)
    counts = {}
    for key in REASONS:
        mine = reason[key] & ~left_out
        counts[key] = int(mine.sum())
        why[mine] = key
        left_out |= mine
    out = out.loc[~left_out]
    exclusions = {"n_input": n, "n_used": int((~left_out).sum()), **counts,
                  "declared_missing": int(declared_cells[~left_out].sum()), "off_scale_items": off_items}
    if n and not exclusions["n_used"] and not empty_ok:
        # say why here: the analysis would only say it has no rows
        raise DataError(f"{function}: no respondent is left to analyse: {exclusions_text(exclusions)}. "
                        f"Check the consent column ('{consent}') and the codes (govstats check lists every one).")
    return AnalysisFrame(out, exclusions, missing, why)


def _user_missing(data: pd.DataFrame) -> dict[str, list[tuple[float, float]]]:
    """Ranges an SPSS file declared user-missing, per column, as :func:`read_responses` recorded them."""
    read = data.attrs.get("govstats_read", {}) or {}
    out = {}
    for name, ranges in (read.get("user_missing") or {}).items():
        out[name] = [(float(r["lo"]), float(r["hi"])) for r in ranges
                     if isinstance(r.get("lo"), (int, float)) and isinstance(r.get("hi"), (int, float))]
    return out


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(float(v))
