"""Auxiliary variables for FIML: saturated correlates (Graham 2003), as semTools' ``sem.auxiliary``.

An auxiliary variable (say, age or education, related to who leaves blanks) is added to the model
with a free mean and variance, free covariances with the other auxiliary variables and with every
observed variable of the model (for an indicator or an outcome: with its residual). The model's
degrees of freedom do not change, but FIML then uses the auxiliary variables to fill in what the
blanks hide (less bias under MAR, more power). The baseline model of CFI/TLI keeps the same
saturated part (the model's variables uncorrelated, the auxiliary variables correlated with
everything), as semTools does, so that the auxiliary variables do not inflate the fit indices.
"""

from __future__ import annotations

import numpy as np

from govstats.sem.model import CompiledModel
from govstats.sem.objectives import objective_for
from govstats.sem.optimizer import minimize
from govstats.sem.start import start_values


def check_auxiliary(auxiliary, names, data_columns, fixed_x: bool) -> None:
    """Auxiliary variables must be data columns outside the model; with fixed.x covariates in the
    model they cannot be correlated with them (semTools frees the covariates first)."""
    absent = [a for a in auxiliary if a not in data_columns]
    if absent:
        raise ValueError(f"The 'auxiliary' parameter of fit names column(s) {absent} that the data do not have.")
    inside = [a for a in auxiliary if a in set(names.ov) | set(names.lv)]
    if inside:
        raise ValueError(f"The auxiliary variable(s) {inside} are in the model already; an auxiliary variable is a "
                         "column outside the model (e.g. age or education, related to who left blanks).")
    if fixed_x and list(names.ov_x):
        raise ValueError(f"Auxiliary variables with exogenous covariates ({', '.join(names.ov_x)}) need "
                         "fixed_x=False, so that the auxiliary variables can be correlated with them.")


def auxiliary_syntax(syntax: str, observed: list[str], auxiliary) -> str:
    """The model with the auxiliary variables as saturated correlates."""
    aux = list(auxiliary)
    lines = [f"{a} ~~ {b}" for i, a in enumerate(aux) for b in aux[i:]]
    lines += [f"{a} ~ 1" for a in aux]
    lines += [f"{a} ~~ {v}" for v in observed for a in aux]
    return syntax.rstrip() + "\n# auxiliary variables (saturated correlates)\n" + "\n".join(lines) + "\n"


def baseline_syntax(observed: list[str], auxiliary) -> str:
    """The baseline model with auxiliary variables: the model's observed variables uncorrelated,
    the auxiliary variables correlated with each other and with all of them; every variable in the
    order of ``observed`` (the model's own), so that the data's columns line up."""
    aux = set(auxiliary)
    lines = [f"{v} ~~ {v}" for v in observed]
    lines += [f"{v} ~ 1" for v in observed]
    model_vars = [v for v in observed if v not in aux]
    aux_list = [v for v in observed if v in aux]
    lines += [f"{a} ~~ {b}" for i, a in enumerate(aux_list) for b in aux_list[i + 1:]]
    lines += [f"{a} ~~ {v}" for v in model_vars for a in aux_list]
    return "\n".join(lines) + "\n"


def fit_baseline(bound, auxiliary):
    """(bound baseline model, its estimate) on the same statistics: semTools' baseline of a model
    with auxiliary variables, fitted by FIML."""
    observed = list(bound.model.names.ov)
    compiled = CompiledModel(baseline_syntax(observed, auxiliary), ngroups=bound.model.ngroups, meanstructure=True,
                             fixed_x=False)
    if list(compiled.names.ov) != observed:
        raise RuntimeError("the auxiliary baseline model orders the variables differently from the model")
    base = compiled.bind(bound.statistics)
    opt = minimize(objective_for(base), start_values(base))
    if not opt.converged or not np.isfinite(opt.fmin):
        raise ValueError(f"The baseline model with auxiliary variables did not converge ({opt.message}); its fit "
                         "indices cannot be computed.")
    return base, opt
