"""The model layer: syntax -> parameter table -> per-group implied moments and their Jacobian.

:class:`CompiledModel` is built once and never changed afterwards: fitting binds it to a
set of statistics (:meth:`CompiledModel.bind`), which fills the values that depend on the
data (fixed.x covariates' moments) in copies. Bootstrap and power refit the same compiled
model thousands of times.

A group's block is a :class:`~govstats.sem.ram.RAMModel` (continuous variables: implied
mean vector and covariance matrix) or an :class:`~govstats.sem.ordinal.model.OrdinalBlock`
(ordered items: the implied stage-1 statistics).
"""

from __future__ import annotations

import numpy as np

from govstats.sem.constraints import constraint_set
from govstats.sem.continuous_wls import LeastSquaresBlock
from govstats.sem.expressions import parse_definitions
from govstats.sem.ordinal.model import OrdinalBlock
from govstats.sem.partable import build_partable
from govstats.sem.ram import RAMModel
from govstats.sem.syntax import parse_model


class CompiledModel:
    """A parsed model with its parameter table and one block per group.

    Parameters
    ----------
    syntax : str
        lavaan-style model syntax.
    ngroups : int
    meanstructure, std_lv, fixed_x, orthogonal : bool
        As lavaan's options of the same names.
    group_equal, group_partial : tuple of str
        lavaan's ``group.equal`` and ``group.partial``.
    thresholds : dict, optional
        Ordered item -> number of thresholds; makes the model ordinal.
    stat_names : list of list of str, optional
        Per group, the names of the stage-1 statistics (ordinal models).
    parameterization : {"delta", "theta"}
    least_squares : bool
        Continuous data fitted by GLS, WLS, DWLS or ULS (:mod:`govstats.sem.continuous_wls`).
    formulas : list of Formula, optional
        ``syntax`` already parsed (``fit`` parses it once to find the variables).
    orthogonal_efa : bool
        Exploratory SEM blocks rotated orthogonally (lavaan's ``rotation.args$orthogonal``).
    reorder_covariances : bool
        Store user covariances lhs-first as lavaan's parser (off for semTools' auxiliary rows).
    """

    def __init__(self, syntax: str, *, ngroups: int = 1, meanstructure: bool = False, std_lv: bool = False,
                 fixed_x: bool = True, orthogonal: bool = False, group_equal=(), group_partial=(),
                 thresholds: dict | None = None, stat_names: list | None = None,
                 parameterization: str = "delta", least_squares: bool = False, formulas=None,
                 orthogonal_efa: bool = False, reorder_covariances: bool = True):
        self.syntax = syntax
        self.formulas = parse_model(syntax) if formulas is None else formulas
        self.table, self.names = build_partable(
            self.formulas, ngroups=ngroups, meanstructure=meanstructure, std_lv=std_lv, fixed_x=fixed_x,
            orthogonal=orthogonal, group_equal=tuple(group_equal), group_partial=tuple(group_partial),
            thresholds=thresholds, parameterization=parameterization, orthogonal_efa=orthogonal_efa,
            reorder_covariances=reorder_covariances)
        self.ngroups = ngroups
        self.parameterization = parameterization
        self.ordered = list(thresholds or {})
        self._stat_names = stat_names
        self._least_squares = least_squares
        self._compile_table()

    @classmethod
    def from_table(cls, template: "CompiledModel", table) -> "CompiledModel":
        """The same model over another parameter table (same rows, other free/label columns):
        e.g. with the cross-group equalities released, for score tests (govstats.sem.score_tests)."""
        model = cls.__new__(cls)
        for name in ("syntax", "formulas", "names", "ngroups", "parameterization", "ordered", "_stat_names",
                     "_least_squares"):
            setattr(model, name, getattr(template, name))
        model.table = table
        model._compile_table()
        return model

    def _compile_table(self) -> None:
        ngroups, stat_names, parameterization = self.ngroups, self._stat_names, self.parameterization
        self.n_free = int(self.table.free.max()) if len(self.table) else 0
        self.definitions = parse_definitions(self.table)
        self.constraints = constraint_set(self.table, self.formulas, self.definitions)
        # lavaan's npar: free parameters less independent equality constraints
        self.n_parameters = self.n_free - (self.constraints.count if self.constraints else 0)
        self.meanstructure = bool((self.table.op == "~1").any())
        if self.ordered:
            derived = [self._derived_count(g) for g in range(1, ngroups + 1)]
            self.n_extended = self.n_free + sum(derived)
            offsets = self.n_free + np.concatenate([[0], np.cumsum(derived)[:-1]])
            self.blocks = [OrdinalBlock(self.table, self.names, g, self.n_free, self.ordered, stat_names[g - 1],
                                        parameterization, derived_offset=int(offsets[g - 1]),
                                        n_extended=self.n_extended)
                           for g in range(1, ngroups + 1)]
        else:
            self.n_extended = self.n_free
            self.blocks = [RAMModel(self.table, self.names, g, self.n_free) for g in range(1, ngroups + 1)]
            if self._least_squares:  # GLS, WLS, DWLS, ULS: the moments as lavaan's continuous wls.obs
                self.blocks = [LeastSquaresBlock(ram, self.meanstructure) for ram in self.blocks]
        self.row_map = RowMap(self)

    def _derived_count(self, g: int) -> int:
        if self.parameterization != "delta":
            return 0
        t = self.table
        return int(((t.group == g) & (t.op == "~~") & (t.lhs == t.rhs) & t.lhs.isin(self.ordered)
                    & (t.free == 0)).sum())

    @property
    def observed(self) -> list[str]:
        return list(self.names.ov)

    @property
    def is_ordinal(self) -> bool:
        return bool(self.ordered)

    def bind(self, statistics) -> "BoundModel":
        """The model with the data-dependent fixed values of these statistics (fixed.x)."""
        return BoundModel(self, statistics)


class RowMap:
    """Index arrays from parameter-table rows to the (extended) parameter vector, built once:
    pandas access cost 1 ms a call and the delta method makes hundreds."""

    def __init__(self, model: CompiledModel):
        table = model.table
        op = table.op.to_numpy()
        free = table.free.to_numpy()
        self.is_free = free > 0
        self.index = np.maximum(free, 1) - 1
        self.fixed = table.ustart.to_numpy(dtype=float).copy()
        self.fixed[np.isin(op, [":=", "==", "<", ">"])] = np.nan
        self.defined = op == ":="
        self.exo = (table.exo.to_numpy() == 1) & ~self.is_free
        # rows whose value the model derives: delta residual variances, theta scale factors
        self.derived = np.zeros(len(table), dtype=bool)
        self.scale_rows = np.zeros(len(table), dtype=bool)
        if model.ordered:
            ordered = table.lhs.isin(model.ordered).to_numpy()
            if model.parameterization == "delta":
                self.derived = ordered & (op == "~~") & (table.lhs == table.rhs).to_numpy() & ~self.is_free
            else:
                self.scale_rows = ordered & (op == "~*~") & ~self.is_free
        self.group = table.group.to_numpy()
        # each label's first row (:= rows aside): every draw evaluates the := parameters, and
        # walking the table's pandas columns for this cost 0.5 ms a draw (cProfile of the bootstrap)
        self.label_rows = {}
        for k, (label, op) in enumerate(zip(table.label.tolist(), op.tolist())):
            if label and op != ":=" and label not in self.label_rows:
                self.label_rows[label] = k
        # where each derived row sits in the extended vector (theta, then the groups' derived values)
        self.derived_index = np.array([
            model.blocks[g - 1].derived_offset + model.blocks[g - 1].derived_items.index(v)
            for g, v in zip(self.group[self.derived], table.lhs[self.derived])], dtype=int)


class BoundModel:
    """A compiled model bound to statistics: what the objectives and the inference evaluate."""

    def __init__(self, model: CompiledModel, statistics):
        self.model = model
        self.statistics = statistics
        self.blocks = []
        for block, stats in zip(model.blocks, statistics.blocks):
            if isinstance(block, OrdinalBlock):
                self.blocks.append(block.bind(stats.x_moments))
            elif isinstance(block, LeastSquaresBlock):
                self.blocks.append(block.bind(stats))
            else:
                self.blocks.append(block.with_exogenous(stats.mean, stats.cov))
        rows = model.row_map
        fixed = rows.fixed.copy()
        # fixed.x rows take the sample's moments
        index = {v: i for i, v in enumerate(model.names.ov)}
        table = model.table
        for k in np.flatnonzero(rows.exo):
            stats = statistics.blocks[rows.group[k] - 1]
            if stats.kind == "ordinal":
                mean, cov = stats.x_moments
            else:  # least squares fix them at the N - 1 covariances they fit
                mean, cov = stats.mean, getattr(stats, "fitted_cov", stats.cov)
            lhs, rhs, op = table.lhs.iat[k], table.rhs.iat[k], table.op.iat[k]
            fixed[k] = mean[index[lhs]] if op == "~1" else cov[index[lhs], index[rhs]]
        self.fixed = fixed

    @property
    def n_free(self) -> int:
        return self.model.n_free

    @property
    def display_models(self) -> list[RAMModel]:
        """Per group, a RAM over the extended parameter vector that reports every variable's moments."""
        return [b.display if isinstance(b, OrdinalBlock) else b.ram if isinstance(b, LeastSquaresBlock) else b
                for b in self.blocks]

    def extended_batch(self, thetas: np.ndarray) -> np.ndarray:
        """(k x n_extended): the parameters, then every group's derived residual variances."""
        if self.model.n_extended == self.n_free:
            return thetas
        parts = [thetas] + [b.derived_batch(thetas) for b in self.blocks]
        return np.hstack(parts)

    def values_batch(self, thetas: np.ndarray, extended: np.ndarray | None = None) -> np.ndarray:
        """Every table row's value for many parameter vectors (NaN for := rows; see :meth:`defined`)."""
        rows = self.model.row_map
        out = np.where(rows.is_free[None, :], thetas[:, rows.index], self.fixed[None, :])
        if rows.derived.any():
            ext = self.extended_batch(thetas) if extended is None else extended
            out[:, rows.derived] = ext[:, rows.derived_index]
        if rows.scale_rows.any():
            table = self.model.table
            for g, block in enumerate(self.blocks, start=1):
                mask = rows.scale_rows & (rows.group == g)
                if not mask.any():
                    continue
                items = list(table.lhs[mask])
                where = [block.ordered.index(v) for v in items]
                out[:, mask] = np.vstack([block.scale_values(t)[where] for t in thetas])
        return out

    def values(self, theta: np.ndarray) -> np.ndarray:
        return self.values_batch(theta[None, :])[0]

    def defined(self, values: np.ndarray) -> np.ndarray:
        """The := rows' values from rows' values (k x rows -> k x defined)."""
        from govstats.sem.expressions import evaluate_defined

        scope = self.label_scope(values)
        out = evaluate_defined(self.model.definitions, scope)
        return np.column_stack([np.asarray(out[name], dtype=float) * np.ones(len(values))
                                for name, _ in self.model.definitions]) if self.model.definitions else \
            np.zeros((len(values), 0))

    def label_scope(self, values: np.ndarray) -> dict:
        return {label: values[:, k] for label, k in self.model.row_map.label_rows.items()}
