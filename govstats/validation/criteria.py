"""The conventional item-analysis criteria, and the action each item's results suggest.

Five statistical criteria, as questionnaire-development papers (问卷编制) apply them:

1. ``cr``: the critical ratio is significant (p < ``alpha_level``) and positive (the high group
   scores higher);
2. ``citc``: the corrected item-total correlation is at least ``citc_min`` (.30, or .40 for a
   stricter reading);
3. ``alpha_drop``: the construct's alpha does not rise when the item is deleted;
4. ``loading``: the item's EFA loading on its construct's factor is at least ``loading_min`` (.50);
5. ``cross``: no loading of at least ``cross_max`` (.40) on another factor;

and, when a main sample is given, 6. ``cfa_loading``: its standardized CFA loading is at least
``loading_min``. Two criteria concern the answers rather than the statistics: ``extreme``, the
share at the scale's lowest or highest point is at most ``extreme_max``, and ``blank``, the
share left blank is at most ``blank_max``.

Actions (never applied: the instrument changes only when its authors edit it):

- **review wording** when a reverse-keyed item, scored reversed, correlates negatively with its
  construct (respondents read it in the construct's direction: the negation was missed), when an
  item not keyed reverse correlates negatively (worded against the construct: a missing
  ``reverse: true``, or a wording to fix), or when the answers pile up at one end of the scale or
  are often left blank;
- **drop** when at least ``drop_unmet`` (3) statistical criteria are unmet, the count of unmet
  indicators (未达标准指标数) that item-analysis summary tables report, or when the critical
  ratio is not significant (the item does not tell high from low scorers);
- **keep** otherwise; a kept item's unmet criteria are named in its reason.

Why a count and not any single miss: at N = 300 a sound item misses one criterion by sampling
alone (in simulated pilots of ``grid_governance``, items with population loading .58 had EFA
loadings from .33 to .58 and alpha rising on deletion), so one miss is reported, not acted on.

``extreme_max`` is .40, not the 15% Terwee et al. (2007) give for scale scores: single Likert
items of a community survey routinely put 15-25% of answers at "strongly agree" (the seed
scale ``agree5`` puts 18% there).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

STATISTICAL = ("cr", "citc", "alpha_drop", "loading", "cross", "cfa_loading")
ACTIONS = ("keep", "review wording", "drop")
CR_TESTS = ("student", "welch")


@dataclass(frozen=True)
class Criteria:
    """Thresholds of the item-analysis criteria (see the module docstring)."""

    citc_min: float = 0.30
    loading_min: float = 0.50
    cross_max: float = 0.40
    alpha_level: float = 0.05
    extreme_max: float = 0.40
    blank_max: float = 0.10
    drop_unmet: int = 3
    cr_test: str = "student"

    def __post_init__(self):
        for name in ("citc_min", "loading_min", "cross_max", "alpha_level", "extreme_max", "blank_max"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < 1:
                raise ValueError(f"The '{name}' parameter of Criteria must be one of {{a number in (0, 1)}}. "
                                 f"Got {v!r} instead.")
        if isinstance(self.drop_unmet, bool) or not isinstance(self.drop_unmet, int) or not 1 <= self.drop_unmet <= 6:
            raise ValueError(f"The 'drop_unmet' parameter of Criteria must be one of {{1, ..., 6}}. "
                             f"Got {self.drop_unmet!r} instead.")
        if self.cr_test not in CR_TESTS:
            raise ValueError(f"The 'cr_test' parameter of Criteria must be one of {set(CR_TESTS)}. "
                             f"Got {self.cr_test!r} instead.")

    def to_dict(self) -> dict:
        return asdict(self)


def _num(v: float, digits: int = 2) -> str:
    return f"{v:.{digits}f}".replace("0.", ".", 1) if abs(v) < 1 else f"{v:.{digits}f}"


def judge(table: pd.DataFrame, criteria: Criteria = Criteria()) -> pd.DataFrame:
    """Each criterion met or not, the unmet count, and the suggested action with its reason.

    ``table`` is the item-analysis table with ``efa_loading`` and ``efa_cross`` (and, with a
    main sample, ``cfa_loading``) added. Returns one row per item: ``ok_<criterion>`` (True,
    False, or NaN where not computed), ``unmet`` (count of the statistical ones), ``action``,
    ``reason``.
    """
    c = criteria
    t_col, p_col = ("cr_t", "cr_p") if c.cr_test == "student" else ("welch_t", "welch_p")
    ok = pd.DataFrame(index=table.index)
    ok["cr"] = (table[p_col] < c.alpha_level) & (table[t_col] > 0)
    ok["citc"] = table["citc"] >= c.citc_min
    ok["alpha_drop"] = ~(table["alpha_if_deleted"] > table["construct_alpha"])
    ok["loading"] = table["efa_loading"] >= c.loading_min
    ok["cross"] = table["efa_cross"] < c.cross_max
    has_cfa = "cfa_loading" in table and table["cfa_loading"].notna().any()
    if has_cfa:
        ok["cfa_loading"] = table["cfa_loading"] >= c.loading_min
    ok["extreme"] = table[["floor", "ceiling"]].max(axis=1) <= c.extreme_max
    ok["blank"] = table["share_blank"] <= c.blank_max
    statistical = [k for k in STATISTICAL if k in ok]
    unmet = (~ok[statistical].astype(bool)).sum(axis=1)

    actions, reasons = [], []
    for i, row in table.iterrows():
        why = _unmet_reasons(row, ok.loc[i], c, t_col, p_col, statistical)
        if row["reversed"] and row["citc"] < 0:
            action = "review wording"
            reason = (f"reverse-keyed, yet scored reversed it correlates {_num(row['citc'])} with its construct: "
                      "respondents seem to have missed the negation; reword it positively (and drop the reverse "
                      "key) or drop it")
        elif row["citc"] < 0:
            action = "review wording"
            reason = (f"correlates {_num(row['citc'])} with its construct: it reads against the construct; if it "
                      "is worded negatively, mark it 'reverse: true', otherwise reword or drop it")
        elif not ok.loc[i, "extreme"]:
            action = "review wording"
            end, share = ("highest", row["ceiling"]) if row["ceiling"] >= row["floor"] else ("lowest", row["floor"])
            reason = (f"{share:.0%} of answers at the scale's {end} point (limit {c.extreme_max:.0%}): the "
                      "statement hardly separates respondents; make it less one-sided")
        elif not ok.loc[i, "blank"]:
            action = "review wording"
            reason = (f"{row['share_blank']:.0%} left it blank (limit {c.blank_max:.0%}): the question may be "
                      "unclear or sensitive")
        elif unmet[i] >= c.drop_unmet or not ok.loc[i, "cr"]:
            action = "drop"
            reason = f"{unmet[i]} of {len(statistical)} criteria unmet: " + "; ".join(why)
        else:
            action = "keep"
            reason = "all criteria met" if not why else "keep; watch: " + "; ".join(why)
        if action == "review wording" and why:
            reason += " (also: " + "; ".join(why) + ")"
        actions.append(action)
        reasons.append(reason)
    out = ok.add_prefix("ok_")
    out["unmet"] = unmet.astype(int)
    out["action"] = actions
    out["reason"] = reasons
    return out


def _unmet_reasons(row, ok, c: Criteria, t_col: str, p_col: str, statistical) -> list[str]:
    why = []
    if "cr" in statistical and not ok["cr"]:
        p = "p < .001" if row[p_col] < 0.001 else f"p = {_num(row[p_col], 3)}"
        why.append(f"critical ratio t = {row[t_col]:.2f}, {p}")
    if not ok["citc"]:
        why.append(f"corrected item-total r {_num(row['citc'])} < {_num(c.citc_min)}")
    if not ok["alpha_drop"]:
        why.append(f"alpha rises from {_num(row['construct_alpha'], 3)} to {_num(row['alpha_if_deleted'], 3)} "
                   "without it")
    if not ok["loading"]:
        why.append(f"EFA loading {_num(row['efa_loading'])} < {_num(c.loading_min)}")
    if not ok["cross"]:
        why.append(f"cross-loading {_num(row['efa_cross'])} on {row['efa_cross_factor']}")
    if "cfa_loading" in statistical and not ok["cfa_loading"] and not np.isnan(row["cfa_loading"]):
        why.append(f"CFA loading (main sample) {_num(row['cfa_loading'])} < {_num(c.loading_min)}")
    return why
