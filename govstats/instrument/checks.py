"""Rules that relate the parts of an instrument to each other, one rule per function.

Each rule takes the parsed :class:`~govstats.instrument.parse.Draft` and records problems
through the reader of the file where the offending value was written. The rules run in
the order of ``RULES``; the population rules skip what an earlier rule already reported.
"""

from __future__ import annotations

import numpy as np

from govstats.instrument.model import CHOICE_TYPES
from govstats.instrument.parse import Draft, Located
from govstats.instrument.population import propagate, topological_order

MIN_ITEMS = 3


def _report(draft: Draft, located: Located | None, code: str, message: str, hint: str, suffix=()) -> None:
    if located is None:  # fall back on the instrument file's root
        located = Located(draft.header["reader"], ())
    located.reader.add(code, located.loc + tuple(suffix), message, hint)


def _modeled_ids(draft: Draft) -> list[str]:
    in_paths = {p.outcome for p in draft.paths} | {p.predictor for p in draft.paths}
    return [c.id for c in draft.constructs if c.role != "other" or c.id in in_paths]


def check_model_references(draft: Draft) -> None:
    """Paths and correlations name constructs that exist."""
    for p in draft.paths:
        for name in (p.outcome, p.predictor):
            if name not in draft.declared_constructs:
                known = ", ".join(c.id for c in draft.constructs)
                _report(draft, draft.where.get(("path", p.outcome, p.predictor)), "unknown-reference",
                        f"The path {p.outcome} ~ {p.predictor} names '{name}', which is not a construct.",
                        f"Use a construct id (known: {known}).")
    outcomes = {p.outcome for p in draft.paths}
    for pair in draft.correlations:
        a, b = sorted(pair) * (2 if len(pair) == 1 else 1)
        where = draft.where.get(("correlation", a, b)) or draft.where.get(("correlation", b, a))
        if a == b:
            _report(draft, where, "invalid-value", f"'{a} ~~ {a}' pairs a construct with itself.",
                    "Latent variances are 1 by definition; pair two different constructs.")
            continue
        for name in (a, b):
            if name not in draft.declared_constructs:
                _report(draft, where, "unknown-reference", f"The correlation {a} ~~ {b} names '{name}', "
                        "which is not a construct.", "Use construct ids.")
            elif name in outcomes:
                _report(draft, where, "invalid-value", f"'{name}' is predicted by paths, so its correlations "
                        "follow from the model and cannot be set.",
                        "Set correlations only between exogenous constructs.")


def check_attention_placement(draft: Draft) -> None:
    """An attention check is shown after a construct that exists."""
    for a in draft.attention_checks:
        if a.after not in draft.declared_constructs:
            _report(draft, draft.where.get(("attention", a.id)), "unknown-reference",
                    f"Attention check '{a.id}' is placed after '{a.after}', which is not a construct.",
                    "Set 'after' to the id of the construct it follows.", ("after",))


def check_ask_if(draft: Draft) -> None:
    """``ask_if`` refers to an earlier choice question and to codes it has."""
    seen = {}
    for q in draft.questions:
        if q.ask_if is not None:
            target = seen.get(q.ask_if.question)
            where = draft.where.get(("question", q.id))
            if target is None:
                _report(draft, where, "unknown-reference", f"Question '{q.id}' depends on "
                        f"'{q.ask_if.question}', which is not a question asked before it.",
                        "Refer to a choice question that comes earlier in the form.", ("ask_if", "question"))
            elif target.type not in CHOICE_TYPES:
                _report(draft, where, "invalid-value", f"Question '{q.id}' depends on '{target.id}', "
                        f"a {target.type} question.", "ask_if needs a single or multiple choice question.",
                        ("ask_if", "question"))
            else:
                bad = sorted(set(q.ask_if.codes) - set(target.codes))
                if bad:
                    _report(draft, where, "unknown-reference", f"Codes {bad} in ask_if of '{q.id}' are not "
                            f"choices of '{target.id}' (codes {list(target.codes)}).",
                            "Use codes of that question.", ("ask_if", "in"))
        seen[q.id] = q


def check_design(draft: Draft) -> None:
    """The design's community, street, district and role name questions."""
    ids = {q.id for q in draft.questions} | {k[1] for k in draft.where if k[0] == "question"}
    for key, qid in draft.design.items():
        if qid not in ids:
            _report(draft, draft.where.get(("design", key)), "unknown-reference",
                    f"The design's {key} question '{qid}' is not a question of this instrument.",
                    "Name a question defined here or in an included block.")


def check_item_counts(draft: Draft) -> None:
    """A construct in the model has at least 3 items."""
    for c in draft.constructs:
        if c.id in _modeled_ids(draft) and len(c.items) < MIN_ITEMS:
            _report(draft, draft.where.get(("construct", c.id)), "too-few-items",
                    f"Construct '{c.id}' has {len(c.items)} item(s); a construct in the model needs at "
                    f"least {MIN_ITEMS}.", "Add items, or give it role 'other' and keep it out of the paths.",
                    ("items",))


def check_reverse_ordinal(draft: Draft) -> None:
    """Only items on an ordered scale can be reverse-coded."""
    for c in draft.constructs:
        for item in c.items:
            if item.reverse and not item.scale.ordered:
                _report(draft, draft.where.get(("item", item.id)), "reverse-non-ordinal",
                        f"Item '{item.id}' is reverse-coded but its scale '{item.scale.id}' is "
                        f"{item.scale.type}, not ordered.",
                        "Use an ordered scale (likert, frequency, ordinal) or remove 'reverse'.", ("reverse",))


def check_distributions(draft: Draft) -> None:
    """Scale and item proportions or thresholds fit their scale."""
    for sid, scale in draft.scales.items():
        where = draft.where[("scale", sid)]
        if where.raw is not None:
            _check_distribution(draft, where, where.raw, len(scale.points), f"scale '{sid}'")
    for c in draft.constructs:
        for item in c.items:
            where = draft.where[("item", item.id)]
            if where.raw is not None:
                _check_distribution(draft, where, where.raw, len(item.scale.points), f"item '{item.id}'")


def _check_distribution(draft: Draft, where: Located, spec, n: int, what: str) -> bool:
    kind, values = spec
    suffix = ("population", kind)
    if kind == "proportions":
        if len(values) != n:
            _report(draft, where, "population-out-of-range", f"{len(values)} proportions for the {n} points "
                    f"of {what}.", "Give one share per point, in code order.", suffix)
        elif min(values) <= 0 or abs(sum(values) - 1) > 1e-6:
            _report(draft, where, "population-out-of-range", f"The proportions of {what} must be positive and "
                    f"sum to 1 (they sum to {sum(values):.4g}).", "Correct the shares.", suffix)
        else:
            return True
    else:
        if len(values) != n - 1:
            _report(draft, where, "population-out-of-range", f"{len(values)} thresholds for the {n} points "
                    f"of {what}; it needs {n - 1}.", "Give one cut point between each pair of points.", suffix)
        elif any(b <= a for a, b in zip(values, values[1:])):
            _report(draft, where, "population-out-of-range", f"The thresholds of {what} must increase.",
                    "Order the cut points from lowest to highest.", suffix)
        else:
            return True
    where.raw = None  # reported: resolution falls back on the default
    return False


def check_loadings(draft: Draft) -> None:
    """Standardized loadings lie strictly between -1 and 1 and are not 0."""
    default = draft.defaults["loading"]
    hint = "Give a value such as 0.70 (most items: 0.60 to 0.85)."
    if not 0 < abs(default) < 1:
        _report(draft, draft.where.get(("default", "loading")), "population-out-of-range",
                f"The default loading {default:g} must satisfy 0 < |loading| < 1.", hint)
    for c in draft.constructs:
        for item in c.items:
            if item.loading != default and not 0 < abs(item.loading) < 1:
                _report(draft, draft.where.get(("item", item.id)), "population-out-of-range",
                        f"Item '{item.id}' has standardized loading {item.loading:g}; it must satisfy "
                        "0 < |loading| < 1.", hint, ("loading",))


def check_iccs(draft: Draft) -> None:
    """Community ICCs lie in [0, 1)."""
    default = draft.defaults["icc"]
    hint = "Community ICCs are usually 0.05 to 0.15."
    if not 0 <= default < 1:
        _report(draft, draft.where.get(("default", "icc")), "population-out-of-range",
                f"The default community ICC {default:g} must lie in [0, 1).", hint)
    for c in draft.constructs:
        if c.icc != default and not 0 <= c.icc < 1:
            _report(draft, draft.where.get(("construct", c.id)), "population-out-of-range",
                    f"Construct '{c.id}' has community ICC {c.icc:g}; it must lie in [0, 1).", hint, ("icc",))


def check_coefficients(draft: Draft) -> None:
    """Standardized path coefficients lie strictly between -1 and 1."""
    for p in draft.paths:
        if not abs(p.coefficient) < 1:
            _report(draft, draft.where.get(("path", p.outcome, p.predictor)), "population-out-of-range",
                    f"The path {p.outcome} ~ {p.predictor} has standardized coefficient {p.coefficient:g}; "
                    "it must lie between -1 and 1.", "Typical values are 0.15 to 0.50 in absolute value.")


def check_correlation_values(draft: Draft) -> None:
    """Correlations lie strictly between -1 and 1."""
    items = [(("correlation", "default"), draft.default_correlation)]
    items += [(("correlation", *sorted(k)), v) for k, v in draft.correlations.items()]
    for key, v in items:
        if not abs(v) < 1:
            where = draft.where.get(key) or draft.where.get((key[0],) + tuple(reversed(key[1:])))
            _report(draft, where, "population-out-of-range", f"Correlation {v:g} is outside (-1, 1).",
                    "Give a correlation strictly between -1 and 1.")


def check_recursive(draft: Draft) -> None:
    """No construct predicts itself through a chain of paths."""
    nodes = sorted({p.outcome for p in draft.paths} | {p.predictor for p in draft.paths})
    if topological_order(nodes, draft.paths) is None:
        cycle = _find_cycle(nodes, draft.paths)
        _report(draft, draft.where.get(("model",)), "cyclic-model",
                f"The paths form a loop: {' -> '.join(cycle)}.",
                "The model must be recursive: remove a path of the loop.")


def _find_cycle(nodes, paths) -> list[str]:
    succ = {n: [p.outcome for p in paths if p.predictor == n] for n in nodes}
    for start in nodes:
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in succ[node]:
                if nxt == start:
                    return trail + [start]
                if nxt not in trail:
                    stack.append((nxt, trail + [nxt]))
    return []


def _population_ready(draft: Draft) -> bool:
    """The latent-level rules need paths and values that passed the rules above."""
    blocking = {"population-out-of-range", "unknown-reference", "cyclic-model", "invalid-value"}
    root = draft.header["reader"].source.path
    if any(p.code in blocking and p.file == root and p.location.startswith(("model", "population"))
           for p in draft.problems):
        return False
    parsed = {c.id for c in draft.constructs}
    return all(p.outcome in parsed and p.predictor in parsed for p in draft.paths)


def check_correlation_pd(draft: Draft) -> None:
    """The exogenous constructs' correlation matrix is positive definite."""
    if not _population_ready(draft):
        return
    outcomes = {p.outcome for p in draft.paths}
    exo = [c for c in _modeled_ids(draft) if c not in outcomes]
    if len(exo) < 2:
        return
    corr = lambda a, b: 1.0 if a == b else draft.correlations.get(frozenset((a, b)), draft.default_correlation)
    m = np.array([[corr(a, b) for b in exo] for a in exo])
    smallest = float(np.linalg.eigvalsh(m).min())
    if smallest <= 1e-8:
        where = draft.where.get(("correlations",)) or draft.where.get(("model",))
        _report(draft, where, "correlation-not-pd", f"The correlations among the exogenous constructs "
                f"{', '.join(exo)} are not positive definite (smallest eigenvalue {smallest:.3g}); no "
                "population has them.", "Make the correlations less extreme or more consistent with each other.")


def check_latent_variances(draft: Draft) -> None:
    """Paths into a construct explain less than its whole (unit) variance."""
    if not _population_ready(draft) or any(p.code == "correlation-not-pd" for p in draft.problems):
        return
    corr = lambda a, b: draft.correlations.get(frozenset((a, b)), draft.default_correlation)
    result = propagate(_modeled_ids(draft), draft.paths, corr)
    if result is None:
        return
    for outcome, explained in result[2].items():
        if explained >= 1:
            terms = " + ".join(f"{p.coefficient:g}*{p.predictor}" for p in draft.paths if p.outcome == outcome)
            first = next(p for p in draft.paths if p.outcome == outcome)
            where = draft.where.get(("path", first.outcome, first.predictor))
            if where is not None:
                where = Located(where.reader, where.loc[:-1])
            _report(draft, where, "latent-variance-above-one", f"The paths into '{outcome}' ({terms}) explain "
                    f"{explained:.3f} of its variance; with latent variances fixed at 1 they must explain "
                    "less than 1.", "Lower the coefficients into this construct (or the correlations among "
                    "its predictors).")


RULES = (
    check_model_references,
    check_attention_placement,
    check_ask_if,
    check_design,
    check_item_counts,
    check_reverse_ordinal,
    check_distributions,
    check_loadings,
    check_iccs,
    check_coefficients,
    check_correlation_values,
    check_recursive,
    check_correlation_pd,
    check_latent_variances,
)


def run_checks(draft: Draft) -> None:
    if "reader" not in draft.header:  # the file itself could not be read: nothing to relate
        return
    for rule in RULES:
        rule(draft)
