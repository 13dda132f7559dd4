"""The model layer of two-level SEM: ``level:`` blocks -> one parameter table -> a RAM per level.

lavaan's syntax: ``level: 1`` (or any label, e.g. ``within``) opens the within block and ``level: 2``
(``between``) the between block; each block is an ordinary model, built with lavaan's single-level
rules (:func:`govstats.sem.partable.build_partable`, always with a mean structure), plus lavaan
0.6.14's two-level rule: a variable in both levels has its level-1 intercept fixed at 0 (its mean is
a between-level parameter). Labels shared across the blocks are equality constraints (cross-level
constraints); ``==``, ``<``, ``>`` and ``:=`` may sit in either block.

The parameter table's ``group`` column numbers the levels here (the RAM of a block is found by it;
the results report ``group`` 1 and ``level``); its ``level`` column says the same.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from govstats.sem.constraints import constraint_set
from govstats.sem.expressions import parse_definitions
from govstats.sem.model import BoundModel, RowMap
from govstats.sem.partable import VariableNames, build_partable
from govstats.sem.ram import RAMModel
from govstats.sem.syntax import ModelSyntaxError, parse_model

LEVEL_LINE = re.compile(r"^\s*level\s*:(?!=)\s*(.*?)\s*$")  # not "level := ..." (a defined parameter)
GLOBAL_OPS = (":=", "==", "<", ">")


def _without_comment(line: str) -> str:
    for mark in ("#", "!"):
        line = line.split(mark, 1)[0]
    return line


def has_levels(text) -> bool:
    """True when model syntax has ``level:`` lines (a two-level model)."""
    return isinstance(text, str) and any(LEVEL_LINE.match(_without_comment(line)) for line in text.splitlines())


def split_levels(text: str) -> tuple[list[str], list[list]]:
    """(level labels, per level its formulas) of two-level syntax; line numbers are the text's."""
    lines = text.splitlines()
    starts = []
    for number, line in enumerate(lines):
        match = LEVEL_LINE.match(_without_comment(line))
        if match:
            label = match.group(1).strip().strip("'\"")
            if not label:
                raise ModelSyntaxError(f"line {number + 1}: '{line.strip()}': a level block needs a label "
                                       "('level: 1' or 'level: within').")
            starts.append((number, label))
    before = [k for k in range(starts[0][0]) if _without_comment(lines[k]).strip()]
    if before:
        k = before[0]
        raise ModelSyntaxError(f"line {k + 1}: '{lines[k].strip()}' comes before the first 'level:' line; in a "
                               "two-level model every formula belongs to a level block ('level: 1' for the within "
                               "part, 'level: 2' for the between part).")
    if len(starts) != 2:
        raise ModelSyntaxError(f"The model has {len(starts)} 'level:' block(s); two-level models need exactly two "
                               "('level: 1' and 'level: 2'); three or more levels are not available (nor in lavaan "
                               "0.6).")
    labels = [label for _, label in starts]
    if labels[0] == labels[1]:
        raise ModelSyntaxError(f"line {starts[1][0] + 1}: the two level blocks have the same label {labels[0]!r}.")
    formulas = []
    bounds = [s for s, _ in starts] + [len(lines)]
    for k in range(2):
        kept = ["" if not bounds[k] < i < bounds[k + 1] else line for i, line in enumerate(lines)]
        if not any(_without_comment(line).strip() for line in kept):
            raise ModelSyntaxError(f"line {bounds[k] + 1}: the block 'level: {labels[k]}' is empty.")
        formulas.append(parse_model("\n".join(kept)))
    return labels, formulas


def two_level_partable(level_formulas: list[list], *, std_lv: bool = False, fixed_x: bool = True,
                       orthogonal: bool = False) -> tuple[pd.DataFrame, list[VariableNames]]:
    """The parameter table of both levels and the variable names of each."""
    tables, names = [], []
    for block, formulas in enumerate(level_formulas, start=1):
        table, level_names = build_partable([f for f in formulas if f.op not in GLOBAL_OPS], meanstructure=True,
                                            std_lv=std_lv, fixed_x=fixed_x, orthogonal=orthogonal)
        table = table.copy()
        table["group"] = block
        table["level"] = block
        tables.append(table)
        names.append(level_names)
    both = set(names[0].ov) & set(names[1].ov)
    for block, other in ((0, 1), (1, 0)):
        clash = sorted(set(names[block].lv) & (set(names[other].ov) | set(names[other].lv)))
        if clash:
            raise ModelSyntaxError(f"{clash} is a latent variable at level {block + 1} and also appears at level "
                                   f"{other + 1}; give the factors of each level their own names (e.g. fw, fb).")
        if fixed_x:
            split_x = sorted(set(names[block].ov_x) & set(names[other].ov))
            if split_x:
                raise ValueError(f"The covariate(s) {split_x} are exogenous at level {block + 1} and also appear at "
                                 f"level {other + 1}; this version does not fit a covariate split into a within and "
                                 "a between part with fixed_x=True. Pass fixed_x=False (its moments are then "
                                 "estimated), or use it at one level only.")
    level1 = tables[0]
    fix = (level1.op == "~1") & level1.lhs.isin(both) & (level1.user == 0)
    level1.loc[fix, "free"] = 0
    level1.loc[fix, "ustart"] = 0.0
    table = pd.concat(tables, ignore_index=True)
    table["free"] = _number_free(table)
    formulas = [f for level in level_formulas for f in level]
    extra = [{"lhs": f.lhs if f.op == ":=" else "".join(f.lhs.split()), "op": f.op, "rhs": "".join(f.expression.split()),
              "group": 0, "level": 0, "user": 1, "free": 0, "ustart": np.nan, "exo": 0,
              "label": f.lhs if f.op == ":=" else "", "line": f.line}
             for f in formulas if f.op in GLOBAL_OPS]
    if extra:
        table = pd.concat([table, pd.DataFrame(extra)], ignore_index=True)
    return table, names


def _number_free(table: pd.DataFrame) -> np.ndarray:
    """Free parameters numbered 1..q over both levels; rows sharing a label share a number."""
    free = np.zeros(len(table), dtype=int)
    seen: dict = {}
    count = 0
    for i, (old, label, block) in enumerate(zip(table.free.to_numpy(), table.label.to_numpy(), table.group)):
        if old <= 0:
            continue
        key = label if label else (block, old)
        if key not in seen:
            count += 1
            seen[key] = count
        free[i] = seen[key]
    return free


def baseline_partable(names: list[VariableNames], fixed_x: bool) -> pd.DataFrame:
    """lavaan's independence model of two-level data: the variances of each level and the means
    free, the covariates' block saturated (at their sample moments with fixed.x; free otherwise, as
    lavaan's baseline keeps ov.x apart either way)."""
    rows = []
    both = set(names[0].ov) & set(names[1].ov)
    for block, level_names in enumerate(names, start=1):
        x = list(level_names.ov_x)
        add = lambda lhs, op, rhs, free, exo=0, ustart=np.nan: rows.append(
            {"lhs": lhs, "op": op, "rhs": rhs, "group": block, "level": block, "user": 0, "free": free,
             "ustart": ustart, "exo": exo, "label": "", "line": 0})
        for v in level_names.ov:
            if v not in x:
                add(v, "~~", v, 1)
        for i, a in enumerate(x):
            for b in x[i:]:
                add(a, "~~", b, 0 if fixed_x else 1, exo=int(fixed_x))
        for v in level_names.ov:
            if v in x:
                add(v, "~1", "", 0 if fixed_x else 1, exo=int(fixed_x))
            elif block == 1 and v in both:
                add(v, "~1", "", 0, ustart=0.0)
            else:
                add(v, "~1", "", 1)
    table = pd.DataFrame(rows)
    table["free"] = np.where(table.free > 0, np.cumsum(table.free > 0), 0)
    return table


def baseline_names(names: list[VariableNames], fixed_x: bool) -> list[VariableNames]:
    """The variable names of a model without latent variables over the same observed ones."""
    return [VariableNames(lv=(), ov=n.ov, ov_x=n.ov_x if fixed_x else (), lv_x=(), lvov_y=()) for n in names]


class TwoLevelModel:
    """A two-level model compiled once: the parameter table and one RAM per level.

    Offers what the shared machinery reads of a compiled model (:class:`~govstats.sem.model.RowMap`,
    standardization, the results tables): ``table``, ``blocks``, ``n_free``, ``constraints``,
    ``definitions``, ``row_map``."""

    ordered: list = []
    parameterization = "delta"
    is_ordinal = False
    ngroups = 1
    meanstructure = True

    def __init__(self, syntax: str, table: pd.DataFrame, level_names: list[VariableNames], level_labels: list,
                 formulas: list):
        self.syntax = syntax
        self.table = table
        self.level_names = level_names
        self.level_labels = level_labels
        self.formulas = formulas
        ov = list(dict.fromkeys(level_names[0].ov + level_names[1].ov))
        self.names = VariableNames(lv=level_names[0].lv + level_names[1].lv, ov=tuple(ov),
                                   ov_x=level_names[0].ov_x + level_names[1].ov_x,
                                   lv_x=level_names[0].lv_x + level_names[1].lv_x,
                                   lvov_y=level_names[0].lvov_y + level_names[1].lvov_y)
        self.n_free = int(table.free.max()) if len(table) else 0
        self.n_extended = self.n_free
        self.definitions = parse_definitions(table)
        self.constraints = constraint_set(table, formulas, self.definitions)
        self.n_parameters = self.n_free - (self.constraints.count if self.constraints else 0)
        self.blocks = [RAMModel(table, level_names[b], b + 1, self.n_free) for b in range(2)]
        self.row_map = RowMap(self)
        within = list(level_names[0].ov)
        self.between_only = [v for v in level_names[1].ov if v not in within]
        self.within = within
        # where the level-2 variables sit in the cluster vector (z, y)
        cluster = self.between_only + within
        self.between_position = np.array([cluster.index(v) for v in level_names[1].ov], dtype=int)
        self.within_only = np.array([v not in level_names[1].ov for v in within])

    @property
    def observed(self) -> list[str]:
        return list(self.names.ov)

    def bind(self, statistics, fixed_moments) -> "TwoLevelBound":
        return TwoLevelBound(self, statistics, fixed_moments)


class TwoLevelBound(BoundModel):
    """A two-level model bound to its statistics; fixed.x rows take ``fixed_moments`` (per level, a
    (mean, covariance) over that level's observed variables)."""

    def __init__(self, model: TwoLevelModel, statistics, fixed_moments):
        self.model = model
        self.statistics = statistics
        self.fixed_moments = fixed_moments
        self.blocks = [ram.with_exogenous(mean, cov) for ram, (mean, cov) in zip(model.blocks, fixed_moments)]
        rows = model.row_map
        fixed = rows.fixed.copy()
        table = model.table
        for k in np.flatnonzero(rows.exo):
            block = rows.group[k]
            names = list(model.level_names[block - 1].ov)
            mean, cov = fixed_moments[block - 1]
            lhs, rhs, op = table.lhs.iat[k], table.rhs.iat[k], table.op.iat[k]
            fixed[k] = mean[names.index(lhs)] if op == "~1" else cov[names.index(lhs), names.index(rhs)]
        self.fixed = fixed
