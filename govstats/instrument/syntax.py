"""lavaan-style model syntax from an instrument."""

from __future__ import annotations


def model_syntax(instrument, std_lv: bool = False) -> str:
    """Measurement part (one ``=~`` line per modeled construct) and structural part (``~``).

    lavaan fixes the first loading of each factor to 1 unless ``std.lv = TRUE``. A
    reverse-coded item is stored as answered, so it loads negatively; as the marker it
    would flip the factor's sign. The marker is therefore the first item that is not
    reverse-coded, which keeps every factor in its construct's direction.
    """
    lines = [f"# {instrument.id} {instrument.version}: measurement model"]
    for c in instrument.modeled_constructs:
        items = list(c.items)
        if not std_lv:
            forward = [i for i in items if not i.reverse]
            if forward:
                items.remove(forward[0])
                items.insert(0, forward[0])
        lines.append(f"{c.id} =~ " + " + ".join(i.id for i in items))
    if instrument.model.paths:
        lines.append("# structural model")
        for outcome in instrument.model.outcomes:
            preds = [p.predictor for p in instrument.model.predictors_of(outcome)]
            lines.append(f"{outcome} ~ " + " + ".join(preds))
    return "\n".join(lines) + "\n"
