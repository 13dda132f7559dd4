"""What changed between two versions of an instrument (``govstats instrument diff OLD NEW``).

Items are matched by id (the column name in the data): an item whose id changed shows as one
dropped and one added. Compared: items added and dropped, wording (zh and en separately),
the construct an item belongs to, its scale (id, points and their labels, missing codes) and
reverse keying; constructs added, dropped or renamed; structural paths and exogenous
correlations added or dropped. Population values (loadings, coefficients) are simulation
settings, not the questionnaire, and are not compared.
"""

from __future__ import annotations

import textwrap

import pandas as pd

COLUMNS = ["change", "construct", "item", "old", "new"]


def _scale_text(scale) -> str:
    points = "; ".join(f"{p.code} {p.label.zh}/{p.label.en}" for p in scale.points)
    missing = "; ".join(f"{p.code} {p.label.en}" for p in scale.missing)
    return f"{scale.id} ({points})" + (f", missing: {missing}" if missing else "")


def _text(t) -> str:
    return f"{t.zh} / {t.en}"


def diff_instruments(old, new) -> pd.DataFrame:
    """The changes from ``old`` to ``new`` (two Instruments), one row each.

    Returns
    -------
    DataFrame
        ``change, construct, item, old, new``; ``change`` is one of ``version``, ``construct
        added``, ``construct dropped``, ``construct renamed``, ``item added``, ``item dropped``,
        ``reworded (zh)``, ``reworded (en)``, ``moved``, ``scale changed``, ``reverse keying``,
        ``path added``, ``path dropped``, ``correlation added``, ``correlation dropped``.

    Examples
    --------
    >>> from dataclasses import replace
    >>> from govstats import load_instrument
    >>> from govstats.instrument.diff import diff_instruments
    >>> from govstats.resources import seed_instrument_path
    >>> old = load_instrument(seed_instrument_path("grid_governance"))
    >>> c = old.constructs[0]
    >>> new = replace(old, version="1.1.0", constructs=(replace(c, items=c.items[:-1]),) + old.constructs[1:])
    >>> diff_instruments(old, new)[["change", "item"]].values.tolist()
    [['version', ''], ['item dropped', 'VS4']]
    """
    rows = []
    add = lambda change, construct="", item="", a="", b="": rows.append(  # noqa: E731
        {"change": change, "construct": construct, "item": item, "old": a, "new": b})
    if old.version != new.version:
        add("version", a=old.version, b=new.version)
    oc, nc = {c.id: c for c in old.constructs}, {c.id: c for c in new.constructs}
    for cid in nc.keys() - oc.keys():
        add("construct added", cid, b=_text(nc[cid].name))
    for cid in oc.keys() - nc.keys():
        add("construct dropped", cid, a=_text(oc[cid].name))
    for cid in oc.keys() & nc.keys():
        if oc[cid].name != nc[cid].name:
            add("construct renamed", cid, a=_text(oc[cid].name), b=_text(nc[cid].name))
    oi, ni = {i.id: i for i in old.items}, {i.id: i for i in new.items}
    for it in old.items:
        if it.id not in ni:
            add("item dropped", it.construct, it.id, a=_text(it.text))
            continue
        n = ni[it.id]
        for lang in ("zh", "en"):
            if getattr(it.text, lang) != getattr(n.text, lang):
                add(f"reworded ({lang})", n.construct, it.id, getattr(it.text, lang), getattr(n.text, lang))
        if it.construct != n.construct:
            add("moved", n.construct, it.id, it.construct, n.construct)
        if (it.scale.id, it.scale.points, it.scale.missing) != (n.scale.id, n.scale.points, n.scale.missing):
            add("scale changed", n.construct, it.id, _scale_text(it.scale), _scale_text(n.scale))
        if it.reverse != n.reverse:
            add("reverse keying", n.construct, it.id, "reversed" if it.reverse else "not reversed",
                "reversed" if n.reverse else "not reversed")
    for it in new.items:
        if it.id not in oi:
            add("item added", it.construct, it.id, b=_text(it.text))
    op = {(p.outcome, p.predictor) for p in old.model.paths}
    np_ = {(p.outcome, p.predictor) for p in new.model.paths}
    for o, p in sorted(np_ - op):
        add("path added", o, b=f"{o} ~ {p}")
    for o, p in sorted(op - np_):
        add("path dropped", o, a=f"{o} ~ {p}")
    ocor, ncor = set(old.model.correlations), set(new.model.correlations)
    for pair in sorted(ncor - ocor, key=sorted):
        add("correlation added", b=" ~~ ".join(sorted(pair)))
    for pair in sorted(ocor - ncor, key=sorted):
        add("correlation dropped", a=" ~~ ".join(sorted(pair)))
    return pd.DataFrame(rows, columns=COLUMNS)


def diff_text(old, new, width: int = 100) -> str:
    """The changes as a readable table: one line per change, old and new wording below it."""
    table = diff_instruments(old, new)
    head = f"Changes from {old.id} {old.version} ({old.source}) to {new.id} {new.version} ({new.source})"
    if table.empty:
        return head + "\n  no changes to items, scales, constructs or the structural model"
    lines = [head, f"  {'change':<20} {'construct':<10} {'item':<8} detail", "  " + "-" * (width - 2)]
    for r in table.itertuples():
        first = f"  {r.change:<20} {r.construct:<10} {r.item:<8} "
        if r.change in ("version", "moved", "reverse keying"):
            lines.append(first + f"{r.old} -> {r.new}")
        elif r.old and r.new:
            lines.append(first.rstrip())
            for label, value in (("old", r.old), ("new", r.new)):
                lines += textwrap.wrap(value, width - 10, initial_indent=f"      {label}: ",
                                       subsequent_indent=" " * 11) or [f"      {label}:"]
        else:
            lines.append(first + textwrap.shorten(r.old or r.new, width - len(first), placeholder=" ..."))
    counts = table["change"].value_counts()
    lines.append("  " + "-" * (width - 2))
    lines.append("  " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    return "\n".join(lines)
