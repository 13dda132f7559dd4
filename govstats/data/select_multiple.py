"""KoboToolbox / ODK select_multiple answers split into one 0/1 column per option, merged back.

KoboToolbox's exports (and ODK Central's with "split select multiple") add, after the
question's own column of space-separated codes, one column per option: ``grp/Q/1``,
``Q/2`` or, with labels as headers, ``Q/其他``; each holds 1 (ticked) or 0. Reading merges
them into the question's column: when the question's column is absent, it is rebuilt from
them; when present, the option columns are checked against it, and every row where they
disagree is a located problem (the question's own column is kept). The option columns are
then dropped, and the read records which were merged.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from govstats.data import spec as sp

SEPARATORS = "/.-—:"
TICKED = {"1", "1.0", "true", "yes", "是", "y"}
NOT_TICKED = {"0", "0.0", "false", "no", "否", "n"}


def _option_code(option: str, spec: sp.ColumnSpec) -> int | None:
    option = option.strip()
    if re.fullmatch(r"[+-]?\d+", option) and int(option) in spec.codes:
        return int(option)
    return spec.labels.get(sp.normalize_label(option))


def split_columns(names: list[str], specs: dict) -> dict[str, list[tuple[int, int]]]:
    """``{question id: [(position, option code), ...]}`` for the option columns among ``names``."""
    multiple = [name for name, s in specs.items() if s.kind == "multiple_choice"]
    found: dict[str, list[tuple[int, int]]] = {}
    for k, name in enumerate(names):
        if name in specs:
            continue
        for q in multiple:
            at = name.rfind(q)
            while at >= 0:
                before_ok = at == 0 or name[at - 1] in SEPARATORS
                rest = name[at + len(q):]
                if before_ok and len(rest) > 1 and rest[0] in SEPARATORS:
                    code = _option_code(rest[1:], specs[q])
                    if code is not None:
                        found.setdefault(q, []).append((k, code))
                        break
                at = name.rfind(q, 0, at)
            else:
                continue
            break
    return found


def _state(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    s = str(v).strip()
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    low = s.casefold()
    return "1" if low in TICKED else "0" if low in NOT_TICKED else ("" if not s else "?")


def merge(names: list[str], data: pd.DataFrame, specs: dict, header: list[str], rows: np.ndarray,
          header_row: int) -> tuple[list[str], pd.DataFrame, dict, list[dict]]:
    """Names and data with the option columns merged into their question's column.

    Returns the new names and data, ``{question id: [option headers merged]}`` and the
    problems (rows where the option columns and the question's column disagree, or an option
    column holds something other than 1/0).
    """
    groups = split_columns(names, specs)
    if not groups:
        return names, data, {}, []
    problems: list[dict] = []
    merged: dict[str, list[str]] = {}
    drop: set[int] = set()
    data = data.copy()
    data.columns = range(data.shape[1])
    names = list(names)
    for q, members in groups.items():
        order = {c: j for j, c in enumerate(specs[q].codes)}
        members = sorted(members, key=lambda m: order.get(m[1], 0))
        states = {k: [_state(v) for v in data[k].tolist()] for k, _ in members}
        built: list = []
        for i in range(len(data)):
            cells = [(code, states[k][i], header[k]) for k, code in members]
            odd = [f"{h}={data.iloc[i, k]}" for (code, s, h), (k, _) in zip(cells, members) if s == "?"]
            if odd:
                built.append("; ".join(odd))
            elif all(s == "" for _, s, _ in cells):
                built.append(None)
            else:
                built.append(" ".join(str(code) for code, s, _ in cells if s == "1"))
        if q in names:
            k = names.index(q)
            own = data[k].tolist()
            for i, (mine, theirs) in enumerate(zip(own, built)):
                if theirs is None or (isinstance(theirs, str) and "=" in theirs):
                    if theirs is not None:
                        problems.append(_problem(rows[i], q, f"option columns hold {theirs!r}, not 1 or 0"))
                    continue
                if _codes(mine, specs[q]) != set(theirs.split()):
                    problems.append(_problem(rows[i], q, f"the option columns say '{theirs or '(none)'}', the "
                                                         f"question's column says '{'' if mine is None else mine}'"))
        else:
            first = members[0][0]
            data[first] = pd.Series(built, index=data.index, dtype=object)
            names[first] = q
            members = members[1:]
        drop |= {k for k, _ in members}
        merged[q] = [header[k] for k, _ in groups[q]]
    keep = [k for k in range(len(names)) if k not in drop]
    return [names[k] for k in keep], data[keep].set_axis(range(len(keep)), axis=1), merged, problems


def _codes(value, spec: sp.ColumnSpec) -> set[str]:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return set()
    out = set()
    for token in str(value).split():
        code = _option_code(token, spec)
        out.add(str(code) if code is not None else token)
    return out


def _problem(row, column: str, message: str) -> dict:
    return {"row": int(row), "column": column, "rule": "multiple-mismatch", "message": message}
