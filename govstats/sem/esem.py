"""Exploratory SEM blocks (``efa("b1")*f1 + efa("b1")*f2 =~ ...``) as lavaan 0.6.14 fits them.

1. The unrotated model is fitted as any other: every indicator of a block loads on every factor
   of the block, factor variances 1, and the echelon zeros and zero factor covariances of
   :mod:`govstats.sem.partable` (``user = 7``; with an orthogonal rotation the covariances are
   plain fixed zeros) identify it. Its fit measures are the model's (rotation leaves the
   implied moments unchanged). It starts from an ML factor analysis of each block.
2. Each block's loadings are rotated (:func:`govstats.measurement.gpa.rotate_gpa`, lavaan's
   ``lav_model_efa_rotate_x``): with H the block's rotation matrix, the latent variables become
   H' eta, so loadings become Lambda inv(H)', factor (co)variances H' Psi H, regressions on the
   factors B inv(H)', of the factors H' B, latent means H' alpha.
3. Standard errors: lavaan's ``rotation.se = "bordered"``. The rotated model, with the user-7
   rows free, is not identified on its own; the rotation's stationarity conditions (oblique:
   the off-diagonal elements of Z - diag(Z) Psi, orthogonal: Z symmetric; Z = L' dQ/dL on the
   row-standardized loadings L) are the constraints that identify it. The covariance of the
   estimates is the inverse of the information bordered by the constraints' Jacobian,
   K (K' I K)^-1 K' with K a basis of the Jacobian's null space
   (:class:`govstats.sem.constraints.LinearConstraints`), and the sandwich around it for MLR
   (the robust WLS covariance for WLSMV), as lavaan's ``lav_model_information_augment_invert``.
   Or lavaan's ``rotation.se = "delta"`` (:func:`delta_vcov`).
4. Several groups: each group's block is identified, rotated and constrained on its own
   (configural; lavaan's rotation is per group too).

Examples
--------
Two drivers of platform governance as an exploratory block, an outcome factor regressed on them:

>>> import pandas as pd
>>> from govstats import fit
>>> from govstats.resources import instruments_dir
>>> data = pd.read_csv(instruments_dir().parent / "data" / "synthetic" / "platform_dilemma.csv")
>>> model = '''efa("drivers")*d1 + efa("drivers")*d2 =~ DZ1 + DZ2 + DZ3 + DZ4 + GP1 + GP2 + GP3 + GP4
... AU =~ AU1 + AU2 + AU3 + AU4
... AU ~ d1 + d2'''
>>> res = fit(model, data)                      # geomin, lavaan's default
>>> rows = res.params.query("op == '~' or (lhs == 'd1' and rhs == 'd2')")
>>> print(rows[["lhs", "op", "rhs", "est", "se"]].round(3).to_string(index=False))
lhs op rhs    est    se
 AU  ~  d1 -0.094 0.041
 AU  ~  d2 -0.322 0.043
 d1 ~~  d2  0.360 0.052
>>> print(res.partable().query("user == 7")[["lhs", "op", "rhs", "free"]].to_string(index=False))
lhs op rhs  free
 d2 =~ DZ1     0
 d1 ~~  d2     0
"""

from __future__ import annotations

import dataclasses

import numpy as np

from govstats.sem import trouble
from govstats.sem.constraints import LinearConstraints, null_space
from govstats.sem.partable import efa_sets
from govstats.sem.syntax import ModelSyntaxError

# the random starts of the rotation are drawn from this seed: a rerun gives the same numbers
ROTATION_SEED = 20230208


def has_efa(formulas) -> bool:
    return any(f.efa for f in formulas)


def refuse_efa(formulas, what: str) -> None:
    """Where rotation has no meaning (a population's values, a power analysis' model): refused by line."""
    line = next((f.line for f in formulas if f.efa), None)
    if line is not None:
        raise ValueError(f"exploratory SEM blocks (efa(\"...\")*, line {line}) in {what} are not available in "
                         "this version; write the factors' loadings as a confirmatory model.")


def check_efa_fit(formulas, options, ngroups: int) -> None:
    """What this version fits with efa blocks (tested against lavaan), or a ValueError naming the rest."""
    line = next(f.line for f in formulas if f.efa)
    where = f"exploratory SEM blocks (efa(\"...\")*, line {line})"
    if ngroups > 1 and options.group_equal:
        # lavaan 0.6.14 then marks the later groups' echelon rows user 77 (held equal, not fixed), frees their
        # factor (co)variances, and still rotates each group on its own: on HolzingerSwineford1939 with
        # group.equal = "loadings" its rotated loadings differ across the "equal" groups (0.606 vs 0.608)
        raise ValueError(f"{where} with group_equal={list(options.group_equal)!r} are not available in this "
                         "version; several groups are fitted configurally (each group rotated on its own), "
                         "leave out group_equal.")
    ordinal = options.ordered is not None
    if options.estimator not in (("WLSMV", "ULSMV") if ordinal else ("ML", "MLR", "MLM", "ULS", "GLS")):
        raise ValueError(f"{where} with estimator={options.estimator!r}{' and ordered items' if ordinal else ''} are "
                         "not available in this version; use estimator='ML', 'MLR', 'MLM', 'ULS' or 'GLS' (or "
                         "'WLSMV', 'ULSMV' with ordered items).")
    if options.missing not in ("listwise", "fiml"):
        raise ValueError(f"{where} with missing={options.missing!r} are not available in this version; use "
                         "missing='listwise' or 'fiml'.")
    if options.se not in (("robust.sem", "none") if ordinal else ("standard", "robust.huber.white", "robust.cluster",
                                                                    "robust.sem", "none")):
        raise ValueError(f"{where} with se={options.se!r} are not available in this version; use the estimator's "
                         "default standard errors (ML: 'standard', MLR: 'robust.huber.white', WLSMV: 'robust.sem') "
                         "or se='none'.")
    if options.bootstrap or options.ci == "monte_carlo":
        raise ValueError(f"{where} with the bootstrap or Monte Carlo intervals are not available in this version.")
    if options.auxiliary:
        raise ValueError(f"{where} with auxiliary variables are not available in this version.")
    defined = next((f for f in formulas if f.op == ":="), None)
    if defined is not None and options.rotation_se == "delta":
        # lavaan's delta method leaves the := rows out of its Jacobian (their SEs come out 0)
        raise ValueError(f"{where} with rotation_se='delta' and defined parameters ('{defined.lhs} := "
                         f"{defined.expression}', line {defined.line}) are not available in this version; use "
                         "rotation_se='bordered' (lavaan's default).")
    constraint = next((f for f in formulas if f.op in ("==", "<", ">")), None)
    if constraint is not None:
        raise ValueError(f"{where} with constraints ('{constraint.lhs} {constraint.op} {constraint.expression}', "
                         f"line {constraint.line}) are not available in this version.")


@dataclasses.dataclass
class EfaSet:
    name: str
    factors: list[str]
    indicators: list[str]


def efa_blocks(table, formulas) -> list[EfaSet]:
    """The blocks to rotate (two factors or more), with their indicators in table order (lavaan's
    ov.efa.idx: the items' order matters to the ordering of the rotated factors)."""
    out = []
    latent = set(table.lhs[table.op == "=~"])
    for name, factors in efa_sets(formulas).items():
        rows = table[(table.op == "=~") & table.lhs.isin(factors)]
        indicators = list(dict.fromkeys(rows.rhs))
        inner = [v for v in indicators if v in latent]
        if inner:
            line = int(rows[rows.rhs.isin(inner)].line.iloc[0])
            raise ModelSyntaxError(f"line {line}: the efa block {name!r} is measured by latent variables "
                                   f"({', '.join(inner)}); efa factors of observed items only are available in this "
                                   "version.")
        if len(factors) > 1:
            out.append(EfaSet(name, list(factors), indicators))
    return out


class _Matrices:
    """A group's paths (A[i, j]: effect of j on i), (co)variances S and means m over every variable,
    from the table's row values (rows of other groups untouched)."""

    def __init__(self, table, names, group: int = 1):
        self.variables = list(names.ov) + [v for v in names.lv if v not in set(names.ov)]
        self.index = {v: i for i, v in enumerate(self.variables)}
        op = table.op.to_numpy()
        self.rows = [(k, o, self.index.get(l), self.index.get(r)) for k, (o, l, r, g)
                     in enumerate(zip(op, table.lhs.to_numpy(), table.rhs.to_numpy(), table.group.to_numpy()))
                     if o in ("=~", "~", "<~", "~~", "~1") and g == group]

    def fill(self, values: np.ndarray):
        n = len(self.variables)
        a, s, m = np.zeros((n, n)), np.zeros((n, n)), np.zeros(n)
        for k, op, i, j in self.rows:
            if op == "=~":
                a[j, i] = values[k]
            elif op in ("~", "<~"):
                a[i, j] = values[k]
            elif op == "~~":
                s[i, j] = s[j, i] = values[k]
            else:
                m[i] = values[k]
        return a, s, m

    def read(self, a, s, m, values: np.ndarray) -> np.ndarray:
        out = values.copy()
        for k, op, i, j in self.rows:
            out[k] = a[j, i] if op == "=~" else a[i, j] if op in ("~", "<~") else s[i, j] if op == "~~" else m[i]
        return out


def block_target(options, block: EfaSet) -> np.ndarray | None:
    """The target matrix of a target/pst rotation (NaN: free cells), checked against the block
    (lavaan applies the one target to every block)."""
    target = options.rotation_settings["target"]
    if options.rotation not in ("target", "pst"):
        return None
    out = np.array([[np.nan if v is None else v for v in row] for row in target], dtype=float)
    if out.shape != (len(block.indicators), len(block.factors)):
        raise ValueError(f"rotation_args['target'] is {out.shape[0]} x {out.shape[1]}, but efa block "
                         f"{block.name!r} has {len(block.indicators)} items and {len(block.factors)} factors "
                         f"(rows: {', '.join(block.indicators)}; columns: {', '.join(block.factors)}).")
    return out


def rotated_table(table):
    """The parameter table with the user-7 rows free (numbered after the others), lavaan's PT.new."""
    out = table.copy()
    seven = (out.user == 7).to_numpy()
    n_free = int(out.free.max())
    free = out.free.to_numpy().copy()
    free[seven] = n_free + np.arange(1, seven.sum() + 1)
    out["free"] = free
    out.loc[seven, "ustart"] = np.nan
    return out


def rotate(bound, theta: np.ndarray, options, formulas, starts: dict | None = None):
    """(rotated table values, rotation per block): lavaan's rotation of the unrotated estimate;
    ``starts`` (rotation matrix per block) runs GPA once from each instead of the random starts."""
    from govstats.measurement.gpa import rotate_gpa

    table = bound.model.table
    args = options.rotation_settings
    values = bound.values(theta)
    new = values
    rotations = {}
    for g in range(1, bound.model.ngroups + 1):   # as lavaan: each group rotated on its own
        mats = _Matrices(table, bound.model.names, g)
        a, s, m = mats.fill(values)
        transform = np.eye(len(mats.variables))
        for block in efa_blocks(table, formulas):
            rows = [mats.index[v] for v in block.indicators]
            cols = [mats.index[f] for f in block.factors]
            loadings = a[np.ix_(rows, cols)]
            ov_var = (loadings ** 2).sum(axis=1) + np.diag(s)[rows] if args["std_ov"] else None
            key = block.name if bound.model.ngroups == 1 else f"{block.name} (group {g})"
            res = rotate_gpa(loadings, options.rotation, orthogonal=args["orthogonal"],
                             epsilon=args["geomin_epsilon"], gamma=args["oblimin_gamma"], ov_var=ov_var,
                             rstarts=args["rstarts"], seed=[ROTATION_SEED, g], tol=args["gpa_tol"],
                             max_iter=args["max_iter"], reflect=args["reflect"], order_by=args["order_lv_by"],
                             start=None if starts is None else starts[key], row_weights=args["row_weights"],
                             orthomax_gamma=args["orthomax_gamma"], target=block_target(options, block))
            transform[np.ix_(cols, cols)] = res.rot.T      # eta -> H' eta
            rotations[key] = res
        inverse = np.linalg.inv(transform)
        new = mats.read(transform @ a @ inverse, transform @ s @ transform.T, transform @ m, new)
    _check_fixed(table, values, new)
    return new, rotations


def _check_fixed(table, before: np.ndarray, after: np.ndarray) -> None:
    """A fixed value the rotation would change (say 'speed ~~ 0*f1' with f1 an efa factor) cannot be
    kept fixed: refused, naming the row (lavaan reports the rotated value of a parameter it calls fixed)."""
    fixed = (table.free.to_numpy() == 0) & (table.user.to_numpy() != 7) & table.op.isin(
        ["=~", "~", "<~", "~~", "~1"]).to_numpy()
    moved = fixed & ~np.isclose(before, after, rtol=1e-8, atol=1e-8)
    if moved.any():
        k = int(np.flatnonzero(moved)[0])
        r = table.iloc[k]
        raise ModelSyntaxError(f"line {int(r.line)}: the fixed parameter '{r.lhs} {r.op} {r.rhs}' involves an efa "
                               "factor and would change under rotation; free it or leave it out (fixed values of "
                               "rotated factors are not available in this version).")


def stationarity(bound_rot, theta: np.ndarray, options, blocks: list[EfaSet]) -> np.ndarray:
    """lavaan's ``lav_model_efa_rotate_border_x``: the rotation's stationarity conditions, for an
    oblique rotation the off-diagonal elements of Z - diag(Z) Psi, for an orthogonal one those of
    Z - Z', with Z = L' dQ/dL (L: loadings over the items'
    implied sds, which lavaan takes as sqrt(diag(L L' + Theta)) at the rotated values too)."""
    from govstats.measurement.gpa import criterion, kaiser_weights

    args = options.rotation_settings
    funs = [criterion(options.rotation, args["geomin_epsilon"], args["oblimin_gamma"],
                      orthomax_gamma=args["orthomax_gamma"], target=block_target(options, block)) for block in blocks]
    values = bound_rot.values(theta)
    out = []
    for g in range(1, bound_rot.model.ngroups + 1):
        mats = _Matrices(bound_rot.model.table, bound_rot.model.names, g)
        a, s, _ = mats.fill(values)
        for block, fun in zip(blocks, funs):
            rows = [mats.index[v] for v in block.indicators]
            cols = [mats.index[f] for f in block.factors]
            lam = a[np.ix_(rows, cols)]
            if args["std_ov"]:
                lam = lam / np.sqrt((lam ** 2).sum(axis=1) + np.diag(s)[rows])[:, None]
            if args["row_weights"] == "kaiser":
                lam = lam * kaiser_weights(lam)[:, None]
            _, grad = fun(lam)
            z = lam.T @ grad
            if args["orthogonal"]:  # Z symmetric
                out.append((z - z.T)[np.tril_indices(len(cols), -1)])
                continue
            tmp = z - s[np.ix_(cols, cols)] * np.diag(z)[:, None]
            off = ~np.eye(len(cols), dtype=bool)
            out.append(tmp[off])
    return np.concatenate(out)


def jacobian(fun, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Central differences with one Richardson step (error O(h^4)), as numDeriv's Richardson."""
    f0 = fun(x)
    out = np.empty((len(f0), len(x)))
    for k in range(len(x)):
        step = h * max(abs(x[k]), 1.0)

        def central(d):
            e = np.zeros(len(x))
            e[k] = d
            return (fun(x + e) - fun(x - e)) / (2 * d)

        out[:, k] = (4 * central(step / 2) - central(step)) / 3
    return out


def bordered_constraints(bound_rot, theta: np.ndarray, options, blocks: list[EfaSet]) -> LinearConstraints | None:
    """The rotation constraints linearized at the rotated estimate: theta in theta_rot + null(J);
    None when they are not independent there (no bordered standard errors then)."""
    jac = jacobian(lambda t: stationarity(bound_rot, t, options, blocks), theta)
    basis, rank = null_space(jac, rtol=1e-9)
    if rank < jac.shape[0]:
        return None
    return LinearConstraints(basis, theta.copy(), rank)


def rotated_vector(values: np.ndarray, table_rot) -> np.ndarray:
    """The rotated model's free parameters from the table's rotated row values."""
    free = table_rot.free.to_numpy()
    theta = np.zeros(int(free.max()))
    theta[free[free > 0] - 1] = values[free > 0]
    return theta


def delta_vcov(bound, theta: np.ndarray, vcov: np.ndarray | None, options, formulas, rotations: dict,
               table_rot) -> np.ndarray | None:
    """lavaan's ``rotation.se = "delta"``: J V J' with V the unrotated estimates' covariance (made
    positive definite at 1e-10, as lav_matrix_symmetric_force_pd) and J the Jacobian of the rotated
    parameters in the unrotated ones by forward differences of step 0.005 (numDeriv's "simple", as
    lavaan asks), each rotation one GPA run from the solution's rotation matrix."""
    if vcov is None:
        return None
    starts = {key: res.rot for key, res in rotations.items()}

    def rotated(x):
        return rotated_vector(rotate(bound, x, options, formulas, starts)[0], table_rot)

    eps = 0.005
    base = rotated(theta)
    jac = np.empty((len(base), len(theta)))
    for k in range(len(theta)):
        step = theta.copy()
        step[k] += eps
        jac[:, k] = (rotated(step) - base) / eps
    values, vectors = np.linalg.eigh((vcov + vcov.T) / 2)
    vcov_pd = (vectors * np.maximum(values, 1e-10)) @ vectors.T
    return jac @ vcov_pd @ jac.T


def fit_rotated(compiled, bound, opt, options, inference):
    """(rotated bound model, its Optimum with the bordered constraints, Inference with the rotated
    estimates' covariance and the unrotated fit measures, rotations per block)."""
    from govstats.sem.inference import Inference, infer
    from govstats.sem.model import CompiledModel

    formulas = compiled.formulas
    blocks = efa_blocks(compiled.table, formulas)
    if not blocks:  # blocks of one factor only: nothing to rotate (lavaan skips them too)
        return bound, opt, inference, {}
    new_values, rotations = rotate(bound, opt.theta, options, formulas)
    table_rot = rotated_table(compiled.table)
    model_rot = CompiledModel.from_table(compiled, table_rot)
    bound_rot = model_rot.bind(bound.statistics)
    theta = rotated_vector(new_values, table_rot)
    messages = list(inference.messages)
    for name, res in rotations.items():
        if not res.converged:
            trouble.not_converged(f"the GPA rotation of efa block {name!r} stopped after "
                                  f"{options.rotation_settings['max_iter']} iterations", messages, "rotation")
    constraints = bordered_constraints(bound_rot, theta, options, blocks)
    opt_rot = dataclasses.replace(opt, theta=theta, inverse_hessian=None, constraints=constraints,
                                  converged=opt.converged and all(r.converged for r in rotations.values()))
    vcov = None
    if options.se != "none" and options.rotation_se == "delta":
        vcov = delta_vcov(bound, opt.theta, inference.vcov, options, formulas, rotations, table_rot)
    elif options.se != "none" and constraints is None:
        trouble.not_identified(messages, "the rotation constraints are not independent at the rotated solution")
    elif options.se != "none":
        # only the covariance is wanted: the rotated model's own test would repeat the unrotated one,
        # and its convergence was reported above
        se_only = dataclasses.replace(options, test="standard")
        vcov = infer(bound_rot, dataclasses.replace(opt_rot, converged=True), se_only).vcov
        if vcov is None:
            messages.append("The bordered information of the rotated solution is singular; no standard errors.")
    return bound_rot, opt_rot, Inference(vcov, inference.fit_measures, inference.se_type, inference.test_type,
                                         messages), rotations
