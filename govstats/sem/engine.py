"""A model compiled once (syntax -> parameter table -> RAM matrices) and estimated on data.

Compiling is separate from estimating so that the thousands of refits of bootstrap and
Monte Carlo power reuse the parsed model and warm-start from an earlier solution.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govstats.sem.ml import GroupData, Optimum, minimize
from govstats.sem.partable import build_partable
from govstats.sem.ram import RAMModel
from govstats.sem.start import starting_values
from govstats.sem.syntax import parse_model


class CompiledModel:
    """A parsed model with its parameter table and one RAM model per group.

    Parameters
    ----------
    syntax : str
        lavaan-style model syntax.
    ngroups : int
    meanstructure, std_lv, fixed_x : bool
        As lavaan's options of the same names.
    group_equal : tuple of str
        lavaan's ``group.equal``: ``"loadings"``, ``"intercepts"``, ...
    """

    def __init__(self, syntax: str, *, ngroups: int = 1, meanstructure: bool = False, std_lv: bool = False,
                 fixed_x: bool = True, group_equal: tuple[str, ...] = ()):
        self.syntax = syntax
        self.formulas = parse_model(syntax)
        self.table, self.names = build_partable(self.formulas, ngroups=ngroups, meanstructure=meanstructure,
                                                std_lv=std_lv, fixed_x=fixed_x, group_equal=group_equal)
        self._compile(ngroups)

    @classmethod
    def from_table(cls, syntax: str, table: pd.DataFrame, names, ngroups: int = 1,
                   formulas=None) -> "CompiledModel":
        """A model from an edited parameter table (ordinal models fix what lavaan fixes for them)."""
        self = cls.__new__(cls)
        self.syntax, self.table, self.names = syntax, table, names
        self.formulas = parse_model(syntax) if formulas is None else formulas
        self._compile(ngroups)
        return self

    def _compile(self, ngroups: int) -> None:
        self.meanstructure = bool((self.table.op == "~1").any())
        self.ngroups = ngroups
        self.n_free = int(self.table.free.max()) if len(self.table) else 0
        self.models = [RAMModel(self.table, self.names, g, self.n_free) for g in range(1, ngroups + 1)]
        self._value_arrays = None

    @property
    def observed(self) -> list[str]:
        return list(self.names.ov)

    def set_exogenous(self, data: list[GroupData]) -> None:
        """fixed.x: exogenous covariates' (co)variances and means are their sample values."""
        index = {v: i for i, v in enumerate(self.names.ov)}
        exo = self.table[self.table.exo == 1]
        for g, (model, d) in enumerate(zip(self.models, data), start=1):
            rows = exo[exo.group == g]
            for r in rows.itertuples():
                value = d.mean[index[r.lhs]] if r.op == "~1" else d.cov[index[r.lhs], index[r.rhs]]
                self.table.at[r.Index, "ustart"] = value
                cells = model.M if r.op == "~1" else model.S
                i = model.names.index(r.lhs)
                j = 0 if r.op == "~1" else model.names.index(r.rhs)
                hit = (cells.row == i) & (cells.col == j) & (cells.param < 0)
                if r.op == "~~":
                    hit |= (cells.row == j) & (cells.col == i) & (cells.param < 0)
                cells.value[hit] = value
        self._value_arrays = None

    def start(self, data: list[GroupData]) -> np.ndarray:
        theta = starting_values(self.table, data, [self.names.ov] * self.ngroups, self.n_free)
        for r in self.table[(self.table.free > 0) & self.table.ustart.notna()].itertuples():
            theta[r.free - 1] = r.ustart  # start() modifiers
        return theta

    def estimate(self, data: list[GroupData], start: np.ndarray | None = None) -> Optimum:
        self.set_exogenous(data)
        theta0 = self.start(data) if start is None else start
        return minimize(self.models, data, theta0, self.meanstructure)

    def _value_cache(self):
        """(is_free, index into theta, fixed values) per table row; cached: pandas access
        cost 1 ms a call and the delta method makes hundreds."""
        if self._value_arrays is None:
            free = self.table.free.to_numpy()
            fixed = self.table.ustart.to_numpy(dtype=float).copy()
            fixed[self.table.op.to_numpy() == ":="] = np.nan
            self._value_arrays = (free > 0, np.maximum(free, 1) - 1, fixed)
        return self._value_arrays

    def values(self, theta: np.ndarray) -> np.ndarray:
        """Every row's value: free rows from theta, fixed rows their fixed value (NaN for :=)."""
        is_free, index, fixed = self._value_cache()
        return np.where(is_free, theta[index], fixed)
