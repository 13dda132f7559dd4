"""A readable text account of an instrument (``govstats instrument show``)."""

from __future__ import annotations

import textwrap


def describe(instrument, lang: str = "en") -> str:
    other = "zh" if lang == "en" else "en"
    out = [
        f"{instrument.title.get(lang)}",
        f"{instrument.title.get(other)}",
        f"id: {instrument.id}   version: {instrument.version}   source: {instrument.source}",
        f"provenance: {instrument.provenance.citation}",
        "",
        f"Constructs ({len(instrument.constructs)}; {len(instrument.items)} items):",
    ]
    for c in instrument.constructs:
        out.append(f"  {c.id:<5} {c.role:<9} {c.name.get(lang)} / {c.name.get(other)}   "
                   f"[{len(c.items)} items, ICC {c.icc:.2f}]")
        for item in c.items:
            flag = " (reversed)" if item.reverse else ""
            line = textwrap.shorten(f"{item.loading:.2f}{flag} {item.text.get(lang)}", width=96,
                                    placeholder=" ...")
            out.append(f"      {item.id:<7} {line}")
    if instrument.attention_checks:
        out += ["", "Attention checks:"]
        for a in instrument.attention_checks:
            out.append(f"  {a.id} (after {a.after}; correct: {a.correct} = "
                       f"{a.scale.label_of(a.correct, lang)})")
    if instrument.questions:
        out += ["", "Other questions:"]
        for q in instrument.questions:
            extra = ""
            if q.choices:
                extra = f" codes {q.codes[0]}..{q.codes[-1]}"
            elif q.min is not None or q.max is not None:
                extra = f" range {q.min:g}..{q.max:g}" if None not in (q.min, q.max) else ""
            if q.ask_if:
                extra += f" (if {q.ask_if.question} in {list(q.ask_if.codes)})"
            out.append(f"  {q.id:<20} {q.type:<16}{extra}  {q.text.get(lang)}")
    out += ["", "Structural model (population standardized coefficients):"]
    if not instrument.model.paths:
        out.append("  (measurement model only)")
    for outcome in instrument.model.outcomes:
        terms = ", ".join(f"{p.predictor} {p.coefficient:+.2f}" for p in instrument.model.predictors_of(outcome))
        out.append(f"  {outcome} <- {terms}")
    exogenous = [c.id for c in instrument.modeled_constructs if c.id not in instrument.model.outcomes]
    if len(exogenous) > 1:
        pairs = [(a, b) for i, a in enumerate(exogenous) for b in exogenous[i + 1:]]
        out.append("  correlations among exogenous constructs: " + ", ".join(
            f"{a}~~{b} {instrument.model.correlation(a, b):.2f}" for a, b in pairs))
    from govstats.instrument.validation_section import validation_lines

    out += [""] + validation_lines(instrument)
    out += ["", "lavaan syntax:", textwrap.indent(instrument.model_syntax(), "  ")]
    return "\n".join(out)
