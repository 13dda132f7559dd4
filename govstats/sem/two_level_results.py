"""Results of a two-level fit: :class:`SEMResults` with lavaan's level columns, ICCs, per-level
implied moments and lavaan's ``.l2`` names; what is not available for two-level fits in this version
(factor scores, modification indices, effect tables, residual correlations) is refused by name."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from govstats.sem.results import SEMResults

NOT_AVAILABLE = "is not available for two-level models in this version"


@dataclass(repr=False)  # SEMResults' one-line repr
class TwoLevelResults(SEMResults):
    """:class:`~govstats.sem.results.SEMResults` of a two-level model.

    Attributes (beyond those of SEMResults)
    ---------------------------------------
    icc : Series
        lavaan's ``lavInspect(fit, "icc")``: per level-1 variable the between share of its variance
        in the unrestricted model, Sigma_B / (Sigma_W + Sigma_B) (0 for within-only variables).
    level_labels : list
        The labels of the two ``level:`` blocks as written (``["1", "2"]``, ``["within", "between"]``).
    nclusters : int
    """

    icc: pd.Series | None = None
    level_labels: list = field(default_factory=list)
    nclusters: int = 0
    scaling_factors: tuple | None = None  # MLR: lavaan's scaling.factor.h0 and .h1 (the summary prints them)

    def _coef_names(self, rows: pd.DataFrame) -> list[str]:
        """lavaan's coef() names: the label, else lhs op rhs, with ``.l2`` at level 2."""
        return [label if label else f"{lhs}{op}{rhs}" + ("" if level <= 1 else f".l{level}")
                for lhs, op, rhs, level, label in zip(rows.lhs, rows.op, rows.rhs, rows.level, rows.label)]

    def partable(self) -> pd.DataFrame:
        """lavaan's ``parTable()`` with ``level``; ``group`` 1 (0 for := and constraint rows)."""
        t = self._bound.model.table
        out = t[["lhs", "op", "rhs", "user", "group", "level", "free", "ustart", "exo", "label"]].copy()
        out["group"] = np.where(out.group.to_numpy() == 0, 0, 1)
        out.insert(0, "id", np.arange(1, len(out) + 1))
        return out.reset_index(drop=True)

    def fitted(self, group: int = 1) -> dict:
        """Model-implied moments per level (lavaan's ``fitted()``): ``{"within": {"cov", "mean"},
        "between": {"cov", "mean"}}`` over each level's observed variables."""
        if group != 1:
            raise ValueError(f"The 'group' parameter of fitted must be 1 for a two-level fit. Got {group!r} instead.")
        model = self._bound.model
        out = {}
        for key, block, names in zip(("within", "between"), self._bound.blocks, model.level_names):
            sigma, mu = block.implied(self._theta)[:2]
            ov = list(names.ov)
            out[key] = {"cov": pd.DataFrame(sigma, index=ov, columns=ov), "mean": pd.Series(mu, index=ov)}
        return out

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Wald intervals of the free and defined parameters, with their ``level`` column."""
        out = super().conf_int(level)
        p = self.params[(self.params.free > 0) | (self.params.op == ":=")]
        out.insert(out.columns.get_loc("group") + 1, "level", p.level.to_numpy())
        return out

    def r2(self) -> pd.Series:
        """R-squared of every endogenous variable per level (lavaan's ``lavInspect(fit, "r2")``: one
        vector per level), indexed by (level, variable)."""
        p = self.params
        parts = []
        for level in (1, 2):
            rows = p[p.level == level]
            endogenous = set(rows.loc[rows.op.isin(["~", "<~"]), "lhs"]) | set(rows.loc[rows.op == "=~", "rhs"])
            var = rows[(rows.op == "~~") & (rows.lhs == rows.rhs) & rows.lhs.isin(endogenous)]
            parts.append(pd.Series(1 - var.std_all.to_numpy(),
                                   index=pd.MultiIndex.from_arrays([[level] * len(var), var.lhs.to_numpy()],
                                                                   names=["level", "variable"])))
        return pd.concat(parts).rename("r2")

    def _refuse(self, what: str):
        raise ValueError(f"{what} {NOT_AVAILABLE}.")

    def predict(self, data=None, method: str = "regression"):
        self._refuse("Factor scores (predict)")

    def modindices(self, top=None):
        self._refuse("Modification indices")

    def effects(self, level: float = 0.95):
        self._refuse("The effects table (direct and indirect effects)")

    def residual_correlations(self, group: int = 1):
        self._refuse("residual_correlations()")

    def coverage(self, group: int = 1):
        self._refuse("coverage()")

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["icc"] = {str(k): float(v) for k, v in self.icc.items()} if self.icc is not None else None
        out["nclusters"] = self.nclusters
        return out
