"""Which items measure which construct, and the item data ready for reliability and validity.

Reliability and validity work on constructs: an Instrument (reverse-keyed items known), lavaan
measurement syntax, or a mapping construct -> items. Reverse-keyed items are reversed here, once,
as psych::alpha(check.keys) or a reviewer would, so that no construct-level statistic sees a
negative loading that is only an artefact of wording.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Constructs:
    """Items per construct, and the numeric item data (reverse-keyed items reversed)."""

    items: dict[str, list[str]]
    data: pd.DataFrame
    reversed: tuple[str, ...]
    n_dropped: int
    skipped: tuple[str, ...] = ()

    def syntax(self) -> str:
        """lavaan-style syntax of the correlated-factors measurement model."""
        return "\n".join(f"{c} =~ {' + '.join(its)}" for c, its in self.items.items())


_TERM = re.compile(r"^(?:[^*]+\*)?\s*([A-Za-z_.][\w.]*)$")


def parse_measurement(syntax: str) -> dict[str, list[str]]:
    """The ``=~`` lines of lavaan-style syntax as construct -> items (modifiers like ``1*`` dropped)."""
    items: dict[str, list[str]] = {}
    for line in syntax.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=~" not in line:
            continue
        lhs, rhs = (s.strip() for s in line.split("=~", 1))
        for term in rhs.split("+"):
            m = _TERM.match(term.strip())
            if m:
                items.setdefault(lhs, []).append(m.group(1))
    return items


def resolve(model, data: pd.DataFrame, reverse: Sequence[str] = (), function: str = "reliability") -> Constructs:
    """Constructs and their numeric item data from an Instrument, syntax or mapping.

    Rows with any item blank, not a number, or answered with one of the scale's missing codes
    ("don't know") are left out listwise (counted in ``n_dropped``).
    ``reverse`` names extra reverse-keyed items; without an instrument they are reversed within
    the observed range (max + min - code), as psych's ``reverse.code``.
    """
    from govstats.instrument import Instrument

    bounds: dict[str, tuple[float, float]] = {}
    missing_codes: dict[str, list[int]] = {}
    rev = list(reverse)
    if isinstance(model, Instrument):
        items = {c.id: list(c.item_ids) for c in model.constructs}
        for c in model.constructs:
            for it in c.items:
                codes = list(it.scale.codes) if it.scale is not None else []
                if codes:
                    bounds[it.id] = (min(codes), max(codes))
                if it.scale is not None and it.scale.missing:
                    # "don't know" and the like are not points on the scale
                    missing_codes[it.id] = [m.code for m in it.scale.missing]
                if it.reverse and it.id not in rev:
                    rev.append(it.id)
    elif isinstance(model, str):
        items = parse_measurement(model)
    elif isinstance(model, Mapping):
        items = {str(k): list(v) for k, v in model.items()}
    else:
        raise ValueError(f"The 'model' parameter of {function} must be one of {{Instrument, lavaan syntax str, "
                         f"mapping construct -> items}}. Got {type(model).__name__} instead.")
    if not items:
        raise ValueError(f"The 'model' parameter of {function} must define at least one construct with "
                         f"'=~'. Got {model!r} instead.")
    # alpha, a one-factor CFA and HTMT all need two items or more; single-item constructs are
    # reported in ``skipped`` instead
    skipped = tuple(k for k, its in items.items() if len(its) < 2)
    items = {k: its for k, its in items.items() if len(its) >= 2}
    if not items:
        raise ValueError(f"The 'model' parameter of {function} must have a construct with at least two items. "
                         f"Got only single-item constructs {list(skipped)} instead.")
    cols = [it for its in items.values() for it in its]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ValueError(f"The 'data' parameter of {function} must have a column for every item. "
                         f"Got no column for {missing} instead.")
    x = data[cols].apply(pd.to_numeric, errors="coerce").astype(float)
    for it, codes in missing_codes.items():
        if it in x.columns:
            x[it] = x[it].mask(x[it].isin(codes))
    keep = x.notna().all(axis=1)
    x = x.loc[keep].reset_index(drop=True)
    rev = [r for r in rev if r in cols or r in reverse]  # an instrument's single-item constructs are skipped
    unknown = [r for r in rev if r not in cols]
    if unknown:
        raise ValueError(f"The 'reverse' parameter of {function} must name items of the model. "
                         f"Got {unknown} instead.")
    for it in rev:
        lo, hi = bounds.get(it, (x[it].min(), x[it].max()))
        x[it] = hi + lo - x[it]
    return Constructs(items=items, data=x, reversed=tuple(rev), n_dropped=int((~keep).sum()), skipped=skipped)


def sample_cov(x: pd.DataFrame) -> np.ndarray:
    """Covariance with divisor N, as lavaan's sample statistics."""
    v = x.to_numpy(float)
    v = v - v.mean(axis=0)
    return v.T @ v / len(v)
