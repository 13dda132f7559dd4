"""The parameter table: every parameter of a model, free or fixed, with lavaan's defaults.

Built from parsed formulas as lavaan's ``sem()``/``cfa()`` build theirs: the first loading
of each factor fixed to 1 (or factor variances fixed to 1 with ``std_lv``), residual
variances free, covariances among exogenous factors free, residual covariances among pure
dependent variables free, observed exogenous covariates fixed at their sample moments
(``fixed.x``), intercepts with a mean structure. Parameters sharing a label share one free
index (an equality constraint). Rows carry a ``group`` so that several groups with
cross-group constraints fit the same machinery.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from govstats.sem.syntax import Formula, ModelSyntaxError

COLUMNS = ["lhs", "op", "rhs", "group", "user", "free", "ustart", "exo", "label", "efa"]
GROUP_EQUAL = ("loadings", "intercepts", "means", "thresholds", "regressions", "residuals",
               "residual.covariances", "lv.variances", "lv.covariances")
PARTIAL = re.compile(r"^\s*((?:[^\W\d]|\.)[\w.]*)\s*(=~|~~|~\*~|~1|~|\|)\s*([\w.]*)\s*$")


@dataclass(frozen=True)
class VariableNames:
    """The variables of a model by kind, in lavaan's order."""

    lv: tuple[str, ...]        # latent variables (left of =~)
    ov: tuple[str, ...]        # observed: indicators, then dependent, then exogenous, then others
    ov_x: tuple[str, ...]      # observed exogenous covariates (fixed.x applies)
    lv_x: tuple[str, ...]      # exogenous latent variables
    lvov_y: tuple[str, ...]    # pure dependent variables (latent first, then observed)

    @property
    def ov_nox(self) -> tuple[str, ...]:
        return tuple(v for v in self.ov if v not in self.ov_x)


def _unique(seq) -> list:
    return list(dict.fromkeys(seq))


def variable_names(formulas: list[Formula]) -> VariableNames:
    # a composite (f <~ x1 + x2) is a latent variable regressed on its components
    lv = _unique(f.lhs for f in formulas if f.op in ("=~", "<~"))
    v_ind = _unique(f.terms[0].name for f in formulas if f.op == "=~")
    eqs_y = _unique(f.lhs for f in formulas if f.op in ("~", "<~"))
    eqs_x = _unique(f.terms[0].name for f in formulas if f.op in ("~", "<~"))
    ov_ind = [v for v in v_ind if v not in lv]
    ov_y = [v for v in eqs_y if v not in lv and v not in ov_ind]
    ov_x = [v for v in eqs_x if v not in lv and v not in ov_ind and v not in ov_y]
    mentioned = [f.lhs for f in formulas if f.op in ("~~", "~1", "|")] + \
        [f.terms[0].name for f in formulas if f.op == "~~"]
    # A covariate given its own variance, covariance or intercept is modeled, not fixed.x.
    user_moment = set(f.lhs for f in formulas if f.op in ("~~", "~1")) | \
        set(f.terms[0].name for f in formulas if f.op == "~~")
    ov_x = [v for v in ov_x if v not in user_moment]
    ov = _unique(ov_ind + ov_y + [v for v in eqs_x if v not in lv and v not in ov_ind and v not in ov_y]
                 + [v for v in mentioned if v not in lv])
    lv_x = [v for v in lv if v not in v_ind and v not in eqs_y]
    lv_y = [v for v in lv if v in eqs_y and v not in v_ind and v not in eqs_x]
    pure_ov_y = [v for v in ov if v in eqs_y and v not in v_ind and v not in eqs_x and v not in lv]
    return VariableNames(tuple(lv), tuple(ov), tuple(ov_x), tuple(lv_x), tuple(lv_y + pure_ov_y))


def build_partable(formulas: list[Formula], *, ngroups: int = 1, meanstructure: bool = False,
                   std_lv: bool = False, fixed_x: bool = True, orthogonal: bool = False,
                   group_equal: tuple[str, ...] = (), group_partial: tuple[str, ...] = (),
                   thresholds: dict[str, int] | None = None,
                   parameterization: str = "delta", orthogonal_efa: bool = False,
                   reorder_covariances: bool = True) -> tuple[pd.DataFrame, VariableNames]:
    """The full parameter table (one block of rows per group) and the variable names.

    ``reorder_covariances``: user covariances are stored with the variable that comes first
    (latent, then observed) on the left, as lavaan's parser does.

    ``thresholds`` maps each ordered item to its number of thresholds (categories - 1): the
    items get rows ``item | t1..tK`` (free), a fixed residual variance (1; in the delta
    parameterization its value is derived, 1 - R^2), a fixed intercept (0) and a scale
    factor ``item ~*~ item`` (fixed 1), as lavaan 0.6.14's ``lav_partable_flat``. With ordered
    items the model always has a mean structure (lavaan's rule for categorical data).
    """
    names = variable_names(formulas)
    thresholds = dict(thresholds or {})
    unknown = [v for v in thresholds if v not in names.ov]
    if unknown:
        raise ValueError(f"Ordered variable(s) {unknown} are not observed variables of the model.")
    ordered_x = [v for v in thresholds if v in names.ov_x]
    if ordered_x:
        raise ValueError(f"The exogenous covariate(s) {ordered_x} are ordered; as in lavaan, covariates are "
                         "conditioned on and must be continuous (or dummy-coded): leave them out of 'ordered'.")
    if any(f.op == "~1" for f in formulas) or thresholds:
        meanstructure = True
    rows: list[dict] = []
    for g in range(1, ngroups + 1):
        rows += _group_rows(formulas, names, g, ngroups, meanstructure, std_lv, fixed_x, orthogonal, thresholds,
                            orthogonal_efa, reorder_covariances)
    table = pd.DataFrame(rows, columns=COLUMNS + ["line"])
    table = _apply_group_equal(table, tuple(group_equal), tuple(group_partial), names, ngroups, std_lv,
                               thresholds, parameterization)
    table = _assign_free(table)
    # lavaan stores the expression without spaces; so do we, so the two tables line up.
    extra = [{"lhs": f.lhs if f.op == ":=" else "".join(f.lhs.split()), "op": f.op,
              "rhs": "".join(f.expression.split()), "group": 0, "user": 1, "free": 0,
              "ustart": np.nan, "exo": 0, "label": f.lhs if f.op == ":=" else "", "efa": "", "line": f.line}
             for f in formulas if f.op in (":=", "==", "<", ">")]
    if extra:
        table = pd.concat([table, pd.DataFrame(extra)], ignore_index=True)
    scales = [f for f in formulas if f.op == "~*~" and (f.lhs not in thresholds or f.terms[0].name != f.lhs)]
    if scales:
        f = scales[0]
        raise ModelSyntaxError(f"line {f.line}: '{f.lhs} ~*~ {f.terms[0].name}': scale factors apply to an ordered "
                               "item and itself ('x1 ~*~ x1'); pass ordered=True or list the item in ordered.")
    user_thresholds = [f for f in formulas if f.op == "|" and f.lhs not in thresholds]
    if user_thresholds:
        f = user_thresholds[0]
        raise ModelSyntaxError(f"line {f.line}: thresholds of '{f.lhs}' are given, but '{f.lhs}' is not "
                               "ordered; pass ordered=True or ordered=[..., '" + f.lhs + "'].")
    return table, names


def _term_value(values: list, g: int, ngroups: int, what: str, line: int):
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    if len(values) != ngroups:
        raise ModelSyntaxError(f"line {line}: {len(values)} {what} for {ngroups} group(s).")
    return values[g - 1]


def _group_rows(formulas, names: VariableNames, g: int, ngroups: int, meanstructure: bool, std_lv: bool,
                fixed_x: bool, orthogonal: bool, thresholds: dict[str, int], orthogonal_efa: bool = False,
                reorder_covariances: bool = True) -> list[dict]:
    user, where = [], {}
    order = {}
    for v in list(names.lv) + list(names.ov):
        order.setdefault(v, len(order))
    for f in formulas:
        if f.op in (":=", "==", "<", ">"):
            continue
        term = f.terms[0]
        rhs = "" if f.op == "~1" else term.name
        lhs = f.lhs
        if f.op == "~~" and (rhs, lhs) in where:
            lhs, rhs = rhs, lhs
        elif reorder_covariances and f.op == "~~" and order.get(lhs, -1) > order.get(rhs, -1):
            # lavaan 0.6's lav_partable_covariance_reorder: 'x9 ~~ x6' is stored as x6 ~~ x9
            # (lhs first among the latent, then observed variables); semTools adds its auxiliary
            # rows to the table as written, so fit(auxiliary=) turns this off
            lhs, rhs = rhs, lhs
        fixed = _term_value(term.fixed, g, ngroups, "values", f.line) if term.fixed else "unset"
        label = _term_value(term.label, g, ngroups, "labels", f.line)
        start = _term_value(term.start, g, ngroups, "start values", f.line)
        key = (lhs, f.op, rhs)
        if key in where:
            # lavaan merges repeated terms: a later modifier adds to (or overrides) the earlier ones
            row = where[key]
            if fixed != "unset":
                row["_fixed"] = fixed
            if label:
                row["label"] = label
            if start is not None:
                row["_start"] = start
            continue
        row = {"lhs": lhs, "op": f.op, "rhs": rhs, "group": g, "user": 1, "free": 1, "ustart": np.nan,
               "exo": 0, "label": label or "", "efa": f.efa if f.op == "=~" else "", "line": f.line,
               "_fixed": fixed, "_start": start}
        where[key] = row
        user.append(row)

    default = []
    add = lambda lhs, op, rhs: default.append({"lhs": lhs, "op": op, "rhs": rhs, "group": g, "user": 0,
                                              "free": 1, "ustart": np.nan, "exo": 0, "label": "", "efa": "",
                                              "line": 0, "_fixed": "unset", "_start": None})
    ordered = [v for v in names.ov if v in thresholds]
    for v in ordered:  # lavaan: thresholds come first, then variances
        for k in range(1, thresholds[v] + 1):
            add(v, "|", f"t{k}")
    for v in names.ov_nox + names.lv:
        add(v, "~~", v)
    for a, b in combinations(names.lv_x, 2):
        add(a, "~~", b)
    for a, b in combinations(names.lvov_y, 2):
        add(a, "~~", b)
    for i, a in enumerate(names.ov_x):  # lavaan's order: x1~~x1, x1~~x2, x1~~x3, x2~~x2, ...
        for b in names.ov_x[i:]:
            add(a, "~~", b)
    for v in ordered:
        add(v, "~*~", v)
    if meanstructure:
        for v in names.ov + names.lv:
            add(v, "~1", "")
    have = set(where)
    have |= {(r, op, l) for (l, op, r) in where if op == "~~"}
    rows = user + [r for r in default if (r["lhs"], r["op"], r["rhs"]) not in have]

    composites = {f.lhs for f in formulas if f.op == "<~"}
    efa_blocks = efa_sets(formulas)
    efa_factors = {lv for factors in efa_blocks.values() for lv in factors}
    first_loading = {}
    for r in rows:
        # lavaan's auto.efa: an efa factor's metric is its variance (1), not a first loading
        if r["op"] == "=~" and r["lhs"] not in first_loading and r["lhs"] not in efa_factors:
            first_loading[r["lhs"]] = r
    indicators, loads_on = {}, {}
    for r in rows:
        if r["op"] == "=~":
            indicators.setdefault(r["lhs"], []).append(r["rhs"])
            loads_on.setdefault(r["rhs"], []).append(r["lhs"])
    # lavaan's auto.fix.single: the residual variance of an indicator (observed, or latent: the
    # phantom variables of latent change score models) that is the only indicator of its factor
    # and loads on nothing else is fixed at 0
    singles = {ind[0] for lv, ind in indicators.items() if len(ind) == 1 and len(loads_on[ind[0]]) == 1}
    for r in rows:
        op, lhs, rhs = r["op"], r["lhs"], r["rhs"]
        if r["user"] == 0:
            if std_lv and op == "~~" and lhs == rhs and lhs in names.lv:
                r["free"], r["ustart"] = 0, 1.0
            elif op == "~~" and lhs == rhs and lhs in thresholds:
                r["free"], r["ustart"] = 0, 1.0   # delta: derived (1 - R^2); theta: 1
            elif op == "~*~":
                r["free"], r["ustart"] = 0, 1.0   # delta: 1; theta: derived
            elif op == "~~" and lhs == rhs and lhs in composites:
                r["free"], r["ustart"] = 0, 0.0   # lavaan: a composite has no disturbance
            elif op == "~1" and lhs in thresholds:
                r["free"], r["ustart"] = 0, 0.0   # the thresholds take the intercepts' place
            elif op == "~~" and lhs == rhs and lhs in singles:
                r["free"], r["ustart"] = 0, 0.0
            elif orthogonal and op == "~~" and lhs != rhs and lhs in names.lv and rhs in names.lv:
                r["free"], r["ustart"] = 0, 0.0
            elif orthogonal_efa and op == "~~" and lhs != rhs and lhs in efa_factors and rhs in efa_factors:
                r["free"], r["ustart"] = 0, 0.0   # lavaan's orthogonal.efa: every efa factor pair, blocks apart too
            elif op == "~1" and lhs in names.lv:
                r["free"], r["ustart"] = 0, 0.0
            if op == "~~" and lhs == rhs and lhs in efa_factors:
                r["free"], r["ustart"] = 0, 1.0
            if fixed_x and lhs in names.ov_x and (op == "~1" or (op == "~~" and rhs in names.ov_x)):
                r["free"], r["exo"] = 0, 1
        elif not std_lv and r is first_loading.get(lhs) and r["_fixed"] == "unset":
            r["free"], r["ustart"] = 0, 1.0
        if r["_fixed"] != "unset":
            if r["_fixed"] is None:  # NA*x: free
                r["free"], r["ustart"] = 1, np.nan
            else:
                r["free"], r["ustart"] = 0, float(r["_fixed"])
        if r["_start"] is not None and r["free"]:
            r["ustart"] = float(r["_start"])
        if thresholds and op == "~" and rhs in names.ov_x and lhs not in names.ov_x:
            r["exo"] = 1  # lavaan's conditional.x marks the regressions on covariates
        del r["_fixed"], r["_start"]
    _efa_identification(rows, efa_blocks, orthogonal_efa)
    return rows


def efa_sets(formulas: list[Formula]) -> dict[str, list[str]]:
    """Exploratory SEM blocks: block name -> its factors, in the order of the syntax."""
    blocks: dict[str, list[str]] = {}
    seen: dict[str, tuple[str, int]] = {}
    for f in formulas:
        if f.op != "=~":
            continue
        if f.lhs in seen and seen[f.lhs][0] != f.efa:
            first, line = seen[f.lhs]
            raise ModelSyntaxError(f"line {f.line}: the factor '{f.lhs}' is in efa block {f.efa!r} here and "
                                   f"{first!r} on line {line}; a factor belongs to one block (or none): give all of "
                                   "its '=~' lines the same efa(\"...\")* modifier.")
        seen.setdefault(f.lhs, (f.efa, f.line))
        if f.efa and f.lhs not in blocks.setdefault(f.efa, []):
            blocks[f.efa].append(f.lhs)
    return blocks


def _efa_identification(rows: list[dict], blocks: dict[str, list[str]], orthogonal: bool = False) -> None:
    """lavaan's ``lav_partable_efa_constraints``: the unrotated solution of a block of m factors is
    identified by an echelon pattern (the k-th factor's first k - 1 loadings fixed at 0) and, for an
    oblique rotation, zero covariances among its factors; these rows are marked ``user = 7``
    (rotation frees them; an orthogonal rotation keeps the covariances at 0)."""
    for factors in blocks.values():
        if len(factors) < 2:
            continue
        for k, lv in enumerate(factors):
            loadings = [r for r in rows if r["op"] == "=~" and r["lhs"] == lv]
            if len(loadings) < k:
                raise ModelSyntaxError(f"line {loadings[0]['line'] if loadings else 0}: efa factor '{lv}' has not "
                                       "enough indicators for the echelon pattern that identifies its block "
                                       "(lavaan refuses it too).")
            for r in loadings[:k]:
                r["free"], r["ustart"], r["user"] = 0, 0.0, 7
        for r in rows:
            if not orthogonal and r["op"] == "~~" and r["user"] == 0 and r["lhs"] != r["rhs"] \
                    and r["lhs"] in factors and r["rhs"] in factors:
                r["free"], r["ustart"], r["user"] = 0, 0.0, 7


def _apply_group_equal(table: pd.DataFrame, group_equal, group_partial, names: VariableNames, ngroups: int,
                       std_lv: bool, thresholds: dict, parameterization: str) -> pd.DataFrame:
    """Cross-group equality by shared labels (lavaan's group.equal, minus group.partial), and what
    it frees in later groups (lavaan 0.6.14's rules)."""
    if ngroups == 1 or not group_equal:
        return table
    bad = [k for k in group_equal if k not in GROUP_EQUAL]
    if bad:
        raise ValueError(f"The 'group_equal' parameter must name some of {sorted(GROUP_EQUAL)}. Got {bad!r} instead.")
    partial = set()
    for text in group_partial:
        match = PARTIAL.match(text)
        if not match:
            raise ValueError(f"The 'group_partial' parameter holds {text!r}, which is not a parameter such as "
                             "'f1=~x2', 'x1~1', 'x1~~x1' or 'x1|t1'.")
        lhs, op, rhs = match.groups()
        partial.add((lhs, op, "" if op == "~1" else rhs))
        if op == "~~":
            partial.add((rhs, op, lhs))
    table = table.copy()
    lv, ov = set(names.lv), set(names.ov)
    op, lhs, rhs = table.op.to_numpy(), table.lhs.to_numpy(), table.rhs.to_numpy()
    is_lv, is_ov = table.lhs.isin(lv).to_numpy(), table.lhs.isin(ov).to_numpy()
    same = lhs == rhs
    kinds = {
        "loadings": op == "=~", "regressions": (op == "~") | (op == "<~"), "thresholds": op == "|",
        "intercepts": (op == "~1") & is_ov, "means": (op == "~1") & is_lv,
        "residuals": (op == "~~") & same & is_ov, "residual.covariances": (op == "~~") & ~same & is_ov,
        "lv.variances": (op == "~~") & same & is_lv, "lv.covariances": (op == "~~") & ~same & is_lv,
    }
    chosen = np.zeros(len(table), dtype=bool)
    for kind in group_equal:
        chosen |= kinds[kind]
    free = table.free.to_numpy() > 0
    labelled = table.label.astype(bool).to_numpy()
    keys = list(zip(lhs, op, rhs))
    unknown = sorted(f"{l}{o}{r}" for l, o, r in partial if (l, o, r) not in set(keys) and (r, o, l) not in set(keys))
    if unknown:
        raise ValueError(f"The 'group_partial' parameter names {unknown}, which the model does not have (lavaan "
                         "ignores such entries; check the spelling, e.g. 'f=~x2', 'x3~1').")
    for i in np.flatnonzero(chosen & free & ~labelled):
        if keys[i] not in partial:
            table.at[i, "label"] = f".{lhs[i]}{op[i]}{rhs[i]}"
    later = (table.group > 1).to_numpy() & (table.user == 0).to_numpy()
    # Equal intercepts or thresholds identify latent means: free them after the first group.
    if ("intercepts" in group_equal or "thresholds" in group_equal) and "means" not in group_equal:
        table.loc[later & kinds["means"], ["free", "ustart"]] = [1, np.nan]
    if std_lv and "loadings" in group_equal and "lv.variances" not in group_equal:
        table.loc[later & kinds["lv.variances"], ["free", "ustart"]] = [1, np.nan]
    if "thresholds" in group_equal and thresholds:
        # the latent responses' scales (delta) or residual variances (theta) become free
        ordered = table.lhs.isin(set(thresholds)).to_numpy()
        rows = later & ordered & ((op == "~*~") if parameterization == "delta" else ((op == "~~") & same))
        table.loc[rows, ["free", "ustart"]] = [1, np.nan]
    return table


def _assign_free(table: pd.DataFrame) -> pd.DataFrame:
    """Number the free parameters 1..q in table order; rows sharing a label share a number."""
    free = np.zeros(len(table), dtype=int)
    by_label: dict[str, int] = {}
    count = 0
    for i, (is_free, label) in enumerate(zip(table["free"].to_numpy(), table["label"].to_numpy())):
        if not is_free:
            continue
        if label and label in by_label:
            free[i] = by_label[label]
            continue
        count += 1
        free[i] = count
        if label:
            by_label[label] = count
    table = table.copy()
    table["free"] = free
    return table.reset_index(drop=True)
