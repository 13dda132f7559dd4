"""The population that generated a synthetic dataset, in the shape of ``SEMResults.params``.

Every value is on the standardized latent-response scale: what an ordinal (WLSMV) fit's
``std_all`` column estimates. Loadings carry the sign of the item as written (a
reverse-coded item loads negatively), thresholds are those of the item as answered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from govstats.instrument.population import propagate

PARAM_COLUMNS = ["lhs", "op", "rhs", "group", "est"]


def population_params(instrument) -> pd.DataFrame:
    """One row per population parameter: loadings, paths, (residual) variances and covariances, thresholds.

    ``group`` is ``""`` for values shared by every group; group-specific values (see
    ``simulate(..., differences=...)``) are added by the simulation with the group's label.
    """
    constructs = instrument.constructs  # every item is simulated, so every construct has a truth
    ids = [c.id for c in constructs]
    order, cov, explained = propagate(ids, instrument.model.paths, instrument.model.correlation)
    index = {n: i for i, n in enumerate(order)}
    outcomes = set(instrument.model.outcomes)
    rows = []
    for c in constructs:
        for item in c.items:
            rows.append((c.id, "=~", item.id, "", -item.loading if item.reverse else item.loading))
    for p in instrument.model.paths:
        rows.append((p.outcome, "~", p.predictor, "", p.coefficient))
    exo = [n for n in ids if n not in outcomes]
    for n in ids:
        rows.append((n, "~~", n, "", 1.0 - explained[n] if n in outcomes else 1.0))
    for i, a in enumerate(exo):
        for b in exo[i + 1:]:
            rows.append((a, "~~", b, "", float(cov[index[a], index[b]])))
    for c in constructs:
        for item in c.items:
            rows.append((item.id, "~~", item.id, "", 1.0 - item.loading ** 2))
    for c in constructs:
        for item in c.items:
            for k, t in enumerate(item.thresholds, start=1):
                rows.append((item.id, "|", f"t{k}", "", float(t)))
    return pd.DataFrame(rows, columns=PARAM_COLUMNS)


@dataclass(frozen=True)
class Truth:
    """What generated a synthetic dataset.

    Attributes
    ----------
    params : DataFrame
        ``lhs, op, rhs, group, est`` as :func:`population_params`, plus group-specific rows.
    rows : DataFrame
        One row per respondent: ``respondent_id``, ``careless`` (``""``, ``"straight"``,
        ``"random"`` or ``"attention"``), ``speeder`` (bool), ``n_missing`` (item cells blanked).
    settings : dict
        The arguments of the simulation (seed, n, rates, ...) and the community ICCs.
    """

    params: pd.DataFrame
    rows: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        flagged = self.rows[(self.rows["careless"] != "") | self.rows["speeder"] | (self.rows["n_missing"] > 0)]
        return {
            "settings": self.settings,
            "params": [{k: _plain(v) for k, v in r.items()} for r in self.params.to_dict("records")],
            "flagged_rows": [{k: _plain(v) for k, v in r.items()} for r in flagged.to_dict("records")],
        }

    def to_json(self, path: str | Path) -> None:
        """Write the truth as UTF-8 JSON: settings, params and the rows made careless, missing or speeding."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=1)
        Path(path).write_text(text + "\n", encoding="utf-8")


def _plain(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return round(float(v), 12)
    if isinstance(v, np.bool_):
        return bool(v)
    return v
