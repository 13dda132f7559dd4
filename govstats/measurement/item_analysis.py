"""Pilot item analysis (项目分析): critical ratio, corrected item-total r, alpha if deleted, item statistics.

One row per item, as the method section of a questionnaire-development paper reports it:

- **critical ratio** (决断值): respondents are ranked by the total of the item's construct
  (reverse-keyed items reversed); the top 27% (total >= the 73rd percentile) and the bottom 27%
  (total <= the 27th percentile, both R's default quantile, type 7, so tied totals at a cut
  fall in the group) are compared on the item by an independent-samples t test, high minus low.
  ``cr_t, cr_df, cr_p`` are Student's test with pooled variance (SPSS's "equal variances
  assumed" row, the number such papers print as CR); ``welch_t, welch_df, welch_p`` are Welch's
  test (R's ``t.test`` default). Which one the criteria use is the ``cr_test`` parameter of
  :func:`govstats.validation.validate`;
- **corrected item-total correlation** (CITC, psych's ``r.drop``) and **alpha if the item is
  deleted** (psych's ``alpha.drop$raw_alpha``), on the construct's complete rows;
- the answers as given: ``n``, ``share_blank``, ``mean``, ``sd``, ``skew`` and ``kurtosis``
  (psych::describe's defaults, type 3: ``g1 * ((n-1)/n)^(3/2)`` and ``(g2 + 3) * (1 - 1/n)^2 - 3``),
  ``floor`` and ``ceiling`` (share of answers at the scale's lowest and highest point).

Blanks: the item statistics use every answer to the item (as ``describe(na.rm = TRUE)``);
CITC, alpha and the critical ratio use the respondents who answered all of the construct's
items (listwise within the construct), counted in ``n_complete``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from govstats.measurement.alpha import cronbach_alpha, item_stats

GROUP_SHARE = 0.27
COLUMNS = ["construct", "item", "reversed", "n", "share_blank", "mean", "sd", "skew", "kurtosis", "floor",
           "ceiling", "n_complete", "n_low", "n_high", "cr_t", "cr_df", "cr_p", "welch_t", "welch_df", "welch_p",
           "citc", "alpha_if_deleted", "construct_alpha"]


@dataclass(frozen=True)
class ItemData:
    """What the item analysis needs: items per construct, the answers as given, the scale ends."""

    constructs: dict[str, list[str]]
    answers: pd.DataFrame                    # raw codes, blanks NaN
    reversed: tuple[str, ...] = ()
    scale_ends: dict = field(default_factory=dict)   # item -> (lowest code, highest code)
    exclusions: dict = field(default_factory=dict)

    def scored(self) -> pd.DataFrame:
        """The answers with reverse-keyed items reversed within their scale (high + low - code)."""
        x = self.answers.copy()
        for it in self.reversed:
            lo, hi = self.scale_ends[it]
            x[it] = hi + lo - x[it]
        return x


def item_data(model, data: pd.DataFrame, reverse: Sequence[str] = (), function: str = "item_analysis") -> ItemData:
    """The items of ``model`` (Instrument or mapping construct -> items) read from ``data``.

    With an instrument, declared missing codes are blanks and respondents with off-scale codes
    or without consent are left out (counted in ``exclusions``), as every analysis reads them;
    the scale ends are the scale's first and last points. With a mapping, values are taken as
    they are and the ends of a construct's scale are the lowest and highest answer to any of
    its items.
    """
    from govstats.instrument import Instrument

    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"The 'data' parameter of {function} must be a pandas DataFrame. "
                         f"Got {type(data).__name__} instead.")
    rev, ends, exclusions = list(reverse), {}, {}
    if isinstance(model, Instrument):
        from govstats.data.analysis_frame import analysis_frame

        constructs = {c.id: list(c.item_ids) for c in model.constructs if len(c.items) >= 2}
        for it in model.items:
            codes = it.scale.codes
            ends[it.id] = (float(min(codes)), float(max(codes)))
            if it.reverse and it.id not in rev:
                rev.append(it.id)
        cols = [i for its in constructs.values() for i in its]
        frame = analysis_frame(model, data, columns=cols, function=function)
        answers, exclusions = frame.data[cols].astype(float), frame.exclusions
    elif isinstance(model, Mapping):
        constructs = {str(k): list(v) for k, v in model.items()}
        short = [k for k, v in constructs.items() if len(v) < 2]
        if short or not constructs:
            raise ValueError(f"The 'model' parameter of {function} must map each construct to at least two items. "
                             f"Got {short or 'no constructs'} instead.")
        cols = [i for its in constructs.values() for i in its]
        absent = [c for c in cols if c not in data.columns]
        if absent:
            raise ValueError(f"The 'data' parameter of {function} must have a column for every item. "
                             f"Got no column for {absent} instead.")
        answers = data[cols].apply(pd.to_numeric, errors="coerce").astype(float).replace([np.inf, -np.inf], np.nan)
        for its in constructs.values():
            lo, hi = float(np.nanmin(answers[its].to_numpy())), float(np.nanmax(answers[its].to_numpy()))
            ends.update({i: (lo, hi) for i in its})
    else:
        raise ValueError(f"The 'model' parameter of {function} must be one of {{Instrument, mapping construct -> "
                         f"items}}. Got {type(model).__name__} instead.")
    unknown = [r for r in rev if r not in ends]
    if unknown:
        raise ValueError(f"The 'reverse' parameter of {function} must name items of the model. Got {unknown} instead.")
    rev = [r for r in rev if r in answers.columns]
    return ItemData(constructs=constructs, answers=answers.reset_index(drop=True), reversed=tuple(rev),
                    scale_ends=ends, exclusions=exclusions)


def describe_items(x: pd.DataFrame, scale_ends: Mapping[str, tuple[float, float]]) -> pd.DataFrame:
    """n, share blank, mean, sd, skew, kurtosis (psych::describe, type 3), floor and ceiling shares."""
    rows = []
    for it in x.columns:
        v = x[it].dropna().to_numpy(float)
        n = len(v)
        lo, hi = scale_ends[it]
        row = {"item": it, "n": n, "share_blank": 1 - n / len(x) if len(x) else float("nan")}
        if n >= 2:
            d = v - v.mean()
            m2, m3, m4 = (d**2).mean(), (d**3).mean(), (d**4).mean()
            g1 = m3 / m2**1.5 if m2 > 0 else float("nan")
            g2 = m4 / m2**2 - 3 if m2 > 0 else float("nan")
            row.update(mean=v.mean(), sd=v.std(ddof=1), skew=g1 * ((n - 1) / n) ** 1.5,
                       kurtosis=(g2 + 3) * (1 - 1 / n) ** 2 - 3, floor=float(np.mean(v == lo)),
                       ceiling=float(np.mean(v == hi)))
        else:
            row.update(mean=float(v.mean()) if n else float("nan"), sd=float("nan"), skew=float("nan"),
                       kurtosis=float("nan"), floor=float("nan"), ceiling=float("nan"))
        rows.append(row)
    return pd.DataFrame(rows)


def extreme_groups(total: pd.Series, share: float = GROUP_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the low and high groups: total at or below the ``share`` quantile, at or above the
    ``1 - share`` quantile (R's type 7, numpy's linear)."""
    t = total.to_numpy(float)
    lo, hi = np.quantile(t, share), np.quantile(t, 1 - share)
    return t <= lo, t >= hi


def t_tests(high: np.ndarray, low: np.ndarray) -> dict[str, float]:
    """Student's (pooled variance) and Welch's t of high minus low, with df and two-sided p."""
    n1, n2 = len(high), len(low)
    out = dict.fromkeys(("cr_t", "cr_df", "cr_p", "welch_t", "welch_df", "welch_p"), float("nan"))
    if n1 < 2 or n2 < 2:
        return out
    v1, v2 = high.var(ddof=1), low.var(ddof=1)
    diff = high.mean() - low.mean()
    df = n1 + n2 - 2
    pooled = ((n1 - 1) * v1 + (n2 - 1) * v2) / df
    if pooled > 0:
        t = diff / np.sqrt(pooled * (1 / n1 + 1 / n2))
        out.update(cr_t=t, cr_df=float(df), cr_p=2 * stats.t.sf(abs(t), df))
    se2 = v1 / n1 + v2 / n2
    if se2 > 0:
        t = diff / np.sqrt(se2)
        wdf = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
        out.update(welch_t=t, welch_df=wdf, welch_p=2 * stats.t.sf(abs(t), wdf))
    return out


def item_analysis(model, data: pd.DataFrame, reverse: Sequence[str] = (), group_share: float = GROUP_SHARE
                  ) -> pd.DataFrame:
    """The pilot item-analysis table: one row per item (columns in :data:`COLUMNS`).

    Matches psych 2.2.9 (``alpha``: ``r.drop``, ``alpha.drop$raw_alpha``; ``describe``: mean,
    sd, skew, kurtosis) and R's ``t.test`` of the 27% groups (``var.equal = TRUE`` for ``cr_*``,
    the default Welch test for ``welch_*``) within 1e-6 (``tests/reference/item_analysis/``).

    Parameters
    ----------
    model : Instrument or mapping
        An instrument (reverse-keyed items reversed for the construct-based statistics, scale
        ends from its scales) or a mapping construct -> item columns.
    data : DataFrame
        One row per respondent.
    reverse : sequence of str
        Further reverse-keyed items.
    group_share : float
        Share of respondents in each extreme group (default .27, Kelley's).

    Returns
    -------
    DataFrame
        ``construct, item, reversed, n, share_blank, mean, sd, skew, kurtosis, floor, ceiling,
        n_complete, n_low, n_high, cr_t, cr_df, cr_p, welch_t, welch_df, welch_p, citc,
        alpha_if_deleted, construct_alpha``. Descriptives are of the codes as answered;
        the critical ratio, CITC and alpha of the scored items (reverse-keyed reversed).

    Examples
    --------
    >>> from govstats import load_instrument, simulate
    >>> from govstats.measurement.item_analysis import item_analysis
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("grid_governance"))
    >>> table = item_analysis(inst, simulate(inst, 300, seed=1).responses)
    >>> table.shape[0] == len(inst.items)
    True
    >>> bool((table["cr_p"] < 0.001).all()), bool((table["citc"] > 0.3).all())
    (True, True)
    """
    if isinstance(group_share, bool) or not isinstance(group_share, (int, float)) or not 0 < group_share < 0.5:
        raise ValueError(f"The 'group_share' parameter of item_analysis must be one of {{a number in (0, 0.5)}}. "
                         f"Got {group_share!r} instead.")
    d = item_data(model, data, reverse)
    described = describe_items(d.answers, d.scale_ends).set_index("item")
    scored = d.scored()
    rows = []
    for cid, its in d.constructs.items():
        x = scored[its].dropna()
        alpha = cronbach_alpha(x) if len(x) > 2 else float("nan")
        drop = item_stats(x).set_index("item") if len(x) > 2 else None
        low, high = extreme_groups(x.sum(axis=1), group_share) if len(x) else (np.array([]), np.array([]))
        for it in its:
            v = x[it].to_numpy(float)
            row = {"construct": cid, "item": it, "reversed": it in d.reversed, **described.loc[it].to_dict(),
                   "n_complete": len(x), "n_low": int(low.sum()), "n_high": int(high.sum()),
                   **t_tests(v[high], v[low]),
                   "citc": float(drop.loc[it, "r_drop"]) if drop is not None else float("nan"),
                   "alpha_if_deleted": float(drop.loc[it, "alpha_if_deleted"]) if drop is not None else float("nan"),
                   "construct_alpha": alpha}
            rows.append(row)
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["n"] = table["n"].astype(int)
    table.attrs["exclusions"] = d.exclusions
    return table
