"""A population from lavaan-style syntax with population values, as ``lavaan::simulateData``.

The syntax is read as lavaanify reads it in simulateData (lavaan 0.6.14, R/lav_simulate_old.R):
``std.lv = TRUE``, no marker loadings fixed, ``fixed.x = FALSE``, means only when an intercept is
written. Values written as ``0.7*x1`` are the population's; what is left unwritten takes
simulateData's defaults: a loading 1 (0.7 with ``standardized=True``), a variance 1, everything
else 0 (an unwritten regression is refused here, where lavaan warns and uses 0). With
``standardized=True`` the residual variances of every endogenous latent variable and every
indicator or outcome are set so that all variances are 1. lavaan makes one pass over the latent
variables, which gives variances 1 only when no endogenous latent variable predicts another;
here the passes repeat until every variance is 1, the same where lavaan's is right.

Thresholds written as lavaan's ``x1 | -0.5*t1 + 0.5*t2`` cut that variable into ordered
categories, as simulateData does (on the variable's own scale).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from govstats.sem.esem import refuse_efa
from govstats.sem.model import CompiledModel
from govstats.sem.syntax import Formula, Term, parse_model

__all__ = ["Population", "population_from_syntax", "formulas_text", "free_syntax"]

STANDARDIZE_PASSES = 100


@dataclass(frozen=True)
class Population:
    """The distribution replications are drawn from.

    Attributes
    ----------
    names : list of str
        Observed variables, in the order of ``sigma``.
    sigma, mu : arrays
        Population covariance matrix and means of the (continuous) variables.
    thresholds : dict
        Variable -> its cut points, for variables drawn as ordered categories.
    syntax : str
        The population syntax as given.
    """

    names: list
    sigma: np.ndarray
    mu: np.ndarray
    thresholds: dict
    syntax: str

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` rows: multivariate normal, cut at the thresholds where there are any (codes 1, 2, ...)."""
        x = self.mu + rng.standard_normal((n, len(self.names))) @ self.chol.T
        for j, name in enumerate(self.names):
            cuts = self.thresholds.get(name)
            if cuts is not None:
                x[:, j] = np.searchsorted(np.asarray(cuts), x[:, j]) + 1
        return x

    @property
    def chol(self) -> np.ndarray:
        return np.linalg.cholesky(self.sigma)

    def correlation(self) -> tuple[np.ndarray, np.ndarray]:
        """(correlation matrix, standard deviations): the latent responses' scale of ordered variables."""
        sd = np.sqrt(np.diag(self.sigma))
        return self.sigma / np.outer(sd, sd), sd


def formulas_text(formulas: list[Formula]) -> str:
    """lavaan-style syntax for parsed formulas (one line each; modifiers as written)."""
    lines, previous = [], None
    for f in formulas:
        if f.op in (":=", "==", "<", ">"):
            lines.append(f"{f.lhs} {f.op} {f.expression}")
            previous = None
            continue
        op = "~" if f.op == "~1" else f.op
        terms = []
        for t in f.terms:
            mods = []
            for kind, values in (("fixed", t.fixed), ("label", t.label), ("start", t.start)):
                if not values:
                    continue
                shown = ["NA" if v is None else (repr(float(v)) if kind != "label" else str(v)) for v in values]
                text = shown[0] if len(shown) == 1 else f"c({', '.join(shown)})"
                mods.append(f"start({text})" if kind == "start" else text)
            terms.append("".join(f"{m}*" for m in mods) + ("1" if f.op == "~1" else t.name))
        key = (f.lhs, op, f.line)
        if key == previous:  # the parser splits one line's terms; write them on one line again
            lines[-1] += " + " + " + ".join(terms)
        else:
            lines.append(f"{f.lhs} {op} {' + '.join(terms)}")
        previous = key
    return "\n".join(lines) + "\n"


def free_syntax(syntax: str) -> str:
    """The analysis model of a population syntax: the same model with the population values freed
    (labels kept, threshold lines dropped: a fit of ordered data estimates its own thresholds).

    Examples
    --------
    >>> print(free_syntax("f =~ 0.7*x1 + 0.7*x2 + a*x3\\ny ~ 0.3*f\\ny ~~ 0.5*y"), end="")
    f =~ x1 + x2 + a*x3
    y ~ f
    y ~~ y
    """
    out = []
    for f in parse_model(syntax):
        if f.op == "|":
            continue
        out.append(dataclasses.replace(f, terms=[dataclasses.replace(t, fixed=[]) for t in f.terms]))
    return formulas_text(out)


def _threshold_values(formulas: list[Formula]) -> dict:
    out: dict = {}
    for f in formulas:
        if f.op != "|":
            continue
        for t in f.terms:  # the parser gives one formula per term
            if not t.fixed or t.fixed[0] is None:
                raise ValueError(f"Line {f.line}: threshold {f.lhs} | {t.name} needs a population value "
                                 f"(e.g. '{f.lhs} | -0.5*{t.name}').")
            out.setdefault(f.lhs, []).append(float(t.fixed[0]))
    for name, values in out.items():
        if np.any(np.diff(values) <= 0):
            raise ValueError(f"The thresholds of {name} must increase; got {values}.")
    return out


def population_from_syntax(syntax: str, standardized: bool = False) -> Population:
    """The population moments of lavaan-style syntax with population values (see the module docstring).

    Examples
    --------
    >>> pop = population_from_syntax("y ~ 0.3*x1 + 0.2*x2\\nx1 ~~ 0.4*x2")
    >>> pop.names, round(float(pop.sigma[0, 0]), 4)  # 0.09 + 0.04 + 2*0.3*0.2*0.4 + 1
    (['y', 'x1', 'x2'], 1.178)
    """
    if not isinstance(syntax, str) or not syntax.strip():
        raise ValueError(f"The 'model' parameter must be lavaan-style syntax with population values. Got {syntax!r}.")
    formulas = parse_model(syntax)
    refuse_efa(formulas, "a population model")
    thresholds = _threshold_values(formulas)
    kept = [f for f in formulas if f.op not in ("|", ":=", "==", "<", ">")]
    if any(f.op == "~*~" for f in kept):
        raise ValueError("Scale factors (~*~) are not population values a simulation can use; leave them out.")
    if standardized:  # std.lv fixes the endogenous latent variables' residual variances: free them to set
        endogenous_lv = {f.lhs for f in kept if f.op == "~"} & {f.lhs for f in kept if f.op == "=~"}
        written = {f.lhs for f in kept if f.op == "~~" for t in f.terms if t.name == f.lhs}
        kept = kept + [Formula(lhs=v, op="~~", terms=[Term(name=v, fixed=[None])], line=0)
                       for v in sorted(endogenous_lv - written)]
    model = CompiledModel(formulas_text(kept), std_lv=True, fixed_x=False, formulas=kept)
    table = model.table
    if (table.group > 1).any():
        raise ValueError("A population with several groups is not supported; give one group's syntax.")
    theta = np.zeros(model.n_free)
    for op, lhs, rhs, free, line in zip(table.op, table.lhs, table.rhs, table.free, table.line):
        if free <= 0:
            continue
        if op == "=~":
            theta[free - 1] = 0.7 if standardized else 1.0
        elif op == "~~" and lhs == rhs:
            theta[free - 1] = 1.0
        elif op == "~":
            raise ValueError(f"Line {line}: the regression {lhs} ~ {rhs} has no population value; write one "
                             f"(e.g. '{lhs} ~ 0.3*{rhs}'), or 0*{rhs} for none.")
    block = model.blocks[0]
    if standardized:
        theta = _standardize(model, theta)
    sigma, mu = block.implied(theta)[:2]
    names = list(model.names.ov)
    missing = [v for v in thresholds if v not in names]
    if missing:
        raise ValueError(f"Thresholds are given for {missing}, which are not observed variables of the model.")
    eig = np.linalg.eigvalsh(sigma)
    if eig.min() <= 1e-10 * max(1.0, eig.max()):
        raise ValueError("The population covariance matrix is not positive definite (a residual variance is "
                         "negative or zero); check the population values.")
    mean = mu if block.meanstructure else np.zeros(len(names))
    return Population(names=names, sigma=sigma, mu=np.asarray(mean, dtype=float), thresholds=thresholds,
                      syntax=syntax)


def _standardize(model: CompiledModel, theta: np.ndarray) -> np.ndarray:
    """Residual variances of endogenous variables (indicators, outcomes) that make every variance 1."""
    table = model.table
    block = model.blocks[0]
    endogenous = set(table.rhs[table.op == "=~"]) | set(table.lhs[table.op == "~"])
    index = {v: i for i, v in enumerate(block.names)}
    rows = [(free - 1, index[lhs], line) for op, lhs, rhs, free, line, user
            in zip(table.op, table.lhs, table.rhs, table.free, table.line, table.user)
            if op == "~~" and lhs == rhs and lhs in endogenous and free > 0]
    written = table[(table.op == "~~") & (table.lhs == table.rhs) & table.lhs.isin(endogenous) & (table.user == 1)
                    & (table.line > 0)]
    if len(written):
        r = written.iloc[0]
        raise ValueError(f"Line {r.line}: standardized=True sets the residual variance of {r.lhs}; leave it out "
                         "(lavaan: 'if residual variances are specified, please use standardized=FALSE').")
    for param, _, _ in rows:
        theta[param] = 0.0
    for _ in range(STANDARDIZE_PASSES):
        total = np.diag(block.implied(theta)[3])
        gap = np.array([total[i] - 1.0 for _, i, _ in rows])
        if not len(rows) or np.abs(gap).max() < 1e-13:
            return theta
        for (param, _, _), g in zip(rows, gap):
            theta[param] -= g
    raise ValueError("standardized=True: the variances did not settle at 1 (a non-recursive model?).")
