"""Scale scores: reverse coding from the instrument, a minimum-answered rule, nothing lost."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd

from govstats.data.analysis_frame import REASONS, analysis_frame
from govstats.data.cells import as_numbers
from govstats.data.check import check_responses, row_numbers


def score(instrument, df: pd.DataFrame, *, min_answered: float = 2 / 3, exclude_flagged: bool = False,
          report=None, thresholds: dict | None = None) -> pd.DataFrame:
    """Construct scores per respondent: mean, sum and standardized, with reverse-coded items reversed.

    Parameters
    ----------
    instrument : Instrument
    df : DataFrame
        Responses (as :func:`read_responses` returns them); not modified.
    min_answered : float, default 2/3
        Share of a construct's items a respondent must have answered for a score: with
        ``k`` items, at least ``ceil(min_answered * k)`` (3 of 4, 2 of 3, 4 of 5 at 2/3).
        Otherwise the construct's scores are missing (NaN).
    exclude_flagged : bool, default False
        Leave out the respondents :func:`check_responses` flags (careless, no consent, empty
        rows). By default they are kept and marked in ``flagged`` and ``flag_reasons``.
    report : CheckReport, optional
        The check of ``df`` if already made (it is made otherwise).
    thresholds : dict, optional
        Careless-responding thresholds for that check (see :func:`check_responses`).

    Returns
    -------
    DataFrame
        Indexed like ``df`` (one row per input row unless excluded), with ``row`` (in the
        file, header = row 1), ``respondent_id``, and per construct ``C``: ``C_mean`` (mean
        of the answered items, reverse-coded items as ``min + max - code``), ``C_sum`` (the
        mean times the construct's number of items: the plain sum when all are answered),
        ``C_z`` (the mean standardized over the rows returned, ``ddof=1``) and ``C_n``
        (items answered); then ``flagged`` and ``flag_reasons``. ``attrs["score"]`` says how
        many rows came in, how many were excluded and why, as ``attrs["score"]["summary"]``
        in words. Codes that are not on an item's scale (blanks, "don't know", out of range)
        count as unanswered.

    Examples
    --------
    >>> from govstats import load_instrument, simulate, score
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("ri_asset"))
    >>> df = simulate(inst, 200, seed=1, careless=0.05).responses
    >>> s = score(inst, df)
    >>> len(s) == len(df), list(s.columns[:6])
    (True, ['row', 'respondent_id', 'IC_mean', 'IC_sum', 'IC_z', 'IC_n'])
    >>> print(s.attrs["score"]["summary"])
    scored 200 respondents on 10 constructs (at least 2/3 of a construct's items answered); 14 flagged and kept (marked in 'flagged'): attention-check 13, long-string 7, low-irv 7, mahalanobis 4, speeder 1
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"The 'df' parameter of score must be a pandas DataFrame. Got {type(df).__name__} instead.")
    if isinstance(min_answered, bool) or not isinstance(min_answered, (int, float)) or not 0 < min_answered <= 1:
        raise ValueError(f"The 'min_answered' parameter of score must be a share in (0, 1]. "
                         f"Got {min_answered!r} instead.")
    if not isinstance(exclude_flagged, bool):
        raise ValueError(f"The 'exclude_flagged' parameter of score must be True or False. "
                         f"Got {exclude_flagged!r} instead.")
    if report is None:
        report = check_responses(instrument, df, thresholds=thresholds)
    flags = report.flags
    if len(flags) != len(df):
        raise ValueError(f"The 'report' parameter of score must be the check of this DataFrame: it has {len(flags)} "
                         f"rows, the DataFrame {len(df)}.")
    # What the instrument calls no answer is not scored: rows without consent (and empty rows)
    # get no scores; off-scale and declared missing codes count as unanswered (below).
    unique = df.loc[:, ~df.columns.duplicated()]  # duplicate names: the check reports them, the first is used
    frame = analysis_frame(instrument, unique, [i.id for i in instrument.items if i.id in unique.columns], "score",
                           empty_ok=True)
    exclusions = frame.exclusions
    consent_out = np.isin(frame.reasons, ["empty_row", "declined_consent", "no_consent"])
    off_scale = frame.reasons == "off_scale"  # scored on their valid answers, counted in the summary
    rows, _ = row_numbers(df)
    columns = {"row": rows}
    rid = instrument.metadata.respondent_id
    columns["respondent_id"] = df[rid].array if rid in df.columns else pd.array([pd.NA] * len(df), dtype="Int64")
    n_constructs = 0
    for c in instrument.constructs:
        total = np.zeros(len(df))
        count = np.zeros(len(df), dtype=np.int64)
        for item in c.items:
            if item.id not in df.columns:
                continue
            column = df[item.id]
            if isinstance(column, pd.DataFrame):  # duplicate column names: the check reports them, use the first
                column = column.iloc[:, 0]
            x = as_numbers(column).values
            codes = item.scale.codes
            x = np.where(np.isin(x, codes), x, np.nan)
            if item.reverse:
                x = min(codes) + max(codes) - x
            ok = ~np.isnan(x)
            total += np.where(ok, x, 0.0)
            count += ok
        k = len(c.items)
        need = math.ceil(min_answered * k - 1e-9)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where((count >= need) & ~consent_out, total / count, np.nan)
        count = np.where(consent_out, 0, count)
        columns[f"{c.id}_mean"] = mean
        columns[f"{c.id}_sum"] = mean * k
        columns[f"{c.id}_z"] = mean  # standardized below, over the rows returned
        columns[f"{c.id}_n"] = count
        n_constructs += 1
    columns["flagged"] = flags["flagged"].to_numpy()
    columns["flag_reasons"] = flags["reasons"].array
    out = pd.DataFrame(columns, index=df.index)
    reasons = Counter(r for text in flags.loc[flags["flagged"], "reasons"] for r in str(text).split("; ") if r)
    n_flagged = int(flags["flagged"].sum())
    if exclude_flagged:
        out = out[~out["flagged"].to_numpy()]
    for c in instrument.constructs:
        m = out[f"{c.id}_z"]
        sd = m.std(ddof=1)
        out[f"{c.id}_z"] = (m - m.mean()) / sd if sd and sd > 0 else np.nan
    share = _fraction(min_answered)
    why = ", ".join(f"{r} {k}" for r, k in reasons.most_common())
    if exclude_flagged:
        text = (f"scored {len(out)} of {len(df)} respondents on {n_constructs} constructs (at least {share} of a "
                f"construct's items answered); {n_flagged} flagged and excluded" + (f": {why}" if why else ""))
    else:
        text = (f"scored {len(out)} respondents on {n_constructs} constructs (at least {share} of a construct's "
                f"items answered); {n_flagged} flagged and kept (marked in 'flagged')" + (f": {why}" if why else ""))
    not_scored = exclusions["empty_row"] + exclusions["declined_consent"] + exclusions["no_consent"]
    if not_scored:
        text += (f"; {not_scored} not scored (" + ", ".join(
            f"{exclusions[k]} {REASONS[k]}" for k in ("empty_row", "declined_consent", "no_consent") if exclusions[k])
            + ")")
    if off_scale.any():
        text += f"; {int(off_scale.sum())} with off-scale codes (those answers count as unanswered)"
    out.attrs = {"score": {"instrument": f"{instrument.id} {instrument.version}", "min_answered": min_answered,
                           "n_input": len(df), "n_output": len(out), "n_flagged": n_flagged,
                           "excluded": n_flagged if exclude_flagged else 0, "flag_reasons": dict(reasons),
                           "not_scored": not_scored, "off_scale": int(off_scale.sum()), "exclusions": exclusions,
                           "summary": text}}
    return out


def _fraction(x: float) -> str:
    for den in (2, 3, 4, 5, 10):
        num = round(x * den)
        if abs(num / den - x) < 1e-9:
            return f"{num}/{den}" if num != den else "all"
    return f"{x:g}"



SCORE_DECIMALS = 6  # scores are written rounded to 6 decimals: far below any scale's resolution


def write_scores(scores: pd.DataFrame, path) -> None:
    """Write scores as CSV (UTF-8), numbers rounded to :data:`SCORE_DECIMALS` decimals.

    A mean of 3 items is 3.666667, not 3.6666666666666665: the float's last digits are noise
    that only makes the file longer and harder to read.

    Examples
    --------
    >>> import io
    >>> buf = io.StringIO()
    >>> write_scores(pd.DataFrame({"id": ["001"], "IC_mean": [11 / 3], "IC_sum": [11.0]}), buf)
    >>> buf.getvalue()
    'id,IC_mean,IC_sum\\n001,3.666667,11.0\\n'
    """
    scores.round(SCORE_DECIMALS).to_csv(path, index=False, lineterminator="\n")
