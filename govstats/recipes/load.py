"""``load_recipe``: read an analysis recipe (YAML) and check all of it at once.

A recipe is checked as an instrument is (:mod:`govstats.instrument.load`): YAML is read safely
with the line of every value, and every problem (unknown analysis or option, wrong type, value
not allowed, missing file) is collected with the file, line and place, what is wrong and how to
fix it, then raised together as :class:`~govstats.errors.RecipeError`. Nothing in a recipe is
run as code: it names functions of govstats and their options, nothing else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from govstats.errors import RecipeError
from govstats.instrument.reader import Reader
from govstats.instrument.yaml_source import read_yaml
from govstats.recipes.schema import (ANALYSES, CHECK, DATA, FLAGS, ORDER, REQUIRED, REQUIRED_OPTIONS, SCORE,
                                     SIMULATE, TOP_LEVEL, Option)

DEFAULT_SEED = 1


@dataclass(frozen=True)
class Recipe:
    """A checked recipe: paths resolved against the recipe's folder, every default filled in.

    Attributes
    ----------
    path : Path
        The recipe file.
    sha256 : str
        SHA-256 of the recipe file's bytes.
    title : str
    instrument : Path
    data : dict
        ``files`` (list of Path), ``encoding``, ``source``, ``mapping``; empty with ``simulate``.
    simulate : dict
        Options of :func:`govstats.simulate_to_csv` (``n``, ``seed``, ...); empty with ``data``.
    exclude : tuple of str
        Exclusion rules, names of the data check's flags (``attention_check``, ``speeder``,
        ``flagged`` for any reason).
    score : dict
    thresholds : dict or None
    seed : int
        Default seed of every random step that has no seed of its own.
    analyses : dict
        Analysis name -> options (defaults filled in), in the order they run.
    """

    path: Path
    sha256: str
    title: str
    instrument: Path
    data: dict = field(default_factory=dict)
    simulate: dict = field(default_factory=dict)
    exclude: tuple = ()
    score: dict = field(default_factory=dict)
    thresholds: dict | None = None
    seed: int = DEFAULT_SEED
    analyses: dict = field(default_factory=dict)

    def seed_of(self, analysis: str) -> int:
        """The seed an analysis uses: its own ``seed:`` option or the recipe's."""
        own = self.analyses.get(analysis, {}).get("seed")
        return self.seed if own is None else own


def load_recipe(path: str | PathLike) -> Recipe:
    """Load and check an analysis recipe.

    Parameters
    ----------
    path : str or path-like
        The recipe (YAML). Paths in it are relative to its folder.

    Returns
    -------
    Recipe

    Raises
    ------
    RecipeError
        With every problem of the file, each with its code, line, place, message and fix.

    Examples
    --------
    >>> from govstats.recipes import load_recipe
    >>> from govstats.resources import instruments_dir
    >>> recipe = load_recipe(instruments_dir().parent / "recipes" / "party_building.yaml")
    >>> list(recipe.analyses)[:3]
    ['efa', 'reliability', 'validity']
    """
    source, problems = read_yaml(Path(path))
    if source is None:
        raise RecipeError(problems)
    read = Reader(source, problems)
    raw = source.data
    top = read.mapping(raw, (), "A recipe") if raw is not None else None
    if raw is None:
        read.add("missing-field", (), "The recipe is empty.", "Give at least 'instrument:' and 'analyses:'.")
    if top is None:
        raise RecipeError(problems)
    read.fields(top, (), "The recipe", REQUIRED, tuple(k for k in TOP_LEVEL if k not in REQUIRED))
    folder = Path(path).resolve().parent
    title = read.string(top["title"], ("title",), "title") if "title" in top else Path(path).stem
    instrument = _file(read, top.get("instrument"), ("instrument",), "instrument", folder) if "instrument" in top \
        else None

    data, simulate = {}, {}
    if "data" in top and "simulate" in top:
        read.add("conflict", ("simulate",), "The recipe has both 'data:' and 'simulate:'.",
                 "Keep 'data:' to analyse response files, or 'simulate:' to analyse simulated responses.")
    elif "data" in top:
        data = _data(read, top["data"], folder)
    elif "simulate" in top:
        simulate = _section(read, top["simulate"], ("simulate",), "simulate", SIMULATE)
    else:
        read.add("missing-field", ("data",), "The recipe names no responses.",
                 "Add 'data: {file: responses.csv}' (relative to the recipe) or 'simulate: {n: 600, seed: 1}'.")

    exclude = _exclude(read, top.get("exclude", []))
    score = _section(read, top.get("score", {}), ("score",), "score", SCORE)
    check = _section(read, top.get("check", {}), ("check",), "check", CHECK)
    thresholds = _thresholds(read, check.get("thresholds"))
    seed = read.integer(top["seed"], ("seed",), "seed") if "seed" in top else DEFAULT_SEED
    if seed is not None and seed < 0:
        read.add("invalid-value", ("seed",), f"seed must be 0 or more, found {seed}.", "Give a whole number >= 0.")
    analyses = _analyses(read, top.get("analyses"))
    if problems:
        raise RecipeError(sorted(dict.fromkeys(problems), key=lambda p: p.line or 0))
    return Recipe(path=Path(path).resolve(), sha256=hashlib.sha256(Path(path).read_bytes()).hexdigest(),
                  title=title, instrument=instrument, data=data, simulate=simulate, exclude=exclude, score=score,
                  thresholds=thresholds, seed=seed, analyses=analyses)


def _file(read: Reader, value, loc, what: str, folder: Path) -> Path | None:
    text = read.string(value, loc, what)
    if text is None:
        return None
    resolved = (folder / text).resolve()
    if not resolved.is_file():
        read.add("file-not-found", loc, f"{what} '{text}' does not exist (looked for {resolved}).",
                 "Paths in a recipe are relative to the recipe's folder; check the path.")
        return None
    return resolved


def _data(read: Reader, value, folder: Path) -> dict:
    loc = ("data",)
    if isinstance(value, str):  # data: responses.csv
        value = {"file": value}
    options = _section(read, value, loc, "data", DATA)
    if not options:
        return {}
    files = []
    if options.get("file") is not None and options.get("files") is not None:
        read.add("conflict", loc + ("files",), "data has both 'file:' and 'files:'.", "Keep one of them.")
    elif options.get("file") is not None:
        files = [_file(read, value["file"], loc + ("file",), "data file", folder)]
    elif options.get("files") is not None:
        files = [_file(read, f, loc + ("files", i), "data file", folder) for i, f in enumerate(value["files"])]
    else:
        read.add("missing-field", loc + ("file",), "data names no file.", "Add 'file: responses.csv'.")
    if options.get("mapping") is not None:
        options["mapping"] = _file(read, value["mapping"], loc + ("mapping",), "mapping file", folder)
    options.pop("file", None)
    options["files"] = [f for f in files if f is not None]
    return options


def _exclude(read: Reader, value) -> tuple:
    loc = ("exclude",)
    if isinstance(value, str):
        value = [value]
    rules = read.sequence(value, loc, "exclude")
    if rules is None:
        return ()
    out = []
    for i, rule in enumerate(rules):
        name = read.one_of(rule, loc + (i,), "an exclusion rule", tuple(FLAGS))
        if name is not None:
            out.append(name)
    return tuple(dict.fromkeys(out))


def _thresholds(read: Reader, value) -> dict | None:
    if value is None:
        return None
    from govstats.data.quality import THRESHOLDS

    loc = ("check", "thresholds")
    mapping = read.mapping(value, loc, "check.thresholds")
    if mapping is None:
        return None
    read.fields(mapping, loc, "check.thresholds", (), tuple(THRESHOLDS))
    out = {}
    for key, number in mapping.items():
        if key in THRESHOLDS:
            got = read.number(number, loc + (key,), f"threshold {key}")
            if got is not None and not 0 < got <= 1:
                read.add("invalid-value", loc + (key,), f"threshold {key} must be in (0, 1], found {got}.",
                         f"Give a share such as {THRESHOLDS[key]:.3g} (its default).")
            elif got is not None:
                out[key] = got
    return out


def _analyses(read: Reader, value) -> dict:
    loc = ("analyses",)
    if value is None:
        return {}
    if isinstance(value, list):  # analyses: [efa, reliability]: each with its defaults
        names = {}
        for i, name in enumerate(value):
            if read.one_of(name, loc + (i,), "an analysis", ORDER) is not None:
                names[name] = {}
        value = names
    mapping = read.mapping(value, loc, "analyses")
    if mapping is None:
        return {}
    if not mapping:
        read.add("missing-field", loc, "analyses is empty.", f"Name one or more of {', '.join(ORDER)}.")
    read.fields(mapping, loc, "analyses", (), ORDER, "Each analysis is one of the names listed.")
    out = {}
    for name in ORDER:
        if name in mapping:
            out[name] = _section(read, mapping[name] if mapping[name] is not None else {}, loc + (name,),
                                 f"analyses.{name}", ANALYSES[name], required=REQUIRED_OPTIONS.get(name, ()))
    return out


def _section(read: Reader, value, loc, what: str, spec: dict[str, Option], required: tuple = ()) -> dict:
    """A mapping of options: unknown ones reported, each checked, defaults filled in."""
    required = required or REQUIRED_OPTIONS.get(what, ())
    mapping = read.mapping(value, loc, what)
    if mapping is None:
        return {}
    read.fields(mapping, loc, what, required, tuple(k for k in spec if k not in required),
                "" if spec else f"{what} takes no options.")
    out = {}
    for key, option in spec.items():
        out[key] = _option(read, mapping[key], loc + (key,), f"{what}.{key}", option) if key in mapping \
            else option.default
    return out


def _option(read: Reader, value, loc, what: str, option: Option):
    if value is None:
        return option.default
    kind = option.kind
    if kind == "int":
        got = read.integer(value, loc, what)
        if got is not None and got < option.low:
            read.add("invalid-value", loc, f"{what} must be at least {option.low}, found {got}.",
                     f"Give a whole number >= {option.low}.")
        return got
    if kind == "number":
        return read.number(value, loc, what)
    if kind == "share":
        got = read.number(value, loc, what)
        if got is not None and not 0 < got <= 1:
            read.add("invalid-value", loc, f"{what} must be a share in (0, 1], found {got}.", "Give e.g. 0.67.")
        return got
    if kind == "bool":
        return read.boolean(value, loc, what)
    if kind == "text":
        return read.string(value, loc, what)
    if kind == "choice":
        return read.one_of(value, loc, what, option.allowed)
    if kind == "mapping":
        return value if read.mapping(value, loc, what) is not None else None
    items = read.sequence(value, loc, what)
    if items is None:
        return None
    if kind == "ints":
        got = [_option(read, v, loc + (i,), f"{what} entry", Option("int", low=option.low))
               for i, v in enumerate(items)]
    else:
        got = [read.string(v, loc + (i,), f"{what} entry") for i, v in enumerate(items)]
    return None if any(v is None for v in got) else list(got)

