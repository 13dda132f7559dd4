"""Synthetic survey responses from an instrument's own population model.

Respondents are generated in fixed chunks of ``CHUNK`` rows, each chunk and each purpose
(questions, latent responses, careless answering, missingness, speed) with its own random
stream derived from the seed. So the same seed gives the same data whether it is kept in
memory or streamed to a file, and contamination (careless rows, blanks, speeders) changes
only the rows and cells it touches: a messy dataset is its clean twin plus the damage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import pandas as pd

from govstats.data import field_columns as fc
from govstats.data.latent import LatentModel
from govstats.data.truth import PARAM_COLUMNS, Truth, population_params

CHUNK = 100_000
CARELESS_KINDS = ("straight", "random", "attention")
MISSING_MECHANISMS = ("MCAR", "MAR")
# Stream ids: one random stream per chunk and purpose, plus one for community effects.
_FIELD, _LATENT, _CARELESS, _MISSING, _SPEED = range(5)
_COMMUNITY_STREAM = 2**31


@dataclass(frozen=True)
class SimulatedData:
    """Synthetic responses and the truth that generated them.

    Attributes
    ----------
    responses : DataFrame
        One row per respondent, columns as :meth:`Instrument.columns`, codes as a respondent
        answered (reverse-coded items reversed), blanks as ``<NA>``.
    truth : Truth
        Population parameters (``params``), the rows made careless, speeding or missing
        (``rows``), and the settings.
    latent : DataFrame or None
        With ``return_latent=True``: the latent factor values (construct ids) and the
        continuous latent responses in the construct's direction (``<item>_star``).
    """

    responses: pd.DataFrame
    truth: Truth
    latent: pd.DataFrame | None = None


def _check_rate(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"The '{name}' parameter of simulate must be a rate in [0, 1]. Got {value!r} instead.")
    return float(value)


def _check_count(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"The '{name}' parameter of simulate must be an integer >= {minimum}. Got {value!r} instead.")
    return int(value)


class _Plan:
    """Everything about a simulation that does not depend on the chunk: checked once."""

    def __init__(self, instrument, n, seed, communities, districts, streets, missing, missing_mechanism,
                 careless, careless_kinds, speeders, group, differences):
        self.instrument = instrument
        self.n = _check_count("n", n)
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % 2**63)
        self.seed = _check_count("seed", seed, minimum=0)
        self.communities = _check_count("communities", communities)
        self.districts = _check_count("districts", districts)
        self.streets = _check_count("streets", streets if streets is not None else max(self.districts,
                                                                                       self.communities // 5))
        if not self.districts <= self.streets <= self.communities:
            raise ValueError(f"simulate needs districts <= streets <= communities; got {self.districts}, "
                             f"{self.streets}, {self.communities}.")
        self.missing = _check_rate("missing", missing)
        if missing_mechanism not in MISSING_MECHANISMS:
            raise ValueError(f"The 'missing_mechanism' parameter of simulate must be one of "
                             f"{set(MISSING_MECHANISMS)}. Got {missing_mechanism!r} instead.")
        self.missing_mechanism = missing_mechanism
        self.careless = _check_rate("careless", careless)
        bad = [k for k in careless_kinds if k not in CARELESS_KINDS]
        if bad or not careless_kinds:
            raise ValueError(f"The 'careless_kinds' parameter of simulate must be a non-empty selection of "
                             f"{set(CARELESS_KINDS)}. Got {tuple(careless_kinds)!r} instead.")
        self.careless_kinds = tuple(careless_kinds)
        self.speeders = _check_rate("speeders", speeders)

        inst = instrument
        self.items = inst.items
        self.latent = LatentModel.from_instrument(inst)
        position = {name: i for i, name in enumerate(self.latent.names)}
        self.item_factor = np.array([position[i.construct] for i in self.items])
        self.loading = np.array([i.loading for i in self.items])
        self.reverse = np.array([i.reverse for i in self.items])
        self.thresholds = [np.asarray(i.thresholds) for i in self.items]
        self.codes = [np.asarray(i.scale.codes, dtype=np.int8) for i in self.items]
        self.n_questions = len(self.items) + len(inst.questions) + len(inst.attention_checks)

        # Communities nest in streets, streets in districts; labels as a survey team writes them.
        self.community_labels = [f"C{c + 1:0{len(str(self.communities))}d}" for c in range(self.communities)]
        self.street_of = np.arange(self.communities) * self.streets // self.communities
        self.district_of_street = np.arange(self.streets) * self.districts // self.streets
        self.street_labels = [f"S{s + 1:0{len(str(self.streets))}d}" for s in range(self.streets)]
        self.district_labels = [f"D{d + 1}" for d in range(self.districts)]

        self.mar_column = None
        if self.missing and missing_mechanism == "MAR":
            numeric = [q for q in inst.questions if q.type in ("integer", "decimal") and q.ask_if is None]
            if not numeric:
                raise ValueError("missing_mechanism='MAR' makes blanks depend on a numeric question (such as "
                                 f"age), and instrument '{inst.id}' has none.")
            self.mar_column = next((q for q in numeric if q.id == "age"), numeric[0])

        self.group = group
        self.differences = self._check_differences(group, differences)
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=(_COMMUNITY_STREAM,))))
        self.between = self.latent.draw_between(rng, self.communities)

    def _check_differences(self, group: str, differences) -> list[tuple[int, object, str, float]]:
        """``[{"item": .., "group": .., "loading"|"intercept": ..}]`` -> (item index, group value, kind, value)."""
        inst = self.instrument
        design_groups = {"district": self.district_labels, "street": self.street_labels,
                         "community": self.community_labels}
        if group in design_groups:
            values = design_groups[group]
        else:
            q = next((q for q in inst.questions if q.id == group and q.type == "single_choice"), None)
            if q is None:
                allowed = sorted(design_groups) + [q.id for q in inst.questions if q.type == "single_choice"]
                raise ValueError(f"The 'group' parameter of simulate must be one of {allowed}. Got {group!r} instead.")
            values = list(q.codes)
        item_index = {i.id: k for k, i in enumerate(self.items)}
        out = []
        for d in differences:
            if not isinstance(d, dict) or "item" not in d or "group" not in d or \
                    not ({"loading", "intercept"} & set(d)) or set(d) - {"item", "group", "loading", "intercept"}:
                raise ValueError("Each entry of the 'differences' parameter of simulate must be a dict with "
                                 "'item', 'group' and 'loading' and/or 'intercept'. Got " f"{d!r} instead.")
            if d["item"] not in item_index:
                raise ValueError(f"differences: item {d['item']!r} is not an item of instrument '{inst.id}'.")
            if d["group"] not in values:
                raise ValueError(f"differences: group {d['group']!r} is not a value of '{group}' "
                                 f"(values: {values}).")
            if "loading" in d and not 0 < abs(d["loading"]) < 1:
                raise ValueError(f"differences: loading {d['loading']!r} must satisfy 0 < |loading| < 1.")
            for kind in ("loading", "intercept"):
                if kind in d:
                    out.append((item_index[d["item"]], d["group"], kind, float(d[kind])))
        return out

    def rng(self, chunk: int, purpose: int) -> np.random.Generator:
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=(chunk, purpose))))

    def settings(self) -> dict:
        return {
            "instrument": self.instrument.id, "version": self.instrument.version, "n": self.n,
            "seed": self.seed, "communities": self.communities, "streets": self.streets,
            "districts": self.districts, "missing": self.missing, "missing_mechanism": self.missing_mechanism,
            "mar_depends_on": self.mar_column.id if self.mar_column is not None else None,
            "careless": self.careless, "careless_kinds": list(self.careless_kinds), "speeders": self.speeders,
            "group": self.group, "chunk": CHUNK,
            "icc": {name: float(v) for name, v in zip(self.latent.names, self.latent.icc)},
        }

    def params(self) -> pd.DataFrame:
        table = population_params(self.instrument)
        extra = []
        for k, g, kind, value in self.differences:
            item = self.items[k]
            if kind == "loading":
                extra.append((item.construct, "=~", item.id, str(g), -value if item.reverse else value))
            else:
                extra.append((item.id, "~1", "", str(g), -value if item.reverse else value))
        return pd.concat([table, pd.DataFrame(extra, columns=PARAM_COLUMNS)], ignore_index=True)


@dataclass
class _Chunk:
    columns: dict          # column name -> array, in form order
    codes: np.ndarray      # (m, n_items) int8 item codes, before blanks
    blank: np.ndarray      # (m, n_items) bool: cell left empty
    flags: pd.DataFrame    # respondent_id, careless, speeder, n_missing
    latent: np.ndarray | None


def _chunks(plan: _Plan, return_latent: bool) -> Iterator[_Chunk]:
    for index, start in enumerate(range(0, plan.n, CHUNK)):
        yield _make_chunk(plan, index, start, min(CHUNK, plan.n - start), return_latent)


def _make_chunk(plan: _Plan, index: int, start: int, m: int, return_latent: bool) -> _Chunk:
    inst = plan.instrument
    rng = plan.rng(index, _FIELD)
    community = rng.integers(0, plan.communities, m)
    street = plan.street_of[community]
    district = plan.district_of_street[street]
    begin = fc.start_times(rng, m)
    seconds = fc.durations(rng, m, plan.n_questions)

    columns: dict = {}
    design = {v: k for k, v in inst.design.items()}
    layout = {"community": (community, plan.community_labels), "street": (street, plan.street_labels),
              "district": (district, plan.district_labels)}
    for q in inst.questions:
        if design.get(q.id) in layout:
            codes, labels = layout[design[q.id]]
            columns[q.id] = pd.Categorical.from_codes(codes, categories=labels)
        else:
            columns[q.id] = fc.question_column(q, rng, m, fc.asked_mask(q, columns, m))

    # Latent responses, item by item on contiguous rows (item-major), as the respondent
    # answers: y = sign * (loading * eta + sqrt(1 - loading^2) * e), sign -1 for reversed
    # items. The loop over contiguous float32 rows took 0.25 s for 1e6 x 30 where a
    # column-wise searchsorted on the (m, k) matrix took 1.0 s.
    lrng = plan.rng(index, _LATENT)
    eta = plan.latent.draw(lrng, plan.between, community).T.astype(np.float32)
    answered = lrng.standard_normal((len(plan.items), m), dtype=np.float32)
    groups = _group_values(plan, columns, community, street, district) if plan.differences else None
    codes = np.empty((len(plan.items), m), dtype=np.int8)
    for k in range(len(plan.items)):
        lam, shift = np.float32(plan.loading[k]), np.float32(0.0)
        for item, g, kind, value in plan.differences:
            if item == k:
                rows = groups == g
                if kind == "loading":
                    lam = np.where(rows, value, lam).astype(np.float32)
                else:
                    shift = np.where(rows, value, shift).astype(np.float32)
        row = answered[k]
        row *= np.sqrt(1 - lam * lam)
        row += eta[plan.item_factor[k]] * lam
        row += shift
        if plan.reverse[k]:
            np.negative(row, out=row)
        category = np.zeros(m, dtype=np.int8)
        for t in plan.thresholds[k]:
            category += row > t
        codes[k] = plan.codes[k][category]
    codes = codes.T
    attention = {a.id: np.full(m, a.correct, dtype=np.int8) for a in inst.attention_checks}

    careless = _careless(plan, plan.rng(index, _CARELESS), codes, attention, m)
    srng = plan.rng(index, _SPEED)
    speeder = srng.random(m) < plan.speeders
    fast = np.round(fc.median_duration(plan.n_questions) * srng.uniform(0.15, 0.35, m))
    seconds = np.where(speeder, fast, seconds)
    blank = _blanks(plan, plan.rng(index, _MISSING), columns, m)

    ids = np.arange(start + 1, start + m + 1, dtype=np.int64)
    out = {
        inst.metadata.respondent_id: ids,
        inst.metadata.start: begin,
        inst.metadata.end: begin + seconds.astype("timedelta64[s]"),
        inst.consent.id: fc.int_column(np.ones(m)),
    }
    item_k = {i.id: k for k, i in enumerate(plan.items)}
    for name in inst.columns()[4:]:
        if name in item_k:
            out[name] = item_k[name]  # placeholder: item columns are assembled by the caller
        elif name in attention:
            out[name] = fc.int_column(attention[name])
        else:
            out[name] = columns[name]
    flags = pd.DataFrame({"respondent_id": ids, "careless": careless, "speeder": speeder,
                          "n_missing": blank.sum(axis=1)})
    latent = None
    if return_latent:  # back to the construct's direction
        star = np.where(plan.reverse[:, None], -answered, answered)
        latent = np.concatenate([eta, star], axis=0).T
    return _Chunk(out, codes, blank, flags, latent)


def _group_values(plan, columns, community, street, district) -> np.ndarray:
    design = {"district": (district, plan.district_labels), "street": (street, plan.street_labels),
              "community": (community, plan.community_labels)}
    if plan.group in design:
        idx, labels = design[plan.group]
        return np.asarray(labels, dtype=object)[idx]
    return columns[plan.group].to_numpy(dtype="float64", na_value=np.nan)


def _careless(plan: _Plan, rng: np.random.Generator, codes: np.ndarray, attention: dict, m: int) -> np.ndarray:
    """Overwrite the answers of careless respondents; return each row's kind ('' if careful)."""
    kinds = np.full(m, "", dtype=object)
    chosen = rng.random(m) < plan.careless
    which = rng.integers(0, len(plan.careless_kinds), m)
    for j, kind in enumerate(plan.careless_kinds):
        rows = np.flatnonzero(chosen & (which == j))
        kinds[rows] = kind
        if not len(rows):
            continue
        if kind == "straight":  # the same point for every statement, reversed or not
            point = rng.integers(0, max(len(c) for c in plan.codes), len(rows))
            for k, c in enumerate(plan.codes):
                codes[rows, k] = c[np.minimum(point, len(c) - 1)]
            for a in plan.instrument.attention_checks:
                attention[a.id][rows] = np.asarray(a.scale.codes)[np.minimum(point, len(a.scale.codes) - 1)]
        elif kind == "random":  # any point, uniformly, item by item
            for k, c in enumerate(plan.codes):
                codes[rows, k] = c[rng.integers(0, len(c), len(rows))]
            for a in plan.instrument.attention_checks:
                attention[a.id][rows] = np.asarray(a.scale.codes)[rng.integers(0, len(a.scale.codes), len(rows))]
        else:  # careful elsewhere, but misses the instructed answer
            for a in plan.instrument.attention_checks:
                wrong = np.array([c for c in a.scale.codes if c != a.correct], dtype=np.int8)
                attention[a.id][rows] = wrong[rng.integers(0, len(wrong), len(rows))]
    return kinds


def _blanks(plan: _Plan, rng: np.random.Generator, columns: dict, m: int) -> np.ndarray:
    """Item cells left empty: MCAR at the rate, or MAR rising with a numeric question (e.g. age)."""
    if not plan.missing:
        return np.zeros((m, len(plan.items)), dtype=bool)
    u = rng.random((m, len(plan.items)), dtype=np.float32)
    if plan.missing_mechanism == "MCAR":
        return u < plan.missing
    q = plan.mar_column
    x = columns[q.id]
    x = np.asarray(x.to_numpy(dtype="float64", na_value=np.nan) if hasattr(x, "to_numpy") else x, dtype=float)
    mean, sd = q.population.get("mean", np.nanmean(x)), q.population.get("sd", np.nanstd(x) or 1.0)
    z = np.nan_to_num((x - mean) / sd)
    # E[exp(Z - 1/2)] = 1 for standard normal Z: the average rate stays at `missing`.
    p = np.clip(plan.missing * np.exp(z - 0.5), 0.0, 0.95)
    return u < p[:, None]


def _item_array(chunk: _Chunk, k: int) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.ascontiguousarray(chunk.codes[:, k]), np.ascontiguousarray(chunk.blank[:, k]))


def _chunk_frame(chunk: _Chunk) -> pd.DataFrame:
    data = {name: (_item_array(chunk, v) if isinstance(v, int) else v) for name, v in chunk.columns.items()}
    return pd.DataFrame(data, copy=False)


def _flagged(flags: pd.DataFrame) -> pd.DataFrame:
    return flags[(flags["careless"] != "") | flags["speeder"] | (flags["n_missing"] > 0)]


def _allocate(v, n: int):
    """Full-size storage for a column whose first chunk is ``v``."""
    if isinstance(v, pd.arrays.IntegerArray):
        return ("int", np.empty(n, dtype=v._data.dtype), np.empty(n, dtype=bool), v.dtype)
    if isinstance(v, pd.Categorical):
        return ("cat", np.empty(n, dtype=v.codes.dtype), v.categories)
    if isinstance(v, np.ndarray):
        return ("np", np.empty(n, dtype=v.dtype))
    return ("obj", np.empty(n, dtype=object), v.dtype)


def _fill(store, v, start: int, stop: int) -> None:
    kind = store[0]
    if kind == "int":
        store[1][start:stop] = v._data
        store[2][start:stop] = v._mask
    elif kind == "cat":
        store[1][start:stop] = v.codes
    elif kind == "np":
        store[1][start:stop] = v
    else:
        store[1][start:stop] = np.asarray(v, dtype=object)


def _finish(store):
    kind = store[0]
    if kind == "int":
        return pd.arrays.IntegerArray(store[1], store[2])
    if kind == "cat":
        return pd.Categorical.from_codes(store[1], categories=store[2])
    if kind == "np":
        return store[1]
    return pd.array(store[1], dtype=store[2])


def simulate(instrument, n: int, seed: int | None = None, *, communities: int = 30, districts: int = 3,
             streets: int | None = None, missing: float = 0.0, missing_mechanism: str = "MCAR",
             careless: float = 0.0, careless_kinds: Sequence[str] = CARELESS_KINDS, speeders: float = 0.0,
             group: str = "district", differences: Sequence[dict] = (), return_latent: bool = False
             ) -> SimulatedData:
    """Simulate survey responses from an instrument's population model.

    Parameters
    ----------
    instrument : Instrument
    n : int
        Number of respondents.
    seed : int, optional
        Same seed, same data. Without one, a seed is drawn and recorded in ``truth.settings``.
    communities, districts, streets : int
        Sampling design: respondents spread over ``communities`` (the ICC level), nested in
        ``streets`` (default ``communities // 5``) nested in ``districts``.
    missing : float
        Share of item cells left empty; ``missing_mechanism`` ``"MCAR"`` (at random) or
        ``"MAR"`` (more blanks among older respondents: depends on ``age`` or the first numeric question).
    careless : float
        Share of careless respondents, each of one kind of ``careless_kinds``: ``"straight"``
        (one point throughout), ``"random"`` (uniform answers), ``"attention"`` (fails the
        attention check).
    speeders : float
        Share of respondents who finish in 15 to 35 percent of the typical time.
    group, differences
        Non-invariance for invariance testing: ``group`` is ``"district"``, ``"street"``,
        ``"community"`` or a single-choice question; each difference is a dict with ``item``,
        ``group`` (a value of the group variable, e.g. ``"D2"``) and ``loading`` (its
        standardized loading there) and/or ``intercept`` (a shift of its latent response).
    return_latent : bool
        Also return the latent factor values and continuous latent responses.

    Returns
    -------
    SimulatedData

    Examples
    --------
    >>> from govstats import load_instrument, simulate
    >>> from govstats.resources import seed_instrument_path
    >>> sim = simulate(load_instrument(seed_instrument_path("grid_governance")), 200, seed=1)
    >>> sim.responses.shape
    (200, 45)
    >>> sim.responses["ID5"].isin([1, 2, 3, 4, 5]).all()
    np.True_
    """
    plan = _Plan(instrument, n, seed, communities, districts, streets, missing, missing_mechanism,
                 careless, careless_kinds, speeders, group, differences)
    # Every column is allocated once at full size and filled chunk by chunk: collecting
    # chunks and concatenating them peaked at 1.97x the result (1e6 x 30 items), this at
    # the result plus one chunk's temporaries.
    columns: dict = {}
    flagged, latents, start = [], [], 0
    for chunk in _chunks(plan, return_latent):
        m = len(chunk.codes)
        stop = start + m
        for name, v in chunk.columns.items():
            if isinstance(v, int):  # an item column: its codes and blanks
                v = _item_array(chunk, v)
            if name not in columns:
                columns[name] = _allocate(v, plan.n)
            _fill(columns[name], v, start, stop)
        flagged.append(_flagged(chunk.flags))
        if return_latent:
            latents.append(chunk.latent)
        start = stop
    responses = pd.DataFrame({name: _finish(c) for name, c in columns.items()}, copy=False)
    truth = Truth(plan.params(), pd.concat(flagged, ignore_index=True), plan.settings())
    latent = None
    if return_latent:
        names = list(plan.latent.names) + [f"{i.id}_star" for i in plan.items]
        latent = pd.DataFrame(np.concatenate(latents), columns=names)
    return SimulatedData(responses, truth, latent)


def write_csv(frame: pd.DataFrame, handle, header: bool = True) -> None:
    """The committed CSV format: UTF-8, empty cells for blanks, ISO 8601 times in China Standard Time."""
    frame.to_csv(handle, index=False, header=header, lineterminator="\n",
                 date_format="%Y-%m-%dT%H:%M:%S" + fc.TIMEZONE_SUFFIX)


def simulate_to_csv(instrument, n: int, path: str | Path, seed: int | None = None, **options) -> Truth:
    """Stream ``simulate`` to a CSV file chunk by chunk, so memory stays flat for any ``n``.

    Takes the options of :func:`simulate` (not ``return_latent``) and writes the same
    bytes as ``write_csv(simulate(...).responses, path)``. Returns the truth; its ``rows``
    keep only the respondents made careless, speeding or missing.
    """
    if "return_latent" in options:
        raise ValueError("The 'return_latent' parameter is not available when streaming to a file.")
    args = {"communities": 30, "districts": 3, "streets": None, "missing": 0.0, "missing_mechanism": "MCAR",
            "careless": 0.0, "careless_kinds": CARELESS_KINDS, "speeders": 0.0, "group": "district",
            "differences": ()}
    unknown = set(options) - set(args)
    if unknown:
        raise ValueError(f"simulate_to_csv got unknown options {sorted(unknown)}; allowed: {sorted(args)}.")
    args.update(options)
    plan = _Plan(instrument, n, seed, **args)
    flagged = []
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for i, chunk in enumerate(_chunks(plan, False)):
            write_csv(_chunk_frame(chunk), handle, header=(i == 0))
            flagged.append(_flagged(chunk.flags))
    return Truth(plan.params(), pd.concat(flagged, ignore_index=True), plan.settings())
