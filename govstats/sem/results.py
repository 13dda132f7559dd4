"""SEMResults: estimates, fit measures, a lavaan-like summary, HTML for notebooks, JSON."""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

SECTIONS = [("=~", "Latent Variables"), ("~", "Regressions"), ("~~", "Covariances"), ("~1", "Intercepts"),
            ("|", "Thresholds"), ("~*~", "Scales y*"), (":=", "Defined Parameters")]


@dataclass
class SEMResults:
    """The result of :func:`govstats.fit`.

    Attributes
    ----------
    params : DataFrame
        One row per parameter, as lavaan's ``parameterEstimates(fit, standardized=TRUE)``:
        ``lhs, op, rhs, group, label, est, se, z, pvalue, ci_lower, ci_upper, std_lv, std_all``.
        Fixed parameters have ``se`` 0 and ``z`` NaN.
    fit_measures : dict
        lavaan's ``fitMeasures()`` names with ``.`` written ``_``.
    standardized : DataFrame
        lavaan's ``standardizedSolution()``: std.all estimates with delta-method SEs.
    nobs, n_dropped : int
        Rows used, and rows left out because a model variable was missing (listwise).
    converged : bool
    seconds : float
        Wall time of estimation and inference, without reading data.
    """

    params: pd.DataFrame
    fit_measures: dict
    standardized: pd.DataFrame
    nobs: int
    n_dropped: int
    estimator: str
    converged: bool
    iterations: int
    seconds: float
    syntax: str
    group_labels: list = field(default_factory=list)
    warnings_: list = field(default_factory=list)
    se_type: str = "standard"
    test_type: str = "standard"
    engine: object = None
    theta: np.ndarray | None = None
    vcov: np.ndarray | None = None
    data: list = field(default_factory=list, repr=False)
    ordinal: object = field(default=None, repr=False)   # OrdinalModel of an ordinal (WLSMV/ULSMV) fit
    stage1: object = field(default=None, repr=False)    # its thresholds, polychorics and Gamma

    # -- derived tables -------------------------------------------------------------------
    def r2(self) -> pd.Series:
        """R-squared of every endogenous variable (1 - standardized residual variance)."""
        p = self.params
        endogenous = set(p.loc[p.op == "~", "lhs"]) | set(p.loc[p.op == "=~", "rhs"])
        rows = p[(p.op == "~~") & (p.lhs == p.rhs) & p.lhs.isin(endogenous)]
        return pd.Series(1 - rows.std_all.to_numpy(), index=rows.lhs.to_numpy(), name="r2")

    def residual_correlations(self, group: int = 1) -> pd.DataFrame:
        """Observed minus implied correlations (lavaan's residuals(type = "cor"))."""
        model, d = self.engine.models[group - 1], self.data[group - 1]
        sigma, _ = model.implied(self.theta)[:2]
        sd_s, sd_m = np.sqrt(np.diag(d.cov)), np.sqrt(np.diag(sigma))
        resid = d.cov / np.outer(sd_s, sd_s) - sigma / np.outer(sd_m, sd_m)
        return pd.DataFrame(resid, index=model.ov, columns=model.ov)

    def effects(self) -> pd.DataFrame:
        """Direct, indirect and total effects among the variables of the structural part (unstandardized)."""
        p = self.params
        outcomes = set(p.loc[p.op == "~", "lhs"])
        structural = outcomes | set(p.loc[p.op == "~", "rhs"])
        rows = []
        for g, model in enumerate(self.engine.models, start=1):
            A, _, _ = model.matrices(self.theta)
            total = np.linalg.inv(np.eye(model.m) - A) - np.eye(model.m)
            for i, y in enumerate(model.names):
                if y not in outcomes:
                    continue
                for j, x in enumerate(model.names):
                    if x in structural and abs(total[i, j]) > 0:
                        rows.append({"group": g, "outcome": y, "predictor": x, "direct": A[i, j],
                                     "indirect": total[i, j] - A[i, j], "total": total[i, j]})
        return pd.DataFrame(rows, columns=["group", "outcome", "predictor", "direct", "indirect", "total"])

    def modindices(self, top: int | None = None) -> pd.DataFrame:
        """Modification indices with EPC and standardized EPC, largest first (lavaan's modindices)."""
        from govstats.sem.modindices import modification_indices

        if self.ordinal is not None:
            raise ValueError("Modification indices are available for ML and MLR fits, not yet for ordered items "
                             f"({self.estimator}); refit with estimator='MLR' on the codes to screen for them.")
        return modification_indices(self, top=top)

    # -- output ---------------------------------------------------------------------------
    def summary(self) -> str:
        f = self.fit_measures
        lines = [f"govstats {self.estimator} fit: {'converged' if self.converged else 'NOT converged'} "
                 f"after {self.iterations} iterations", ""]
        lines.append(f"  Number of observations                        {self.nobs:>10d}")
        if self.n_dropped:
            lines.append(f"  Rows left out (missing values, listwise)      {self.n_dropped:>10d}")
        lines.append(f"  Number of model parameters                    {int(f['npar']):>10d}")
        if self.ordinal is not None:
            lines.append(f"  Ordered items ({self.ordinal.parameterization} parameterization)"
                         f"{'':{max(0, 21 - len(self.ordinal.parameterization))}s}{len(self.ordinal.items):>10d}")
        lines += ["", "Model Test User Model:", ""]
        robust = "chisq_scaled" in f
        # second column: lavaan prints robust indices for MLR, scaled ones for WLSMV/ULSMV
        second = "_scaled" if self.test_type == "scaled.shifted" else "_robust"
        head = f"{'':46s}{'Standard':>10s}" + (f"{'Scaled':>10s}" if robust else "")
        lines.append(head)
        def row(label, a, b=None, fmt="{:10.3f}"):
            text = f"  {label:44s}" + fmt.format(a)
            if robust and b is not None:
                text += fmt.format(b)
            return text
        lines.append(row("Test statistic", f["chisq"], f.get("chisq_scaled")))
        lines.append(row("Degrees of freedom", f["df"], f.get("df_scaled"), "{:10.0f}"))
        lines.append(row("P-value (Chi-square)", f["pvalue"], f.get("pvalue_scaled")))
        if robust:
            lines.append(f"  {'Scaling correction factor':44s}{'':10s}{f['chisq_scaling_factor']:10.3f}")
        if "chisq_shift_parameter" in f:
            lines.append(f"  {'Shift parameter':44s}{'':10s}{f['chisq_shift_parameter']:10.3f}")
        if self.test_type == "scaled.shifted":
            lines.append("    (mean and variance adjusted: scaled and shifted, as lavaan's WLSMV)")
        lines += ["", "Fit indices:" + ("  (second column: robust)" if second == "_robust" and robust else ""), ""]
        for name in ("cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr"):
            lines.append(row(name.upper().replace("_", " "), f[name], f.get(f"{name}{second}")))
        if second == "_scaled" and "cfi_robust" in f:  # lavaan's robust indices for ordered data
            for name in ("cfi", "tli", "rmsea"):
                lines.append(row(f"Robust {name.upper()}", f[f"{name}_robust"]))
        for name in ("aic", "bic"):
            if name in f:
                lines.append(row(name.upper(), f[name]))
        for g, label in enumerate(self.group_labels, start=1):
            p = self.params[self.params.group.isin([g, 0])] if len(self.group_labels) > 1 else self.params
            if len(self.group_labels) > 1:
                lines += ["", f"Group {g} [{label}]:"]
            lines += ["", "Parameter Estimates:", ""]
            for op, title in SECTIONS:
                block = p[p.op == op]
                if not len(block):
                    continue
                lines += [f"{title}:", f"{'':22s}{'Estimate':>9s}{'Std.Err':>9s}{'z-value':>9s}{'P(>|z|)':>9s}"
                          f"{'Std.lv':>9s}{'Std.all':>9s}"]
                for r in block.itertuples():
                    name = f"{r.lhs} {r.op} {r.rhs}" if op != "~1" else f"{r.lhs}"
                    if op == ":=" or op == "~*~":
                        name = f"{r.lhs}"
                    elif op == "|":
                        name = f"{r.lhs}|{r.rhs}"
                    cells = [r.est, r.se, r.z, r.pvalue, r.std_lv, r.std_all]
                    text = "".join(f"{v:9.3f}" if np.isfinite(v) and not (k in (1, 2, 3) and r.se == 0)
                                   else f"{'':9s}" for k, v in enumerate(cells))
                    lines.append(f"  {name[:20]:20s}{text}")
                lines.append("")
        if self.warnings_:
            lines += ["Warnings:"] + [f"  {w}" for w in self.warnings_]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        f = self.fit_measures
        keys = [k for k in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "chisq_scaled", "cfi_robust",
                            "tli_robust", "rmsea_robust") if k in f]
        fit_html = pd.DataFrame({"value": [f[k] for k in keys]}, index=keys).to_html(float_format="%.3f")
        table = self.params.to_html(index=False, float_format="%.3f", na_rep="")
        return (f"<p><b>govstats {self.estimator}</b>: {'converged' if self.converged else 'not converged'}, "
                f"N = {self.nobs}</p>{fit_html}{table}")

    def to_dict(self) -> dict:
        clean = lambda v: None if isinstance(v, float) and not np.isfinite(v) else v
        records = [{k: clean(v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                   for r in self.params.to_dict("records")]
        import govstats

        return {
            "params": records, "fit": {k: clean(v) for k, v in self.fit_measures.items()}, "nobs": self.nobs,
            "n_dropped": self.n_dropped, "estimator": self.estimator, "converged": self.converged,
            "seconds": self.seconds,
            "provenance": {"govstats": govstats.__version__, "python": platform.python_version(),
                           "numpy": np.__version__, "pandas": pd.__version__, "model": self.syntax,
                           "se": self.se_type, "test": self.test_type},
        }

    def to_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
