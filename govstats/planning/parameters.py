"""Analytic power for parameters of a population model (Satorra & Saris 1985), as semPower.

The population comes from lavaan-style syntax with population values
(:func:`govstats.planning.population.population_from_syntax`). The analysis model (by default the
same syntax with the values freed) is fitted by ML to the population moments twice: as it is
(discrepancy ``F0``, zero when it is correctly specified) and with the tested parameters fixed
at zero (``F1``). The likelihood-ratio test of the restriction then has ``df`` = the number of
parameters and noncentrality ``(N - 1)(F1 - F0)``; with ``method="wald"`` the noncentrality is
``(N - 1) theta' V^-1 theta`` from the unrestricted fit's expected information (``V`` the
per-observation covariance of the tested estimates). Both are asymptotically the same.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from govstats.planning.analytic import AnalyticPower, chisq_power
from govstats.planning.design import population_fit, target_name
from govstats.planning.population import free_syntax, population_from_syntax
from govstats.sem.syntax import parse_model

__all__ = ["parameter_power"]


def _key(lhs: str, op: str, rhs: str) -> str:
    return f"{lhs}{op}{rhs}"


def _restricted(formulas, names: list[str]):
    """The formulas with the named terms fixed at 0; refuses names the model does not have."""
    wanted = {n.replace(" ", "") for n in names}
    found, out = set(), []
    for f in formulas:
        terms = []
        for t in f.terms:
            keys = {_key(f.lhs, f.op, t.name)} | ({_key(t.name, f.op, f.lhs)} if f.op == "~~" else set())
            hit = keys & wanted
            if hit:
                found |= hit
                t = dataclasses.replace(t, fixed=[0.0])
            terms.append(t)
        out.append(dataclasses.replace(f, terms=terms))
    missing = wanted - found
    if missing:
        raise ValueError(f"The 'parameters' {sorted(missing)} are not written in the analysis model; name them as "
                         "lhs, operator and rhs without spaces, e.g. 'f2~f1' or 'x1~~y1'.")
    return out


def parameter_power(model: str, parameters, n: int | None = None, power: float | None = None, alpha: float = 0.05,
                    abratio: float | None = None, analysis: str | None = None, standardized: bool = False,
                    method: str = "lr") -> AnalyticPower:
    """Power to detect that ``parameters`` of a population model differ from zero.

    Parameters
    ----------
    model : str
        lavaan-style syntax with population values (as ``lavaan::simulateData``).
    parameters : str or list of str
        The parameters tested together, e.g. ``"f3~f1"`` or ``["f3~f1", "x1~~y1"]``.
    n, power, alpha, abratio
        Post hoc (``n``), a priori (``power``) or compromise (``n`` and ``abratio``), as
        :func:`govstats.planning.rmsea_power`.
    analysis : str, optional
        The analysis model; default the population syntax with its values freed.
    standardized : bool
        As simulateData's ``standardized``.
    method : {"lr", "wald"}

    Returns
    -------
    AnalyticPower

    Examples
    --------
    >>> pop = '''f1 =~ 0.7*x1 + 0.7*x2 + 0.6*x3
    ... f2 =~ 0.8*y1 + 0.6*y2 + 0.5*y3
    ... f2 ~ 0.3*f1'''
    >>> res = parameter_power(pop, "f2~f1", power=0.8)
    >>> res.df, res.n > 50
    (1.0, True)
    """
    if method not in ("lr", "wald"):
        raise ValueError(f"The 'method' parameter of parameter_power must be one of {{'lr', 'wald'}}. Got {method!r} "
                         "instead.")
    names = [parameters] if isinstance(parameters, str) else list(parameters)
    if not names or not all(isinstance(p, str) for p in names):
        raise ValueError(f"The 'parameters' parameter of parameter_power must name one or more parameters. Got "
                         f"{parameters!r} instead.")
    population = population_from_syntax(model, standardized=standardized)
    syntax = analysis or free_syntax(model)
    formulas = parse_model(syntax)
    bound, opt = population_fit(syntax, population.sigma, population.mu, population.names, formulas=formulas)
    f0 = float(opt.fmin)
    label = ", ".join(names)
    if method == "lr":
        restricted = _restricted(formulas, names)
        _, opt_r = population_fit(syntax, population.sigma, population.mu, population.names, formulas=restricted)
        f1 = float(opt_r.fmin) - f0
    else:
        from govstats.sem.ml_inference import expected_information

        table = bound.model.table
        keys = {n.replace(" ", "") for n in names}
        rows = [k for k in range(len(table)) if table.free.iat[k] > 0 and (
            target_name(table, k) in keys or _key(table.rhs.iat[k], table.op.iat[k], table.lhs.iat[k]) in keys)]
        if len(rows) != len(keys):
            _restricted(formulas, names)  # names the ones that are missing
            raise ValueError(f"The 'parameters' {names} must be free parameters of the analysis model.")
        info = expected_information(bound.blocks, bound.statistics.blocks, opt.theta, bound.model.meanstructure)
        free = [int(table.free.iat[k]) - 1 for k in rows]
        v = np.linalg.inv(info)[np.ix_(free, free)]
        theta = opt.theta[free]
        f1 = float(theta @ np.linalg.solve(v, theta))
    return dataclasses.replace(chisq_power(0.0, f1, float(len(names)), alpha=alpha, n=n, power=power,
                                           abratio=abratio, test=f"parameters {label} ({method})"))
