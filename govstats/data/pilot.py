"""A simulated pilot with planted weak items, so that item analysis can be shown and tested.

A pilot of a new questionnaire typically turns up three kinds of bad item; each is planted by
changing what respondents do, never the instrument file:

- ``"low_loading"``: the item barely measures its construct (standardized loading ``0.20``);
- ``"misread_reverse"``: a reverse-keyed item whose negation nobody noticed: respondents answer
  it in the construct's direction, so once it is scored reversed it runs against the others;
- ``"ceiling"``: nearly everyone agrees (population shares ``.01 .02 .07 .20 .70`` on a
  five-point scale; for other scales the top point gets 70% and the rest share 30%).

The instrument passed in stays the analysis' instrument; :attr:`SimulatedPilot.planted` says
which item got which weakness, the ground truth a test compares the flags with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from govstats.data.simulate import SimulatedData, simulate
from govstats.instrument.population import thresholds_from_proportions

WEAK_KINDS = ("low_loading", "misread_reverse", "ceiling")
LOW_LOADING = 0.20
CEILING_SHARE = 0.70
CEILING_5 = (0.01, 0.02, 0.07, 0.20, 0.70)


@dataclass(frozen=True)
class SimulatedPilot:
    """Pilot responses, the truth that generated them, and the weak items planted in them.

    Attributes
    ----------
    responses : DataFrame
        As :func:`govstats.simulate` returns them (columns of the instrument).
    planted : dict
        Item id -> kind of weakness (one of :data:`WEAK_KINDS`).
    simulated : SimulatedData
        The whole simulation (``truth.params`` holds the planted loadings).
    """

    responses: object
    planted: dict
    simulated: SimulatedData


def default_weak_items(instrument) -> dict[str, str]:
    """One item of each kind, in three different constructs where the instrument allows.

    The misread item is the instrument's first reverse-keyed item; the low-loading item the
    last non-reversed item of the first other construct; the ceiling item the first
    non-reversed item of the next construct.
    """
    rev = next((i for i in instrument.items if i.reverse), None)
    if rev is None:
        raise ValueError(f"default_weak_items: instrument '{instrument.id}' has no reverse-keyed item to plant "
                         "'misread_reverse' on; pass weak= naming the items.")
    used = {rev.construct}
    out = {rev.id: "misread_reverse"}
    for kind, pick in (("low_loading", -1), ("ceiling", 0)):
        for c in instrument.constructs:
            plain = [i for i in c.items if not i.reverse]
            if c.id in used or len(c.items) < 3 or not plain:
                continue
            out[plain[pick].id] = kind
            used.add(c.id)
            break
    return out


def _ceiling(n_points: int) -> tuple[float, ...]:
    if n_points == 5:
        return CEILING_5
    rest = (1 - CEILING_SHARE) / (n_points - 1)
    return tuple([rest] * (n_points - 1) + [CEILING_SHARE])


def weakened(instrument, weak: Mapping[str, str]):
    """The instrument as the pilot's respondents answer it: each named item weakened as ``weak`` says."""
    known = {i.id: i for i in instrument.items}
    for item, kind in weak.items():
        if item not in known:
            raise ValueError(f"The 'weak' parameter of simulate_pilot must name items of instrument "
                             f"'{instrument.id}'. Got {item!r} instead.")
        if kind not in WEAK_KINDS:
            raise ValueError(f"The 'weak' parameter of simulate_pilot must map items to one of {set(WEAK_KINDS)}. "
                             f"Got {kind!r} for {item!r} instead.")
        if kind == "misread_reverse" and not known[item].reverse:
            raise ValueError(f"The 'weak' parameter of simulate_pilot: {item!r} is not reverse-keyed, so it cannot "
                             "be a misread reverse item.")
    constructs = []
    for c in instrument.constructs:
        items = []
        for it in c.items:
            kind = weak.get(it.id)
            if kind == "low_loading":
                it = replace(it, loading=LOW_LOADING)
            elif kind == "misread_reverse":
                # answered in the construct's direction: the data are generated unreversed
                it = replace(it, reverse=False)
            elif kind == "ceiling":
                p = _ceiling(len(it.scale.points))
                it = replace(it, proportions=p, thresholds=thresholds_from_proportions(p))
            items.append(it)
        constructs.append(replace(c, items=tuple(items)))
    return replace(instrument, constructs=tuple(constructs))


def simulate_pilot(instrument, n: int = 300, seed: int | None = None, weak: Mapping[str, str] | None = None,
                   **options) -> SimulatedPilot:
    """Simulate a pilot of ``instrument`` with weak items planted (see the module docstring).

    Parameters
    ----------
    instrument : Instrument
    n : int
        Respondents (default 300, a common pilot size).
    seed : int, optional
    weak : mapping item -> kind, optional
        Which items are weak and how; by default :func:`default_weak_items`. ``{}`` plants none.
    **options
        Passed to :func:`govstats.simulate` (``missing``, ``careless``, ``communities``, ...).

    Returns
    -------
    SimulatedPilot

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.data.pilot import simulate_pilot
    >>> from govstats.resources import seed_instrument_path
    >>> pilot = simulate_pilot(load_instrument(seed_instrument_path("grid_governance")), 300, seed=1)
    >>> pilot.planted
    {'ID5': 'misread_reverse', 'VS4': 'low_loading', 'IS1': 'ceiling'}
    >>> pilot.responses.shape
    (300, 45)
    """
    weak = dict(default_weak_items(instrument) if weak is None else weak)
    sim = simulate(weakened(instrument, weak), n, seed=seed, **options)
    return SimulatedPilot(responses=sim.responses, planted=weak, simulated=sim)
