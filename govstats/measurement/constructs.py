"""Which items measure which construct, and the item data ready for reliability and validity.

Reliability and validity work on constructs: an Instrument (reverse-keyed items known), lavaan
measurement syntax, or a mapping construct -> items. Reverse-keyed items are reversed here, once,
as psych::alpha(check.keys) or a reviewer would, so that no construct-level statistic sees a
negative loading that is only an artefact of wording.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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
    exclusions: dict = field(default_factory=dict)

    def syntax(self) -> str:
        """lavaan-style syntax of the correlated-factors measurement model."""
        return "\n".join(f"{c} =~ {' + '.join(its)}" for c, its in self.items.items())


# A name is any run of letters (Chinese included: column names such as 认同1 are common),
# digits, '_' and '.', not starting with a digit; an optional modifier such as 1* or a* before it.
_NAME = r"[^\W\d][\w.]*|\.[\w.]*"
_TERM = re.compile(rf"^(?:[^*]+\*)?\s*({_NAME})$")


def parse_measurement(syntax: str, function: str = "reliability") -> dict[str, list[str]]:
    """The ``=~`` lines of lavaan-style syntax as construct -> items (modifiers like ``1*`` dropped).

    A term that is not a name is refused with its line, never dropped.

    >>> parse_measurement("F =~ CP1 + 0.8*CP2 + 认同1  # items")
    {'F': ['CP1', 'CP2', '认同1']}
    """
    items: dict[str, list[str]] = {}
    for number, line in enumerate(syntax.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if "=~" not in line:
            continue
        lhs, rhs = (s.strip() for s in line.split("=~", 1))
        if not re.fullmatch(_NAME, lhs):
            raise ValueError(f"The 'model' parameter of {function}: line {number} ({line!r}) has {lhs!r} before "
                             f"'=~', which is not a construct name. Write 'Construct =~ item1 + item2 + ...'.")
        for term in rhs.split("+"):
            m = _TERM.match(term.strip())
            if not m:
                raise ValueError(f"The 'model' parameter of {function}: line {number} ({line!r}) has the term "
                                 f"{term.strip()!r}, which is not an item name (optionally with a modifier such "
                                 f"as 1*). Write 'Construct =~ item1 + item2 + ...'.")
            items.setdefault(lhs, []).append(m.group(1))
    return items


@dataclass(frozen=True)
class ModelItems:
    """What a model says about its items: construct -> items, each item's code range and number of
    categories (known from an instrument only), and the reverse-keyed items."""

    items: dict[str, list[str]]
    bounds: dict[str, tuple[float, float]]
    categories: dict[str, int]
    reverse: list[str]


def model_items(model, reverse: Sequence[str] = (), function: str = "reliability") -> ModelItems:
    """Constructs and their items from an Instrument, lavaan-style syntax or a mapping construct -> items.

    >>> model_items({"F": ["a", "b"]}).items
    {'F': ['a', 'b']}
    """
    from govstats.instrument import Instrument

    bounds: dict[str, tuple[float, float]] = {}
    categories: dict[str, int] = {}
    rev = list(reverse)
    if isinstance(model, Instrument):
        items = {c.id: list(c.item_ids) for c in model.constructs}
        for c in model.constructs:
            for it in c.items:
                codes = list(it.scale.codes) if it.scale is not None else []
                if codes:
                    bounds[it.id] = (min(codes), max(codes))
                    categories[it.id] = len(codes)
                if it.reverse and it.id not in rev:
                    rev.append(it.id)
    elif isinstance(model, str):
        items = parse_measurement(model, function)
    elif isinstance(model, Mapping):
        items = {str(k): list(v) for k, v in model.items()}
    else:
        raise ValueError(f"The 'model' parameter of {function} must be one of {{Instrument, lavaan syntax str, "
                         f"mapping construct -> items}}. Got {type(model).__name__} instead.")
    if not items:
        raise ValueError(f"The 'model' parameter of {function} must define at least one construct with "
                         f"'=~'. Got {model!r} instead.")
    return ModelItems(items, bounds, categories, rev)


def resolve(model, data: pd.DataFrame, reverse: Sequence[str] = (), function: str = "reliability") -> Constructs:
    """Constructs and their numeric item data from an Instrument, syntax or mapping.

    With an instrument, the data are first prepared by
    :func:`govstats.data.analysis_frame.analysis_frame`: declared missing codes ("don't know")
    are blanks, respondents with off-scale codes or without consent are left out (counted in
    ``exclusions``). Then rows with any item blank or, without an instrument, not a number are
    left out listwise (counted in ``n_dropped``).
    ``reverse`` names extra reverse-keyed items; without an instrument they are reversed within
    the observed range (max + min - code), as psych's ``reverse.code``.
    """
    from govstats.instrument import Instrument

    described = model_items(model, reverse, function)
    items, bounds, rev = described.items, described.bounds, described.reverse
    # alpha, a one-factor CFA and HTMT all need two items or more; single-item constructs are
    # reported in ``skipped`` instead
    skipped = tuple(k for k, its in items.items() if len(its) < 2)
    items = {k: its for k, its in items.items() if len(its) >= 2}
    if not items:
        raise ValueError(f"The 'model' parameter of {function} must have a construct with at least two items. "
                         f"Got only single-item constructs {list(skipped)} instead.")
    cols = [it for its in items.values() for it in its]
    missing = [c for c in cols if c not in data.columns]
    if missing and isinstance(model, Instrument):  # the data lack the instrument's items: a data problem
        from govstats.data.analysis_frame import analysis_frame

        analysis_frame(model, data, columns=cols, function=function)  # raises its DataError
    if missing:
        raise ValueError(f"The 'data' parameter of {function} must have a column for every item. "
                         f"Got no column for {missing} instead.")
    exclusions: dict = {}
    if isinstance(model, Instrument):
        from govstats.data.analysis_frame import analysis_frame

        frame = analysis_frame(model, data, columns=cols, function=function)
        data, exclusions = frame.data, frame.exclusions
    elif data.columns.duplicated().any():
        twice = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
        raise ValueError(f"The 'data' parameter of {function} has more than one column named {twice}; rename or "
                         f"drop the extra column(s) so that each item has one column.")
    # inf is no answer on any scale: like text, it is not a number and its row is left out
    x = data[cols].apply(pd.to_numeric, errors="coerce").astype(float).replace([np.inf, -np.inf], np.nan)
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
    return Constructs(items=items, data=x, reversed=tuple(rev), n_dropped=int((~keep).sum()), skipped=skipped,
                      exclusions=exclusions)


def sample_cov(x: pd.DataFrame) -> np.ndarray:
    """Covariance with divisor N, as lavaan's sample statistics."""
    v = x.to_numpy(float)
    v = v - v.mean(axis=0)
    return v.T @ v / len(v)
