"""Turn an instrument file and its blocks into a :class:`Draft`, recording every problem.

This module checks the *shape* of the files (types, keys, ids, translations, scale
references, includes). Rules that relate parts to each other (model references, item
counts, population values) live in :mod:`govstats.instrument.checks`, which runs on the
draft. The draft keeps raw population values unresolved so the checks can see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path as FilePath

from govstats.errors import Problem
from govstats.instrument.model import (
    CHOICE_TYPES,
    NUMERIC_TYPES,
    PLACEMENTS,
    QUESTION_TYPES,
    ROLES,
    SCALE_TYPES,
    AskIf,
    AttentionCheck,
    Consent,
    Construct,
    Item,
    Metadata,
    Path,
    Provenance,
    Question,
    Scale,
)
from govstats.instrument.reader import Reader
from govstats.instrument.yaml_source import Loc, read_yaml

INSTRUMENT_REQUIRED = ("id", "version", "title", "description", "provenance", "consent", "constructs")
INSTRUMENT_OPTIONAL = ("metadata", "design", "include", "scales", "questions", "attention_checks",
                       "model", "population", "validation")
BLOCK_REQUIRED = ("block",)
BLOCK_OPTIONAL = ("version", "placement", "description", "include", "scales", "questions")
DESIGN_KEYS = ("community", "street", "district", "role")
DEFAULT_LOADING = 0.70
DEFAULT_ICC = 0.10
DEFAULT_COEFFICIENT = 0.30
DEFAULT_CORRELATION = 0.30


@dataclass
class Located:
    """Where a thing was defined, and the raw population value found there (if any)."""

    reader: Reader
    loc: Loc
    raw: object = None


@dataclass
class Draft:
    """Everything parsed from an instrument and its blocks, before the cross-part checks."""

    path: str
    problems: list[Problem]
    header: dict = field(default_factory=dict)
    scales: dict[str, Scale] = field(default_factory=dict)
    questions: list[Question] = field(default_factory=list)
    constructs: list[Construct] = field(default_factory=list)
    attention_checks: list[AttentionCheck] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)
    correlations: dict[frozenset, float] = field(default_factory=dict)
    default_correlation: float = DEFAULT_CORRELATION
    defaults: dict = field(default_factory=lambda: {"loading": DEFAULT_LOADING, "icc": DEFAULT_ICC})
    design: dict[str, str] = field(default_factory=dict)
    includes: list[str] = field(default_factory=list)
    # (kind, id, ...) -> Located: lets a check point at the line a thing came from.
    where: dict = field(default_factory=dict)
    # construct ids in the order declared, including ones whose parse failed, so that
    # references to them are not reported twice.
    declared_constructs: set = field(default_factory=set)
    # the evidence behind each version (govstats.instrument.validation_section)
    validation: tuple = ()


def parse_instrument(path: str | FilePath) -> Draft:
    problems: list[Problem] = []
    draft = Draft(str(path), problems)
    source, read_problems = read_yaml(FilePath(path))
    problems += read_problems
    if source is None:
        return draft
    r = Reader(source, problems)
    top = r.mapping(source.data, (), "The instrument file")
    if top is None:
        return draft
    if "block" in top:
        r.add("invalid-value", ("block",), "This file is a shared block, not an instrument.",
              "Check instruments that include it; only instrument files are loaded directly.")
        return draft
    r.fields(top, (), "The instrument", INSTRUMENT_REQUIRED, INSTRUMENT_OPTIONAL)
    _parse_header(r, top, draft)

    # Blocks first: their scales are visible to the instrument's own items.
    start_block_q, end_block_q = [], []
    if "include" in top:
        stack = [str(FilePath(path).resolve())]
        _parse_includes(r, top["include"], ("include",), FilePath(path).parent, stack, set(),
                        draft, start_block_q, end_block_q)
    if "scales" in top:
        _parse_scales(r, top["scales"], ("scales",), draft)
    own_q = _parse_questions(r, top.get("questions"), ("questions",), draft, None, "start")
    draft.questions = (start_block_q + [q for q in own_q if q.placement == "start"]
                       + [q for q in own_q if q.placement == "end"] + end_block_q)
    if "population" in top:  # before the constructs: it holds their defaults
        _parse_population_defaults(r, top["population"], ("population",), draft)
    if "constructs" in top:
        _parse_constructs(r, top["constructs"], ("constructs",), draft)
    if "attention_checks" in top:
        _parse_attention(r, top["attention_checks"], ("attention_checks",), draft)
    if "model" in top:
        _parse_model(r, top["model"], ("model",), draft)
    if "validation" in top:
        from govstats.instrument.validation_section import parse_validation

        items = {i.id for c in draft.constructs for i in c.items}
        draft.validation = parse_validation(r, top["validation"], ("validation",), items, draft.header.get("version"))
    return draft


# -- header ---------------------------------------------------------------------------------
def _parse_header(r: Reader, top: dict, draft: Draft) -> None:
    h = draft.header
    h["reader"] = r
    if "id" in top:
        h["id"] = r.ident(top["id"], ("id",), "The instrument id")
    if "version" in top:
        h["version"] = r.string(top["version"], ("version",), "The version")
    for key in ("title", "description"):
        if key in top:
            h[key] = r.text(top[key], (key,), f"The {key}")
    if "provenance" in top:
        m = r.mapping(top["provenance"], ("provenance",), "The provenance")
        if m is not None:
            r.fields(m, ("provenance",), "The provenance", ("citation",), ("source", "note"))
            citation = r.string(m["citation"], ("provenance", "citation"), "The citation") \
                if "citation" in m else None
            source = r.string(m["source"], ("provenance", "source"), "The source") if "source" in m else None
            note = r.text(m["note"], ("provenance", "note"), "The provenance note") if "note" in m else None
            if citation:
                h["provenance"] = Provenance(citation, source, note)
    if "consent" in top:
        m = r.mapping(top["consent"], ("consent",), "The consent")
        if m is not None:
            r.fields(m, ("consent",), "The consent", ("text",), ("id",))
            cid = r.ident(m["id"], ("consent", "id"), "The consent id") if "id" in m else "consent"
            text = r.text(m["text"], ("consent", "text"), "The consent text") if "text" in m else None
            if cid and text:
                h["consent"] = Consent(cid, text)
                draft.where[("column", cid)] = Located(r, ("consent", "id"))
    meta = {}
    if "metadata" in top:
        m = r.mapping(top["metadata"], ("metadata",), "The metadata")
        if m is not None:
            r.fields(m, ("metadata",), "The metadata", (), ("respondent_id", "start", "end"))
            for key in ("respondent_id", "start", "end"):
                if key in m:
                    v = r.ident(m[key], ("metadata", key), f"The {key} column")
                    if v:
                        meta[key] = v
    h["metadata"] = Metadata(**meta)
    for key, column in vars(h["metadata"]).items():
        draft.where[("column", column)] = Located(r, ("metadata", key))
    if "design" in top:
        m = r.mapping(top["design"], ("design",), "The design")
        if m is not None:
            r.fields(m, ("design",), "The design", (), DESIGN_KEYS)
            for key in DESIGN_KEYS:
                if key in m:
                    v = r.ident(m[key], ("design", key), f"The design's {key} question")
                    if v:
                        draft.design[key] = v
                        draft.where[("design", key)] = Located(r, ("design", key))


# -- blocks ---------------------------------------------------------------------------------
def _parse_includes(r: Reader, value: object, loc: Loc, base: FilePath, stack: list, done: set,
                    draft: Draft, start_q: list, end_q: list) -> None:
    seq = r.sequence(value, loc, "include")
    if seq is None:
        return
    for i, entry in enumerate(seq):
        name = r.string(entry, loc + (i,), "An included block")
        if name is None:
            continue
        target = _include_target(r, name, base, loc + (i,))
        if target is None:
            continue
        key = str(target)
        if key in stack:
            chain = " -> ".join(FilePath(p).name for p in stack[stack.index(key):] + [key])
            r.add("include-cycle", loc + (i,), f"Blocks include each other: {chain}.",
                  "Remove one of the includes so that no block includes itself.")
            continue
        if key in done:  # a block reached twice (diamond): its content is already there
            continue
        source, problems = read_yaml(target)
        if source is not None:
            draft.problems.extend(problems)  # problems that do not stop reading (duplicate keys)
        if source is None:
            for p in problems:
                if p.code == "file-not-found":
                    r.add("file-not-found", loc + (i,), f"The included block '{name}' does not exist "
                          f"(looked for {target}).", "Paths are relative to the including file.")
                else:
                    draft.problems.append(p)
            continue
        done.add(key)
        draft.includes.append(key)
        br = Reader(source, draft.problems)
        m = br.mapping(source.data, (), "A block file")
        if m is None:
            continue
        br.fields(m, (), "The block", BLOCK_REQUIRED, BLOCK_OPTIONAL)
        placement = "start"
        if "placement" in m:
            placement = br.one_of(m["placement"], ("placement",), "The block's placement", PLACEMENTS) or "start"
        if "description" in m:
            br.text(m["description"], ("description",), "The block's description")
        if "include" in m:
            _parse_includes(br, m["include"], ("include",), target.parent, stack + [key], done,
                            draft, start_q, end_q)
        if "scales" in m:
            _parse_scales(br, m["scales"], ("scales",), draft)
        block_name = m.get("block") if isinstance(m.get("block"), str) else target.stem
        questions = _parse_questions(br, m.get("questions"), ("questions",), draft, block_name, placement)
        (start_q if placement == "start" else end_q).extend(questions)


# An include that names a block shipped with govstats, wherever the instrument file is:
# ``govstats:blocks/scales.yaml`` (the seed instruments' shared blocks).
PACKAGED = "govstats:"


def _include_target(r: Reader, name: str, base: FilePath, loc: Loc) -> FilePath | None:
    if not name.startswith(PACKAGED):
        return (base / name).resolve()
    from govstats.resources import instruments_dir

    root = instruments_dir().resolve()
    target = (root / name[len(PACKAGED):]).resolve()
    if root not in target.parents or not target.is_file():
        shipped = ", ".join(f"{PACKAGED}blocks/{p.name}" for p in sorted((root / "blocks").glob("*.yaml")))
        r.add("file-not-found", loc, f"'{name}' is not a block that ships with govstats.",
              f"Blocks that ship with govstats: {shipped}.")
        return None
    return target


# -- scales ---------------------------------------------------------------------------------
def _parse_distribution(r: Reader, value: object, loc: Loc, what: str):
    """``{proportions: [...]}`` or ``{thresholds: [...]}`` -> (kind, values) or None."""
    m = r.mapping(value, loc, what)
    if m is None:
        return None
    r.fields(m, loc, what, (), ("proportions", "thresholds"))
    kinds = [k for k in ("proportions", "thresholds") if k in m]
    if len(kinds) != 1:
        r.add("invalid-value", loc, f"{what} needs exactly one of 'proportions' or 'thresholds'.",
              "Give the share of each point (proportions) or the cut points (thresholds), not both.")
        return None
    values = r.numbers(m[kinds[0]], loc + (kinds[0],), kinds[0])
    return None if values is None else (kinds[0], values)


def _parse_scales(r: Reader, value: object, loc: Loc, draft: Draft) -> None:
    m = r.mapping(value, loc, "scales")
    if m is None:
        return
    for sid, spec in m.items():
        sloc = loc + (str(sid),)
        sid = r.ident(sid, sloc, "A scale id")
        s = r.mapping(spec, sloc, f"Scale '{sid}'")
        if sid is None or s is None:
            continue
        r.fields(s, sloc, f"Scale '{sid}'", ("type", "points"), ("label", "missing", "population"))
        stype = r.one_of(s["type"], sloc + ("type",), "The scale type", SCALE_TYPES) if "type" in s else None
        label = r.text(s["label"], sloc + ("label",), "The scale label") if "label" in s else None
        points = r.choices(s["points"], sloc + ("points",), f"scale '{sid}'") if "points" in s else None
        missing = r.choices(s["missing"], sloc + ("missing",), f"missing codes of '{sid}'") \
            if "missing" in s else ()
        pop = _parse_distribution(r, s["population"], sloc + ("population",), "The scale population") \
            if "population" in s else None
        if points is not None and len(points) < 2:
            r.add("invalid-value", sloc + ("points",), f"Scale '{sid}' has fewer than 2 points.",
                  "A scale needs at least 2 points.")
            points = None
        if points and missing:
            overlap = set(p.code for p in points) & set(p.code for p in missing)
            if overlap:
                r.add("invalid-value", sloc + ("missing",), f"Missing codes {sorted(overlap)} of scale "
                      f"'{sid}' are also answer codes.", "Use codes outside the scale, such as 9 or 99.")
        if sid in draft.scales or ("scale", sid) in draft.where:
            _duplicate(r, sloc, "scale", sid, draft.where.get(("scale", sid)))
            continue
        draft.where[("scale", sid)] = Located(r, sloc, pop)
        if stype and points and missing is not None:
            draft.scales[sid] = Scale(sid, stype, label, points, missing)


def _duplicate(r: Reader, loc: Loc, kind: str, ident: str, first: Located | None) -> None:
    where = ""
    if first is not None:
        from govstats.instrument.reader import format_loc
        where = f" (first defined in {first.reader.source.path} at {format_loc(first.loc)})"
    r.add("duplicate-id", loc, f"The {kind} id '{ident}' is already used{where}.",
          "Ids must be unique across the instrument and its blocks; rename one of them.")


def _claim_column(r: Reader, loc: Loc, kind: str, ident: str, draft: Draft) -> bool:
    """Columns and latent variables share one namespace: a data column or model name each."""
    first = draft.where.get(("column", ident))
    if first is not None:
        _duplicate(r, loc, kind, ident, first)
        return False
    draft.where[("column", ident)] = Located(r, loc)
    return True


def _scale_ref(r: Reader, value: object, loc: Loc, draft: Draft) -> Scale | None:
    sid = r.ident(value, loc, "The scale")
    if sid is None:
        return None
    if sid in draft.scales:
        return draft.scales[sid]
    if ("scale", sid) not in draft.where:  # defined but broken scales were reported already
        known = ", ".join(sorted(draft.scales)) or "none"
        r.add("unknown-reference", loc, f"Scale '{sid}' is not defined.",
              f"Define it under 'scales' or include the block that does (known scales: {known}).")
    return None


# -- questions ------------------------------------------------------------------------------
QUESTION_KEYS = ("type", "text", "scale", "choices", "min", "max", "required", "ask_if",
                 "placement", "population")


def _parse_questions(r: Reader, value: object, loc: Loc, draft: Draft, block: str | None,
                     default_placement: str) -> list[Question]:
    if value is None:
        return []
    seq = r.sequence(value, loc, "questions")
    if seq is None:
        return []
    out = []
    for i, spec in enumerate(seq):
        qloc = loc + (i,)
        m = r.mapping(spec, qloc, "A question")
        if m is None:
            continue
        r.fields(m, qloc, "A question", ("id", "type", "text"), QUESTION_KEYS[2:])
        qid = r.ident(m["id"], qloc + ("id",), "The question id") if "id" in m else None
        qtype = r.one_of(m["type"], qloc + ("type",), "The question type", QUESTION_TYPES) \
            if "type" in m else None
        text = r.text(m["text"], qloc + ("text",), f"Question '{qid}'") if "text" in m else None
        choices, scale_id = (), None
        if qtype in CHOICE_TYPES:
            if ("scale" in m) == ("choices" in m):
                r.add("missing-field", qloc + ("choices",),
                      f"Choice question '{qid}' needs exactly one of 'scale' or 'choices'.",
                      "Refer to a scale (scale: id) or list the choices (choices: [...]).")
                choices = None
            elif "scale" in m:
                scale = _scale_ref(r, m["scale"], qloc + ("scale",), draft)
                choices, scale_id = (scale.points, scale.id) if scale else (None, None)
            else:
                choices = r.choices(m["choices"], qloc + ("choices",), f"choices of '{qid}'")
        elif qtype is not None:
            for key in ("scale", "choices"):
                if key in m:
                    r.add("invalid-value", qloc + (key,), f"A {qtype} question takes no '{key}'.",
                          "Use type single_choice or multiple_choice for questions with choices.")
        lo = hi = None
        for key in ("min", "max"):
            if key in m:
                if qtype is not None and qtype not in NUMERIC_TYPES:
                    r.add("invalid-value", qloc + (key,), f"A {qtype} question takes no '{key}'.",
                          "Ranges apply to integer and decimal questions.")
                    continue
                v = r.number(m[key], qloc + (key,), f"'{key}'")
                lo, hi = (v, hi) if key == "min" else (lo, v)
        if lo is not None and hi is not None and lo > hi:
            r.add("invalid-value", qloc + ("min",), f"min ({lo:g}) is above max ({hi:g}).",
                  "Swap them or correct the range.")
        required = r.boolean(m["required"], qloc + ("required",), "'required'") if "required" in m else True
        placement = default_placement
        if "placement" in m:
            placement = r.one_of(m["placement"], qloc + ("placement",), "The placement", PLACEMENTS) \
                or default_placement
        ask_if = _parse_ask_if(r, m["ask_if"], qloc + ("ask_if",)) if "ask_if" in m else None
        population = {}
        if "population" in m and qtype is not None:
            population = _parse_question_population(r, m["population"], qloc + ("population",), qtype,
                                                    choices or ())
        if qid is None or not _claim_column(r, qloc + ("id",), "question", qid, draft):
            continue
        draft.where[("question", qid)] = Located(r, qloc)
        if qtype is None or text is None or choices is None:
            continue
        out.append(Question(qid, qtype, text, tuple(choices), scale_id,
                            None if lo is None else lo, None if hi is None else hi,
                            required if required is not None else True, ask_if, placement,
                            population or {}, block))
    return out


def _parse_ask_if(r: Reader, value: object, loc: Loc) -> AskIf | None:
    m = r.mapping(value, loc, "ask_if")
    if m is None:
        return None
    r.fields(m, loc, "ask_if", ("question", "in"), ())
    qid = r.ident(m["question"], loc + ("question",), "The ask_if question") if "question" in m else None
    codes = None
    if "in" in m:
        seq = r.sequence(m["in"], loc + ("in",), "ask_if 'in'")
        if seq is not None:
            codes = [r.integer(v, loc + ("in", j), "A code") for j, v in enumerate(seq)]
            codes = None if any(c is None for c in codes) or not codes else tuple(codes)
    return AskIf(qid, codes) if qid and codes else None


def _parse_question_population(r: Reader, value: object, loc: Loc, qtype: str, choices) -> dict:
    m = r.mapping(value, loc, "The question's population")
    if m is None:
        return {}
    if qtype == "single_choice":
        r.fields(m, loc, "A choice question's population", ("proportions",), ())
        props = r.numbers(m["proportions"], loc + ("proportions",), "proportions") \
            if "proportions" in m else None
        if props is not None and choices and _check_proportions(r, loc + ("proportions",), props, len(choices)):
            return {"proportions": props}
    elif qtype == "multiple_choice":
        r.fields(m, loc, "A multiple choice question's population", ("probabilities",), ())
        probs = r.numbers(m["probabilities"], loc + ("probabilities",), "probabilities") \
            if "probabilities" in m else None
        if probs is not None and choices:
            if len(probs) != len(choices) or not all(0 < p < 1 for p in probs):
                r.add("population-out-of-range", loc + ("probabilities",),
                      f"Give one probability strictly between 0 and 1 for each of the {len(choices)} "
                      f"choices (found {len(probs)}).",
                      "Each is the chance that a respondent ticks that choice; they need not sum to 1.")
            else:
                return {"probabilities": probs}
    elif qtype in NUMERIC_TYPES:
        r.fields(m, loc, "A numeric question's population", ("mean", "sd"), ())
        mean = r.number(m["mean"], loc + ("mean",), "mean") if "mean" in m else None
        sd = r.number(m["sd"], loc + ("sd",), "sd") if "sd" in m else None
        if sd is not None and sd <= 0:
            r.add("population-out-of-range", loc + ("sd",), f"sd must be positive, found {sd:g}.",
                  "Give a positive standard deviation.")
        elif mean is not None and sd is not None:
            return {"mean": mean, "sd": sd}
    else:
        r.add("invalid-value", loc, f"A {qtype} question takes no population values.",
              "Remove 'population'; it applies to choice, integer and decimal questions.")
    return {}


def _check_proportions(r: Reader, loc: Loc, props: tuple, n: int) -> bool:
    if len(props) != n:
        r.add("population-out-of-range", loc, f"{len(props)} proportions for {n} choices.",
              "Give one share per choice, in the order of the codes.")
        return False
    if any(p <= 0 for p in props) or abs(sum(props) - 1) > 1e-6:
        r.add("population-out-of-range", loc, f"Proportions must be positive and sum to 1 "
              f"(they sum to {sum(props):.4g}).", "Correct the shares so that they add up to 1.")
        return False
    return True


# -- constructs -----------------------------------------------------------------------------
CONSTRUCT_REQUIRED = ("id", "name", "role", "definition", "provenance", "items")
CONSTRUCT_OPTIONAL = ("scale", "icc")
ITEM_REQUIRED = ("id", "text")
ITEM_OPTIONAL = ("scale", "reverse", "loading", "population", "required")


def _parse_constructs(r: Reader, value: object, loc: Loc, draft: Draft) -> None:
    seq = r.sequence(value, loc, "constructs")
    if seq is None:
        return
    for i, spec in enumerate(seq):
        cloc = loc + (i,)
        m = r.mapping(spec, cloc, "A construct")
        if m is None:
            continue
        r.fields(m, cloc, "A construct", CONSTRUCT_REQUIRED, CONSTRUCT_OPTIONAL)
        cid = r.ident(m["id"], cloc + ("id",), "The construct id") if "id" in m else None
        label = f"Construct '{cid}'" if cid else "A construct"
        name = r.text(m["name"], cloc + ("name",), f"{label}'s name") if "name" in m else None
        role = r.one_of(m["role"], cloc + ("role",), "The role", ROLES) if "role" in m else None
        definition = r.text(m["definition"], cloc + ("definition",), f"{label}'s definition") \
            if "definition" in m else None
        provenance = r.text(m["provenance"], cloc + ("provenance",), f"{label}'s provenance") \
            if "provenance" in m else None
        scale = _scale_ref(r, m["scale"], cloc + ("scale",), draft) if "scale" in m else None
        scale_ok = "scale" not in m or scale is not None
        icc = r.number(m["icc"], cloc + ("icc",), "The ICC") if "icc" in m else draft.defaults["icc"]
        if cid is not None:
            draft.declared_constructs.add(cid)
            if not _claim_column(r, cloc + ("id",), "construct", cid, draft):
                cid = None
        items = _parse_items(r, m.get("items"), cloc + ("items",), draft, cid, scale, scale_ok) \
            if "items" in m else None
        if cid is None:
            continue
        draft.where[("construct", cid)] = Located(r, cloc, "icc" in m)
        if None in (name, role, definition, provenance, items, icc):
            continue
        draft.constructs.append(Construct(cid, name, role, definition, provenance, tuple(items), icc))


def _parse_items(r: Reader, value: object, loc: Loc, draft: Draft, cid: str | None,
                 construct_scale: Scale | None, construct_scale_ok: bool) -> list[Item] | None:
    seq = r.sequence(value, loc, "items")
    if seq is None:
        return None
    out, ok = [], True
    for j, spec in enumerate(seq):
        iloc = loc + (j,)
        m = r.mapping(spec, iloc, "An item")
        if m is None:
            ok = False
            continue
        r.fields(m, iloc, "An item", ITEM_REQUIRED, ITEM_OPTIONAL)
        iid = r.ident(m["id"], iloc + ("id",), "The item id") if "id" in m else None
        text = r.text(m["text"], iloc + ("text",), f"Item '{iid}'") if "text" in m else None
        if "scale" in m:
            scale = _scale_ref(r, m["scale"], iloc + ("scale",), draft)
        elif construct_scale is not None or not construct_scale_ok:
            scale = construct_scale
        else:
            r.add("missing-field", iloc + ("scale",), f"Item '{iid}' has no scale.",
                  "Give the construct a 'scale' or the item its own.")
            scale = None
        reverse = r.boolean(m["reverse"], iloc + ("reverse",), "'reverse'") if "reverse" in m else False
        loading = r.number(m["loading"], iloc + ("loading",), "The loading") \
            if "loading" in m else draft.defaults["loading"]
        pop = _parse_distribution(r, m["population"], iloc + ("population",), "The item population") \
            if "population" in m else None
        required = r.boolean(m["required"], iloc + ("required",), "'required'") if "required" in m else True
        if iid is None or not _claim_column(r, iloc + ("id",), "item", iid, draft):
            ok = False
            continue
        draft.where[("item", iid)] = Located(r, iloc, pop)
        if None in (text, scale, reverse, loading, required) or cid is None:
            ok = False
            continue
        out.append(Item(iid, cid, text, scale, reverse, loading, (), (), required))
    return out if ok else None


# -- attention checks -----------------------------------------------------------------------
def _parse_attention(r: Reader, value: object, loc: Loc, draft: Draft) -> None:
    seq = r.sequence(value, loc, "attention_checks")
    if seq is None:
        return
    for i, spec in enumerate(seq):
        aloc = loc + (i,)
        m = r.mapping(spec, aloc, "An attention check")
        if m is None:
            continue
        r.fields(m, aloc, "An attention check", ("id", "text", "scale", "after"), ("correct",))
        aid = r.ident(m["id"], aloc + ("id",), "The attention check id") if "id" in m else None
        text = r.text(m["text"], aloc + ("text",), f"Attention check '{aid}'") if "text" in m else None
        scale = _scale_ref(r, m["scale"], aloc + ("scale",), draft) if "scale" in m else None
        after = r.ident(m["after"], aloc + ("after",), "'after'") if "after" in m else None
        correct = None
        if "correct" not in m or m["correct"] is None:
            r.add("attention-no-answer", aloc + ("correct",), f"Attention check '{aid}' has no correct answer.",
                  "Add 'correct: <code>' with the code a careful respondent chooses.")
        else:
            correct = r.integer(m["correct"], aloc + ("correct",), "The correct answer")
            if correct is not None and scale is not None and correct not in scale.codes:
                r.add("attention-no-answer", aloc + ("correct",), f"The correct answer {correct} is not a "
                      f"code of scale '{scale.id}' (codes {list(scale.codes)}).", "Use one of the scale's codes.")
                correct = None
        if aid is None or not _claim_column(r, aloc + ("id",), "attention check", aid, draft):
            continue
        draft.where[("attention", aid)] = Located(r, aloc)
        if None not in (text, scale, after, correct):
            draft.attention_checks.append(AttentionCheck(aid, text, scale, correct, after))


# -- model and population defaults ----------------------------------------------------------
def _parse_population_defaults(r: Reader, value: object, loc: Loc, draft: Draft) -> None:
    m = r.mapping(value, loc, "population")
    if m is None:
        return
    r.fields(m, loc, "population", (), ("loading", "icc"))
    for key in ("loading", "icc"):
        if key in m:
            v = r.number(m[key], loc + (key,), f"The default {key}")
            if v is not None:
                draft.defaults[key] = v
                draft.where[("default", key)] = Located(r, loc + (key,))


def _parse_model(r: Reader, value: object, loc: Loc, draft: Draft) -> None:
    m = r.mapping(value, loc, "model")
    if m is None:
        return
    r.fields(m, loc, "model", (), ("paths", "correlations"))
    if "paths" in m:
        paths = r.mapping(m["paths"], loc + ("paths",), "model.paths")
        for outcome, preds in (paths or {}).items():
            oloc = loc + ("paths", str(outcome))
            outcome = r.ident(outcome, oloc, "An outcome")
            if isinstance(preds, list):  # CD: [IC, PS] takes the default coefficient
                preds = {p: None for p in preds if isinstance(p, (str, int, float))}
            pm = r.mapping(preds, oloc, f"The predictors of '{outcome}'")
            for pred, coef in (pm or {}).items():
                ploc = oloc + (str(pred),)
                pred = r.ident(pred, ploc, "A predictor")
                coef = DEFAULT_COEFFICIENT if coef is None else r.number(coef, ploc, "A path coefficient")
                if outcome and pred and coef is not None:
                    draft.paths.append(Path(outcome, pred, coef))
                    draft.where[("path", outcome, pred)] = Located(r, ploc)
        draft.where[("model",)] = Located(r, loc + ("paths",))
    if "correlations" in m:
        cm = r.mapping(m["correlations"], loc + ("correlations",), "model.correlations")
        draft.where[("correlations",)] = Located(r, loc + ("correlations",))
        for key, val in (cm or {}).items():
            kloc = loc + ("correlations", str(key))
            v = r.number(val, kloc, "A correlation")
            if key == "default":
                if v is not None:
                    draft.default_correlation = v
                    draft.where[("correlation", "default")] = Located(r, kloc)
                continue
            parts = [p.strip() for p in str(key).split("~~")]
            if len(parts) != 2 or not all(parts):
                r.add("invalid-value", kloc, f"'{key}' is not a pair of constructs.",
                      "Write a pair as 'A ~~ B: 0.3' (or 'default: 0.3').")
                continue
            a, b = (r.ident(p, kloc, "A construct") for p in parts)
            if a and b and v is not None:
                draft.correlations[frozenset((a, b))] = v
                draft.where[("correlation", a, b)] = Located(r, kloc)
