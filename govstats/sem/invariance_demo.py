"""The demo's invariance step: the sequence across districts on data with planted differences."""

from __future__ import annotations

import warnings

import pandas as pd

from govstats.sem.invariance import invariance

# Planted in the demo's simulated data (simulate(differences=...)): one item measures its construct
# less well in one district, another is answered higher in another district at the same factor level.
DEMO_DIFFERENCES = (
    {"item": "CD2", "group": "D3", "loading": 0.35},
    {"item": "CI3", "group": "D2", "intercept": 0.6},
)


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else "" for line in text.splitlines())


def demo_invariance(instrument, data: pd.DataFrame, truth, lang: str, constructs=("CD", "CI")) -> None:
    """Print step 8 of the demo: invariance of ``constructs`` across districts, the score-test
    suggestion at the first failing step, and the latent means once partial invariance holds."""
    items = {c.id: [i.id for i in c.items] for c in instrument.constructs if c.id in constructs}
    syntax = "\n".join(f"{c} =~ {' + '.join(ids)}" for c, ids in items.items())
    names = ", ".join(f"{c.id} ({c.name.get(lang)})" for c in instrument.constructs if c.id in items)
    planted = truth.params[truth.params.group != ""]
    base = truth.params[(truth.params.group == "") & truth.params.rhs.isin(planted.rhs)]
    told = [f"{r.rhs}'s loading {r.est:.2f} in {r.group} (else {base[base.rhs == r.rhs].est.iat[0]:.2f})"
            if r.op == "=~" else f"{r.lhs}'s intercept {r.est:+.1f} in {r.group}" for r in planted.itertuples()]
    print(f"\nStep 8. Measurement invariance across the districts: {names}; MLR on the unflagged respondents")
    print(f"  Planted in the simulation: {'; '.join(told)}.")
    # lavaan orders groups as they first appear; sorted, the first district is the reference group
    data = data.sort_values("district", kind="stable")
    freed, rounds = [], []
    with warnings.catch_warnings():  # a note per step on the listwise rows; the count is printed below
        warnings.simplefilter("ignore")
        result = current = invariance(syntax, data, group="district", estimator="MLR")
        # as a researcher goes: at the first failing step free what the score tests point at, refit the
        # sequence with those parameters free in every later step, and look again
        for _ in range(len(result.fits)):
            level = next((lv for lv in list(current.fits)[1:] if current.table.at[lv, "decision"] == "fails"), None)
            if level is None:
                break
            suggestion = current.suggest_partial(level)
            new = [p for p in suggestion.free if p not in freed]
            if not new:
                break
            freed += new
            rounds.append((level, suggestion))
            current = invariance(syntax, data, group="district", estimator="MLR", partial=freed)
    used = next(iter(result.fits.values())).nobs
    print(f"  {used} respondents with all {sum(map(len, items.values()))} items answered (listwise).\n")
    print(_indent(result.summary()))
    for level, suggestion in rounds:
        print(f"\n  The {level} step fails. Freed one at a time by score tests (lavTestScore), largest first:")
        print(_indent(suggestion.to_string(index=False, float_format=lambda v: f"{v:.3f}")))
    if freed:
        print(f"\n  Partial invariance, {', '.join(freed)} free across districts:")
        print(_indent(current.table[["df", "chisq", "chisq_diff", "df_diff", "pvalue_diff", "decision"]]
                      .to_string(float_format=lambda v: f"{v:.3f}", na_rep="")))
    try:
        means = current.latent_means()
    except ValueError as exc:
        print(f"  {exc}")
        return
    print(f"\n  Latent means against {current.group_labels[0]} (std: in the district's own factor SDs); no mean "
          "difference was planted: these come from the communities drawn into each district:")
    print(_indent(means.drop(columns="group").to_string(index=False, float_format=lambda v: f"{v:.3f}")))
