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

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from govstats.sem.syntax import Formula, ModelSyntaxError

COLUMNS = ["lhs", "op", "rhs", "group", "user", "free", "ustart", "exo", "label"]


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
    lv = _unique(f.lhs for f in formulas if f.op == "=~")
    v_ind = _unique(f.terms[0].name for f in formulas if f.op == "=~")
    eqs_y = _unique(f.lhs for f in formulas if f.op == "~")
    eqs_x = _unique(f.terms[0].name for f in formulas if f.op == "~")
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
                   group_equal: tuple[str, ...] = ()) -> tuple[pd.DataFrame, VariableNames]:
    """The full parameter table (one block of rows per group) and the variable names."""
    names = variable_names(formulas)
    if any(f.op == "~1" for f in formulas):
        meanstructure = True
    rows: list[dict] = []
    for g in range(1, ngroups + 1):
        rows += _group_rows(formulas, names, g, ngroups, meanstructure, std_lv, fixed_x, orthogonal)
    table = pd.DataFrame(rows, columns=COLUMNS + ["line"])
    table = _apply_group_equal(table, group_equal, names, ngroups, std_lv)
    table = _assign_free(table)
    # lavaan stores the expression without spaces; so do we, so the two tables line up.
    defined = [{"lhs": f.lhs, "op": ":=", "rhs": "".join(f.expression.split()), "group": 0, "user": 1, "free": 0,
                "ustart": np.nan, "exo": 0, "label": f.lhs, "line": f.line}
               for f in formulas if f.op == ":="]
    if defined:
        table = pd.concat([table, pd.DataFrame(defined)], ignore_index=True)
    unsupported = [f for f in formulas if f.op in ("==", "<", ">", "|")]
    if unsupported:
        f = unsupported[0]
        raise ModelSyntaxError(f"line {f.line}: '{f.op}' is not supported by this estimator yet.")
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
                fixed_x: bool, orthogonal: bool) -> list[dict]:
    user, seen = [], set()
    for f in formulas:
        if f.op in (":=", "==", "<", ">"):
            continue
        term = f.terms[0]
        rhs = "" if f.op == "~1" else term.name
        lhs = f.lhs
        if f.op == "~~" and (rhs, lhs) in {(r["lhs"], r["rhs"]) for r in user if r["op"] == "~~"}:
            lhs, rhs = rhs, lhs
        key = (lhs, f.op, rhs)
        if key in seen:
            continue  # lavaan ignores duplicated formulas, and so do we
        seen.add(key)
        fixed = _term_value(term.fixed, g, ngroups, "values", f.line) if term.fixed else "unset"
        label = _term_value(term.label, g, ngroups, "labels", f.line) or ""
        row = {"lhs": lhs, "op": f.op, "rhs": rhs, "group": g, "user": 1, "free": 1, "ustart": np.nan,
               "exo": 0, "label": label, "line": f.line, "_fixed": fixed}
        user.append(row)

    default = []
    add = lambda lhs, op, rhs: default.append({"lhs": lhs, "op": op, "rhs": rhs, "group": g, "user": 0,
                                              "free": 1, "ustart": np.nan, "exo": 0, "label": "",
                                              "line": 0, "_fixed": "unset"})
    for v in names.ov_nox + names.lv:
        add(v, "~~", v)
    for a, b in combinations(names.lv_x, 2):
        add(a, "~~", b)
    for a, b in combinations(names.lvov_y, 2):
        add(a, "~~", b)
    for i, a in enumerate(names.ov_x):
        for b in names.ov_x[: i + 1]:
            add(b, "~~", a)
    if meanstructure:
        for v in names.ov + names.lv:
            add(v, "~1", "")
    have = {(r["lhs"], r["op"], r["rhs"]) for r in user}
    have |= {(r["rhs"], r["op"], r["lhs"]) for r in user if r["op"] == "~~"}
    rows = user + [r for r in default if (r["lhs"], r["op"], r["rhs"]) not in have]

    first_loading = {}
    for r in rows:
        if r["op"] == "=~" and r["lhs"] not in first_loading:
            first_loading[r["lhs"]] = r
    indicators = {}
    for r in rows:
        if r["op"] == "=~":
            indicators.setdefault(r["lhs"], []).append(r["rhs"])
    singles = {ind[0] for lv, ind in indicators.items() if len(ind) == 1}
    for r in rows:
        op, lhs, rhs = r["op"], r["lhs"], r["rhs"]
        if r["user"] == 0:
            if std_lv and op == "~~" and lhs == rhs and lhs in names.lv:
                r["free"], r["ustart"] = 0, 1.0
            elif op == "~~" and lhs == rhs and lhs in singles and lhs not in names.lv:
                r["free"], r["ustart"] = 0, 0.0
            elif orthogonal and op == "~~" and lhs != rhs and lhs in names.lv and rhs in names.lv:
                r["free"], r["ustart"] = 0, 0.0
            elif op == "~1" and lhs in names.lv:
                r["free"], r["ustart"] = 0, 0.0
            if fixed_x and lhs in names.ov_x and (op == "~1" or (op == "~~" and rhs in names.ov_x)):
                r["free"], r["exo"] = 0, 1
        elif not std_lv and r is first_loading.get(lhs) and r["_fixed"] == "unset":
            r["free"], r["ustart"] = 0, 1.0
        if r["_fixed"] != "unset":
            if r["_fixed"] is None:  # NA*x: free
                r["free"], r["ustart"] = 1, np.nan
            else:
                r["free"], r["ustart"] = 0, float(r["_fixed"])
        del r["_fixed"]
    return rows


def _apply_group_equal(table: pd.DataFrame, group_equal, names: VariableNames, ngroups: int,
                       std_lv: bool) -> pd.DataFrame:
    """Cross-group equality by shared labels (lavaan's group.equal), and what it frees in later groups."""
    if ngroups == 1 or not group_equal:
        return table
    kinds = {"loadings": "=~", "intercepts": "~1", "regressions": "~", "residuals": "~~",
             "lv.variances": "~~", "lv.covariances": "~~", "means": "~1", "residual.covariances": "~~"}
    bad = [k for k in group_equal if k not in kinds]
    if bad:
        raise ValueError(f"The 'group_equal' parameter must name some of {sorted(kinds)}. Got {bad!r} instead.")
    table = table.copy()
    lv, ov = set(names.lv), set(names.ov)

    def selected(kind, r):
        if kind == "loadings":
            return r.op == "=~"
        if kind == "regressions":
            return r.op == "~"
        if kind == "intercepts":
            return r.op == "~1" and r.lhs in ov
        if kind == "means":
            return r.op == "~1" and r.lhs in lv
        if kind == "residuals":
            return r.op == "~~" and r.lhs == r.rhs and r.lhs in ov
        if kind == "residual.covariances":
            return r.op == "~~" and r.lhs != r.rhs and r.lhs in ov
        if kind == "lv.variances":
            return r.op == "~~" and r.lhs == r.rhs and r.lhs in lv
        return r.op == "~~" and r.lhs != r.rhs and r.lhs in lv

    for i, r in table.iterrows():
        if r.free == 0 or r.label:
            continue
        if any(selected(k, r) for k in group_equal):
            table.at[i, "label"] = f".{r.lhs}{r.op}{r.rhs}"
    # Equal intercepts identify latent means: free them after the first group, as lavaan does.
    if "intercepts" in group_equal and "means" not in group_equal:
        rows = (table.op == "~1") & table.lhs.isin(lv) & (table.group > 1) & (table.user == 0)
        table.loc[rows, ["free", "ustart"]] = [1, np.nan]
    if std_lv and "loadings" in group_equal and "lv.variances" not in group_equal:
        rows = (table.op == "~~") & (table.lhs == table.rhs) & table.lhs.isin(lv) & (table.group > 1) & \
            (table.user == 0)
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
