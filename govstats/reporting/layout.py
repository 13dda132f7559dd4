"""Where each construct of a path diagram goes: columns left to right, rows top to bottom.

With an instrument the columns follow the constructs' roles as the theory reads (influencing
factors, mechanisms, outcomes); constructs of one role that predict each other get
sub-columns, so that no arrow runs inside a column. Without roles (plain model syntax) the
column is the longest chain of regressions leading to the construct (a layered, Sugiyama-style
layout). Rows are ordered by the mean row of each construct's predictors (barycentres), which
removes most crossings in models of this size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

ROLE_ORDER = ("factor", "mechanism", "outcome")


def forward_edges(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """``edges`` without those that close a feedback loop (the back edges of a depth-first search
    from the nodes in their order), so that the rest can be layered."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        if a in succ and b in succ and a != b:
            succ[a].append(b)
    state: dict[str, int] = {}  # 1: on the search path, 2: done
    back: set[tuple[str, str]] = set()

    def search(n: str) -> None:
        state[n] = 1
        for m in succ[n]:
            if state.get(m) == 1:
                back.add((n, m))
            elif m not in state:
                search(m)
        state[n] = 2

    for n in nodes:
        if n not in state:
            search(n)
    return [(a, b) for a, b in edges if a in succ and b in succ and a != b and (a, b) not in back]


def depths(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest chain of ``edges`` (predictor, outcome) ending at each node, after setting aside
    the edges that close a feedback loop."""
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in forward_edges(nodes, edges):
        preds[b].append(a)
    out: dict[str, int] = {}

    def visit(n: str) -> int:
        if n not in out:
            out[n] = max((visit(p) + 1 for p in preds[n]), default=0)
        return out[n]

    for n in nodes:
        visit(n)
    return out


def columns(nodes: Sequence[str], edges: Sequence[tuple[str, str]],
            roles: Mapping[str, str] | None = None) -> dict[str, int]:
    """Column of each node: by role, then by depth inside the role; by depth without roles."""
    if not roles:
        return depths(nodes, edges)
    rank = {n: ROLE_ORDER.index(roles[n]) if roles.get(n) in ROLE_ORDER else None for n in nodes}
    # a construct without one of the three roles goes where its predictors put it
    overall = depths(nodes, edges)
    for n in nodes:
        if rank[n] is None:
            rank[n] = min(overall[n], len(ROLE_ORDER) - 1)
    out: dict[str, int] = {}
    start = 0
    for r in range(len(ROLE_ORDER)):
        members = [n for n in nodes if rank[n] == r]
        if not members:
            continue
        inner = depths(members, [(a, b) for a, b in edges if a in members and b in members])
        for n in members:
            out[n] = start + inner[n]
        start += max(inner.values()) + 1
    return out


def layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]],
           roles: Mapping[str, str] | None = None) -> dict[str, tuple[int, float]]:
    """(column, row) of each node; rows are centred on 0 in every column, row 0 is the top."""
    col = columns(nodes, edges, roles)
    n_cols = max(col.values()) + 1 if col else 0
    order = {c: [n for n in nodes if col[n] == c] for c in range(n_cols)}
    preds: dict[str, list[str]] = {n: [a for a, b in edges if b == n and a in col] for n in nodes}
    succs: dict[str, list[str]] = {n: [b for a, b in edges if a == n and b in col] for n in nodes}

    def centred(c: int) -> dict[str, float]:
        members = order[c]
        return {n: i - (len(members) - 1) / 2 for i, n in enumerate(members)}

    def position() -> dict[str, float]:
        pos: dict[str, float] = {}
        for c in range(n_cols):
            pos.update(centred(c))
        return pos

    # two sweeps: right (by predictors) then left (by outcomes), keeping the given order on ties
    for neighbours, cols in ((preds, range(1, n_cols)), (succs, range(n_cols - 2, -1, -1)),
                             (preds, range(1, n_cols))):
        for c in cols:
            pos = position()
            key = {n: (sum(pos[m] for m in neighbours[n]) / len(neighbours[n]) if neighbours[n] else pos[n])
                   for n in order[c]}
            order[c] = sorted(order[c], key=lambda n: (key[n], order[c].index(n)))
    pos = position()
    return {n: (col[n], pos[n]) for n in nodes}
