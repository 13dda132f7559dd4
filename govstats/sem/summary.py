"""The printed summary of a fit, laid out as lavaan's ``summary(fit, fit.measures = TRUE,
standardized = TRUE)`` (lavaan 0.6.14), and a compact HTML version for notebooks.

The text follows lavaan's printing functions line for line: ``print.lavaan.summary`` (header),
``lav_data_print_short`` (observations), ``lav_test_print`` (user model test),
``print.lavaan.fitMeasures`` (baseline, CFI/TLI, likelihood, RMSEA, SRMR) and
``print.lavaan.parameterEstimates`` (the parameter sections, with lavaan's column widths, dots
before residual (co)variances and intercepts of endogenous variables, labels in parentheses and
R's ``abbreviate()`` for long names). Differences, on purpose:

- the first line names govstats and its version; "Optimization method" is govstats' optimizer
  (BFGS after Fisher scoring for ML, Gauss-Newton for DWLS/ULS);
- names with non-ASCII characters (Chinese item ids) are padded to their display width, so the
  columns stay aligned in a terminal (R pads such names by bytes);
- a multiple-group fit that dropped rows prints the used and total counts of the whole sample
  (the fit does not keep the per-group totals lavaan prints);
- the fit's warnings follow the parameter table (lavaan prints them as R warnings).
"""

from __future__ import annotations

import html
import unicodedata

import numpy as np
import pandas as pd

SHOWN_OPS = ("=~", "<~", "~", "~~", "~1", "|", "~*~", ":=")  # the rows of SEMResults.params (tables.py)
ESTIMATOR_NAMES = {"ML": "ML", "MLR": "ML", "MLM": "ML", "MLMV": "ML", "MLMVS": "ML", "WLSMV": "DWLS",
                   "ULSMV": "ULS"}
TEST_LABELS = {"yuan.bentler.mplus": "Yuan-Bentler correction (Mplus variant)",
               "satorra.bentler": "Satorra-Bentler correction",
               "scaled.shifted": "simple second-order correction",
               "mean.var.adjusted": "mean and variance adjusted correction"}


# -- text helpers ------------------------------------------------------------------------------
def width(text: str) -> int:
    """Display width: East Asian wide and full-width characters take two columns."""
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in text)


def ljust(text: str, n: int) -> str:
    return text + " " * max(0, n - width(text))


def rjust(text: str, n: int) -> str:
    return " " * max(0, n - width(text)) + text


def num(value, nd: int = 3) -> str:
    """R's ``sprintf("%8.3f", x)``, with NA for a missing value."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return rjust("NA", 8)
    if not np.isfinite(value):
        return rjust("NA" if np.isnan(value) else ("Inf" if value > 0 else "-Inf"), 8)
    return f"{value:8.{nd}f}"


def _df(value) -> str:
    """R's ``ifelse(df %% 1 == 0, df, sprintf(num.format, df))``."""
    value = float(value)
    if np.isfinite(value) and value == int(value):
        return str(int(value))
    return num(value)


def _block(rows, widths, justify=("l", "r", "r")) -> list[str]:
    """R's ``format()`` of each column (widened to its longest entry) and ``write.table`` with a
    blank row name: every line starts with two spaces, columns separated by one."""
    ncol = len(widths)
    cols = [[r[k] if k < len(r) else "" for r in rows] for k in range(ncol)]
    out_cols = []
    for k, col in enumerate(cols):
        w = max([widths[k]] + [width(c) for c in col])
        out_cols.append([ljust(c, w) if justify[k] == "l" else rjust(c, w) for c in col])
    return ["  " + " ".join(col[i] for col in out_cols) for i in range(len(rows))]


# -- R's abbreviate() ----------------------------------------------------------------------------
def _strip(s: str, minlen: int) -> str:
    """R's C ``stripchars()`` (use.classes = TRUE) for an ASCII string."""
    s = list(s)
    if len(s) < minlen:
        return "".join(s)
    nspace = 0

    def done(chars):
        if len(chars) > minlen:
            i = len(chars) - 1
            while i > 0:
                if chars[i].isspace():
                    del chars[i]
                i -= 1
        return "".join(chars)

    first = lambda i: s[i - 1].isspace()  # noqa: E731
    last = lambda i: (not s[i - 1].isspace()) and (i + 1 >= len(s) or s[i + 1].isspace())  # noqa: E731
    vowel = lambda i: s[i] in "aeiou"  # noqa: E731
    j = 1
    for i in range(len(s) - 1, 0, -1):
        if s[i].isspace():
            if j:
                del s[i:]
            else:
                nspace += 1
        else:
            j = 0
        if len(s) - nspace <= minlen:
            return done(s)
    for test in (lambda i: vowel(i) and last(i), lambda i: vowel(i) and not first(i),
                 lambda i: s[i].islower() and last(i), lambda i: s[i].islower() and not first(i),
                 lambda i: not first(i) and not s[i].isspace()):
        for i in range(len(s) - 1, 0, -1):
            if i < len(s) and test(i):
                del s[i]
            if len(s) - nspace <= minlen:
                return done(s)
    return done(s)


def abbreviate(names: list[str], minlength: int, strict: bool = False) -> list[str]:
    """R's ``abbreviate(names, minlength, strict = strict)`` (method "left.kept")."""
    clean = [n.strip(" ") for n in names]
    unique = list(dict.fromkeys(clean))
    x = list(unique)
    if strict:
        x = [_strip(n, minlength) if len(n) > minlength else n for n in unique]
    else:
        dup2 = [True] * len(unique)
        minlen = minlength
        while True:
            for k, n in enumerate(unique):
                if dup2[k]:
                    x[k] = _strip(n, minlen) if len(n) > minlen else n
            seen, dup = set(), []
            for v in x:
                dup.append(v in seen)
                seen.add(v)
            if not any(dup):
                break
            minlen += 1
            repeated = {x[k] for k, d in enumerate(dup) if d}
            dup2 = [d or v in repeated for d, v in zip(dup, x)]
    mapping = dict(zip(unique, x))
    return [mapping[n] for n in clean]


def _make_names(names: list[str], labels: list[str], prefix: list[str] | None = None) -> list[str]:
    """lavaan's ``.makeNames``: a 14-wide name column, labels as ``" (a)"`` at its right end."""
    w = 14
    prefix = prefix or [""] * len(names)
    multibyte = not all(n.isascii() for n in names) or not all(lab.isascii() for lab in labels)
    if any(labels):
        if not multibyte:
            labs = abbreviate(labels, 4)
            labs = [f" ({a})" if lab else a for a, lab in zip(labs, labels)]
            max_l = max(len(a) for a in labs)
            names = abbreviate(names, w - max_l, strict=True)
        else:
            labs = [f" ({lab})" if lab else "" for lab in labels]
            max_l = 4
        names = [ljust(n, w - max_l) + rjust(a, max_l) for n, a in zip(names, labs)]
    elif not multibyte:
        names = abbreviate(names, w, strict=True)
    else:
        names = [ljust(n, w) for n in names]
    return [rjust(p, 3) + ljust(n, w) for p, n in zip(prefix, names)]


# -- the summary ---------------------------------------------------------------------------------
def summary_text(result) -> str:
    """lavaan's ``summary(fit, fit.measures = TRUE, standardized = TRUE)`` of a govstats fit."""
    import govstats

    f = result.fit_measures
    lines = [_first_line(govstats.__version__, result.converged, result.iterations)]
    if not result.converged:
        lines.append("** WARNING ** Estimates below are most likely unreliable")
    lines.append("")
    lines += _optim_block(result)
    lines.append("")
    if result._unrotated_table is not None:
        lines += _rotation_block(result) + [""]
    lines += _data_block(result)
    lines.append("")
    lines += _test_block(result)
    lines += _fit_blocks(result, f)
    lines += _parameter_blocks(result)
    if result.warnings_:
        lines += ["Warnings:"] + [f"  {w}" for w in result.warnings_] + [""]
    return "\n".join(lines)


def _first_line(version: str, converged: bool, iterations: int) -> str:
    unit = "iteration" if iterations == 1 else "iterations"
    how = "ended normally" if converged else "did NOT end normally"
    return f"govstats {version} {how} after {iterations} {unit}"


def counts(result) -> tuple[int, int]:
    """(lavaan's number of model parameters, number of equality constraints): lavaan numbers every
    free row and adds an ``==`` row per equality, where govstats' rows held equal share a number."""
    model = result._bound.model
    # with efa blocks lavaan counts the unrotated model's parameters (the rotated rows are not free)
    table = model.table if result._unrotated_table is None else result._unrotated_table
    free = table.free.to_numpy()
    free = free[free > 0]
    explicit = model.constraints.count if model.constraints is not None else 0
    return len(free), len(free) - len(np.unique(free)) + explicit


def _optim_block(result) -> list[str]:
    least_squares = result._bound.statistics.blocks[0].kind in ("ordinal", "least_squares")
    method = "GAUSS-NEWTON" if least_squares else "BFGS"
    npar, n_eq = counts(result)
    rows = [["Estimator", ESTIMATOR_NAMES.get(result.estimator, result.estimator)],
            ["Optimization method", method], ["Number of model parameters", str(npar)]]
    if n_eq:
        rows.append(["Number of equality constraints", str(n_eq)])
    return _block(rows, (40, 11))


def _rotation_block(result) -> list[str]:
    """lavaan's rotation lines of an ESEM summary (R/lav_print.R)."""
    rotation = result.options["rotation"]
    args = result.options["rotation_args"]
    rows = [["Rotation method", f"{rotation.upper()} {'ORTHOGONAL' if args['orthogonal'] else 'OBLIQUE'}"]]
    gamma = {"geomin": ("Geomin epsilon", "geomin_epsilon"), "orthomax": ("Orthomax gamma", "orthomax_gamma"),
             "cf": ("Crawford-Ferguson gamma", "cf_gamma"), "oblimin": ("Oblimin gamma", "oblimin_gamma")}
    if rotation in gamma:
        label, key = gamma[rotation]
        rows.append([label, f"{args[key]:g}"])
    rows += [["Rotation algorithm (rstarts)", f"{str(args['algorithm']).upper()} ({args['rstarts']})"],
             ["Standardized metric", "TRUE" if args["std_ov"] else "FALSE"],
             ["Row weights", str(args["row_weights"]).capitalize()]]
    return _block(rows, (33, 18))


def _cluster_counts(result) -> list[int] | None:
    if not result.options.get("cluster"):
        return None
    out = []
    for b in result._bound.statistics.blocks:
        cluster = getattr(b, "cluster", None)
        out.append(len(pd.unique(cluster)) if cluster is not None else 0)
    return out


def _data_block(result) -> list[str]:
    dropped = int(result.n_dropped or 0)
    labels = [str(g) for g in result.group_labels]
    ngroups = len(result.nobs_groups) or 1
    rows = []
    clusters = _cluster_counts(result)
    cluster_name = result.options.get("cluster")
    if ngroups == 1:
        if dropped:
            rows.append(["", "Used", "Total"])
        rows.append(["Number of observations", str(result.nobs), str(result.nobs + dropped) if dropped else ""])
        if clusters:
            rows.append([f"Number of clusters [{cluster_name}]", str(clusters[0]), ""])
    else:
        if dropped:  # the per-group totals are not kept: the whole sample's, then the groups' used rows
            rows.append(["", "Used", "Total"])
            rows.append(["Number of observations", str(result.nobs), str(result.nobs + dropped)])
        rows.append(["Number of observations per group:", "", ""])
        for label, n in zip(labels, result.nobs_groups):
            rows.append([f"  {ljust(label, 40)}", str(n), ""])
        if clusters:
            rows.append([f"Number of clusters [{cluster_name}]:", "", ""])
            for label, n in zip(labels, clusters):
                rows.append([f"  {ljust(label, 40)}", str(n), ""])
    rows += _missing_rows(result, labels)
    three = dropped > 0
    return _block([r if three else r[:2] for r in rows], (43, 8, 11) if three else (43, 8))


def _missing_rows(result, labels) -> list[list[str]]:
    """lavaan's "Number of missing patterns" (per group with groups) and the share of blank
    cells, for FIML fits."""
    blocks = result._bound.statistics.blocks
    if blocks[0].kind != "missing":
        return []
    share = sum(float(np.isnan(b.raw).sum()) for b in blocks) / sum(b.raw.size for b in blocks)
    if len(blocks) == 1:
        rows = [["Number of missing patterns", str(blocks[0].n_patterns), ""]]
    else:
        rows = [["Number of missing patterns per group:", "", ""]]
        rows += [[f"  {ljust(label, 40)}", str(b.n_patterns), ""] for label, b in zip(labels, blocks)]
    return rows + [["Blank cells of the model's variables", f"{100 * share:.1f}%", ""]]


def _group_statistics(result) -> tuple[list[float], list[float] | None]:
    """Per group: the test statistic and its scaled version (lavaan's ``stat.group``)."""
    bound, theta, f = result._bound, result._theta, result.fit_measures
    stats = bound.statistics.blocks
    standard = []
    if stats[0].kind in ("ordinal", "least_squares"):
        from govstats.sem.continuous_wls import weighted

        for block, d in zip(bound.blocks, stats):
            resid = d.values - block.moments(theta)[0]
            standard.append(d.weight_n * float(resid @ weighted(d.weights, resid)))
    else:
        meanstructure = bound.model.meanstructure
        for block, d in zip(bound.blocks, stats):
            sigma, mu = block.implied(theta)[:2]
            inv = np.linalg.inv(sigma)
            value = np.linalg.slogdet(sigma)[1] - d.logdet + np.trace(d.cov @ inv) - block.p
            if meanstructure:
                diff = d.mean - mu
                value += diff @ inv @ diff
            standard.append(d.n * float(value))
    if "chisq_scaled" not in f:
        return standard, None
    c = f.get("chisq_scaling_factor", np.nan)
    shift = f.get("chisq_shift_parameter")
    n_total = sum(d.n for d in stats)
    scaled = [s / c + (shift * d.n / n_total if shift is not None else 0.0) for s, d in zip(standard, stats)]
    return standard, scaled


def _test_block(result) -> list[str]:
    f = result.fit_measures
    lines = ["Model Test User Model:"]
    scaled = "chisq_scaled" in f
    df = f.get("df", np.nan)
    no_df = not np.isfinite(df) or df == 0
    if not scaled:
        rows = [["", ""], ["Test statistic", num(f["chisq"])], ["Degrees of freedom", _df(df)]]
        if not no_df:  # lavaan: ULS's statistic has no known distribution, "P-value (Unknown)   NA"
            rows.append(["P-value (Unknown)" if np.isnan(f["pvalue"]) else "P-value (Chi-square)", num(f["pvalue"])])
        lines += _block(rows, (43, 8))
    else:
        rows = [["", "Standard", "Scaled"],
                ["Test Statistic", num(f["chisq"]), num(f["chisq_scaled"])],
                ["Degrees of freedom", _df(df), _df(f.get("df_scaled", df))]]
        if not no_df:
            unknown = _standard_p_unknown(result)
            rows += [["P-value (Unknown)" if unknown else "P-value (Chi-square)",
                      num(np.nan if unknown else f["pvalue"]), num(f["pvalue_scaled"])],
                     ["Scaling correction factor", "", num(f.get("chisq_scaling_factor"))]]
            if result.test_type == "scaled.shifted":
                rows.append(["Shift parameter", "", num(f.get("chisq_shift_parameter"))])
            rows.append([f"  {TEST_LABELS.get(result.test_type, result.test_type)}", "", ""])
        if _test_uses_h1_observed(result):
            rows.append(["Observed information based on", "H1", ""])
        lines += _block(rows, (43, 8, 11))
    if len(result.nobs_groups) > 1:
        try:
            standard, scaled_g = _group_statistics(result)
        except Exception:  # noqa: BLE001 - the per-group split is a courtesy; never fail the summary
            standard, scaled_g = None, None
        if standard is not None:
            rows = []
            for k, label in enumerate(result.group_labels):
                row = [ljust(f"  {ljust(str(label), 40)}", 43), num(standard[k])]
                if scaled:
                    row.append(num(scaled_g[k]) if scaled_g is not None else num(np.nan))
                rows.append(row)
            lines.append("  Test statistic for each group:")
            lines += _block(rows, (43, 8, 11) if scaled else (43, 8))
    return lines


def _standard_p_unknown(result) -> bool:
    """lavaan: the unscaled ULS statistic has no known reference distribution (refdistr
    "unknown"), so its p-values (test and baseline) print as NA."""
    return result.estimator == "ULSMV"


def _test_uses_h1_observed(result) -> bool:
    """lavaan prints "Observed information based on H1" under the test when the scaled test uses
    the h1 observed information where the SEs use the Hessian (ML with cluster, or with a
    requested Yuan-Bentler test)."""
    opts = result.options
    if result.test_type != "yuan.bentler.mplus" or opts.get("information") != "observed":
        return False
    try:
        from govstats.sem.options import normalize_options

        return normalize_options(**opts).observed_information == "h1"
    except (TypeError, ValueError):
        return not (opts.get("estimator") == "MLR" and opts.get("test") == "yuan.bentler.mplus")


def mlr_scaling_factors(result) -> tuple[float, float] | None:
    """lavaan's ``scaling.factor.h0`` and ``scaling.factor.h1`` of a Yuan-Bentler (Mplus) test:
    tr(B0 E^-1) / npar and tr(B1 A1^-1) / (number of sample moments)."""
    f = result.fit_measures
    if result.test_type != "yuan.bentler.mplus" or "chisq_scaling_factor" not in f:
        return None
    if getattr(result, "scaling_factors", None) is not None:  # two-level fits compute them while fitting
        return result.scaling_factors
    from govstats.sem.robust_test import saturated_trace

    bound = result._bound
    data = bound.statistics.blocks
    meanstructure = bound.model.meanstructure
    ov = list(bound.model.names.ov)
    exo = [ov.index(v) for v in bound.model.names.ov_x] if result.options.get("fixed_x", True) else []
    # lavaan leaves the fixed.x covariates' own moments out of both traces (they cancel in the test)
    clustered = bool(result.options.get("cluster"))
    if data[0].kind == "missing":
        from types import SimpleNamespace

        from govstats.sem.fiml_inference import saturated_trace as fiml_saturated_trace

        trace_h1 = fiml_saturated_trace([SimpleNamespace(d=b, mu=b.mean) for b in data], clustered, exo,
                                        result.options.get("information") == "expected")
    else:
        trace_h1 = saturated_trace(data, meanstructure, clustered, exo)
    nx = len(exo)
    moments = sum(b.p * (b.p + 1) / 2 + (b.p if meanstructure else 0) - nx * (nx + 1) / 2
                  - (nx if meanstructure else 0) for b in bound.blocks)
    trace_h0 = trace_h1 - f["chisq_scaling_factor"] * f["df"]
    return trace_h0 / len(result._theta), trace_h1 / moments


def _fit_blocks(result, f) -> list[str]:
    scaled = "chisq_scaled" in f
    widths3 = (43, 8, 11) if scaled else (43, 8)
    lines = []

    def pair(key, key2=None):
        row = [num(f.get(key, np.nan))]
        if scaled:
            row.append(num(f.get(key2 or key, np.nan)))
        return row

    if "baseline_chisq" in f:
        rows = [["Test statistic"] + pair("baseline_chisq", "baseline_chisq_scaled"),
                ["Degrees of freedom", _df(f["baseline_df"])] +
                ([_df(f.get("baseline_df_scaled", f["baseline_df"]))] if scaled else []),
                ["P-value", num(np.nan if _standard_p_unknown(result) else f["baseline_pvalue"])] +
                ([num(f.get("baseline_pvalue_scaled", np.nan))] if scaled else [])]
        if scaled and "baseline_chisq_scaling_factor" in f:
            rows.append(["Scaling correction factor", "", num(f["baseline_chisq_scaling_factor"])])
        lines += ["", "Model Test Baseline Model:", ""] + _block(rows, (35, 16, 11) if scaled else (35, 16))
    if "cfi" in f or "tli" in f:
        rows = []
        if "cfi" in f:
            rows.append(["Comparative Fit Index (CFI)"] + pair("cfi", "cfi_scaled"))
        if "tli" in f:
            rows.append(["Tucker-Lewis Index (TLI)"] + pair("tli", "tli_scaled"))
        for key, label in (("cfi_robust", "Robust Comparative Fit Index (CFI)"),
                           ("tli_robust", "Robust Tucker-Lewis Index (TLI)")):
            if key in f:
                if key == "cfi_robust":
                    rows.append(["", "", ""][: len(widths3)])
                rows.append([label, "", num(f[key])] if scaled else [label, num(f[key])])
        lines += ["", "User Model versus Baseline Model:", ""] + _block(rows, widths3)
    if "logl" in f:
        factors = mlr_scaling_factors(result) if scaled else None
        rows = [["Loglikelihood user model (H0)"] + pair("logl")]
        if factors is not None:
            rows += [["Scaling correction factor", " " * 12, num(factors[0])], ["    for the MLR correction", "", ""]]
        if "unrestricted_logl" in f:
            rows.append(["Loglikelihood unrestricted model (H1)"] + pair("unrestricted_logl"))
            if factors is not None:
                rows += [["Scaling correction factor", " " * 12, num(factors[1])],
                         ["    for the MLR correction", "", ""]]
        rows.append(["", "", ""][: 3 if scaled else 2])
        rows += [["Akaike (AIC)"] + pair("aic"), ["Bayesian (BIC)"] + pair("bic")]
        bic2 = f.get("bic2", f.get("sabic"))
        if bic2 is not None and np.isfinite(bic2):
            rows.append(["Sample-size adjusted Bayesian (SABIC)", num(bic2)] + ([num(bic2)] if scaled else []))
        lines += ["", "Loglikelihood and Information Criteria:", ""] + \
            _block(rows, (39, 12, 11) if scaled else (39, 12))
    if "rmsea" in f:
        level = f.get("rmsea_ci_level")
        pct = f"{round(level * 100):2d} Percent confidence interval" if level is not None else "Confidence interval"
        close = f"{f['rmsea_close_h0']:4.3f}" if "rmsea_close_h0" in f else "0.05"
        notclose = f"{f['rmsea_notclose_h0']:4.3f}" if "rmsea_notclose_h0" in f else "0.080"
        rows = [["RMSEA"] + pair("rmsea", "rmsea_scaled")]
        if "rmsea_ci_lower" in f:
            rows += [[f"{pct} - lower"] + pair("rmsea_ci_lower", "rmsea_ci_lower_scaled"),
                     [f"{pct} - upper"] + pair("rmsea_ci_upper", "rmsea_ci_upper_scaled")]
        if "rmsea_pvalue" in f:
            rows.append([f"P-value H_0: RMSEA <= {close}"] + pair("rmsea_pvalue", "rmsea_pvalue_scaled"))
        if "rmsea_notclose_pvalue" in f:
            rows.append([f"P-value H_0: RMSEA >= {notclose}"] +
                        pair("rmsea_notclose_pvalue", "rmsea_notclose_pvalue_scaled"))

        def robust(label, key):
            return [label, "", num(f[key])] if scaled else [label, num(f[key])]

        if "rmsea_robust" in f:
            rows += [["", "", ""][: len(widths3)], robust("Robust RMSEA", "rmsea_robust")]
        if "rmsea_ci_lower_robust" in f:
            rows += [robust(f"{pct} - lower", "rmsea_ci_lower_robust"),
                     robust(f"{pct} - upper", "rmsea_ci_upper_robust")]
        if "rmsea_pvalue_robust" in f:
            rows.append(robust(f"P-value H_0: Robust RMSEA <= {close}", "rmsea_pvalue_robust"))
        if "rmsea_notclose_pvalue_robust" in f:
            rows.append(robust(f"P-value H_0: Robust RMSEA >= {notclose}", "rmsea_notclose_pvalue_robust"))
        lines += ["", "Root Mean Square Error of Approximation:", ""] + _block(rows, widths3)
    if "srmr_within" in f:  # two-level fits: one SRMR per level, as lavaan prints them
        lines += ["", "Standardized Root Mean Square Residual (corr metric):", ""] + \
            _block([["SRMR (within covariance matrix)"] + pair("srmr_within"),
                    ["SRMR (between covariance matrix)"] + pair("srmr_between")], widths3)
    elif "srmr" in f:
        lines += ["", "Standardized Root Mean Square Residual:", ""] + \
            _block([["SRMR"] + pair("srmr")], widths3)
    return lines


# -- the parameter table -----------------------------------------------------------------------
def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _se_header(result) -> list[str]:
    se = result.se_type
    if se == "none":
        return []
    info = result.options.get("information", "expected")
    h1 = "unstructured" if result._bound.model.is_ordinal else "structured"
    boot = result.bootstrap
    if se == "bootstrap":  # as lavaan after se = "bootstrap"; left-out draws are in the warnings
        rows = [["Standard errors", "Bootstrap"], ["Number of requested bootstrap draws", str(boot.requested)],
                ["Number of successful bootstrap draws", str(boot.successful)], ["Confidence intervals", boot.ci]]
    else:
        rows = [["Standard errors", "Sandwich" if se == "robust.huber.white" else _capital(se)],
                ["Information bread" if se == "robust.huber.white" else "Information", _capital(info)]]
        if info == "observed":
            rows.append(["Observed information based on", "Hessian"])
        else:
            rows.append(["Information saturated (h1) model", _capital(h1)])
    if boot is not None and boot.bollen_stine_pvalue is not None:
        rows.append(["Bollen-Stine bootstrap p-value", f"{boot.bollen_stine_pvalue:.3f}"])
    return _block(rows, (38, 13))


def display_labels(result) -> list[str]:
    """Each row's label as lavaan prints it: the user's label, or ``.pN.`` (N the row of the
    parameter table holding it first) for parameters held equal by ``group_equal``."""
    table = result._bound.model.table
    shown = table[table.op.isin(SHOWN_OPS)]
    labels = [str(x) if isinstance(x, str) else "" for x in shown.label]
    if len(shown) != len(result.params):
        return list(result.params.label.fillna("").astype(str))
    first = {}
    for k, lab in enumerate(table.label):
        if isinstance(lab, str) and lab.startswith(".") and lab not in first:
            first[lab] = k + 1
    return [f".p{first[lab]}." if lab.startswith(".") else lab for lab in labels]


def _exo_flags(result) -> np.ndarray:
    table = result._bound.model.table
    shown = table[table.op.isin(SHOWN_OPS)]
    if len(shown) != len(result.params):
        return np.zeros(len(result.params), dtype=bool)
    return shown.exo.to_numpy() == 1


def _numeric_columns(result):
    """Formatted Estimate, Std.Err, z-value, P(>|z|), Std.lv, Std.all of every row (blank where
    lavaan blanks them), and the column width (R's format over the whole table)."""
    p = result.params
    with_se = result.se_type != "none"
    names = ["est"] + (["se", "z", "pvalue"] if with_se else []) + ["std_lv", "std_all"]
    heads = ["Estimate"] + (["Std.Err", "z-value", "P(>|z|)"] if with_se else []) + ["Std.lv", "Std.all"]
    cells = {n: [num(v) for v in p[n]] for n in names}
    widths = {n: max([8] + [len(c) for c in cells[n]]) for n in names}
    for n in names:
        cells[n] = [rjust(c, widths[n]) for c in cells[n]]
    if with_se:
        se = p.se.to_numpy(dtype=float)
        for i in np.flatnonzero(se == 0):
            for n in ("se", "z", "pvalue"):
                cells[n][i] = ""
        for i in np.flatnonzero(np.isnan(se)):
            for n in ("z", "pvalue"):
                cells[n][i] = ""
    return names, heads, cells


def _print_matrix(col1: list[str], columns: list[list[str]], heads: list[str]) -> list[str]:
    """R's ``print(M, quote = FALSE)`` of a character matrix with empty row names: columns
    left-aligned, separated by a space, headers ``sprintf("%8s")``."""
    allcols = [col1] + columns
    headers = [" " * 8] + [f"{h:>8s}" for h in heads]
    widths = [max([width(headers[k])] + [width(c) for c in col]) for k, col in enumerate(allcols)]
    out = [" " + " ".join(ljust(h, w) for h, w in zip(headers, widths))]
    for i in range(len(col1)):
        out.append(" " + " ".join(ljust(col[i], w) for col, w in zip(allcols, widths)))
    return out


def _parameter_blocks(result) -> list[str]:
    p = result.params
    model = result._bound.model
    ov_names = set(model.names.ov)
    labels = display_labels(result)
    exo = _exo_flags(result)
    names, heads, cells = _numeric_columns(result)
    lhs, op, rhs = p.lhs.astype(str).to_list(), p.op.to_list(), p.rhs.astype(str).to_list()
    groups = p.group.to_numpy()
    y_names = set(p.lhs[p.op.isin(["~", "<~"])]) | set(p.rhs[p.op == "=~"])
    ngroups = max(1, len(result.nobs_groups))
    lines = ["", "Parameter Estimates:", ""] + _se_header(result)
    table = result._bound.model.table
    loads = table[table.op == "=~"]
    # an efa factor's loadings are headed with its block, as lavaan's "f1 =~ b1"
    efa_of = dict(zip(loads.lhs, loads.efa.fillna(""))) if "efa" in table.columns else {}

    def rows_cells(idx):
        return [[cells[n][i] for i in idx] for n in names]

    def section(title, idx, col1, two_level=False, lhs_prefix=None):
        nonlocal lines
        if not idx:
            return
        if two_level:
            out_col1, out_cols = [], [[] for _ in names]
            old = None
            for k, i in enumerate(idx):
                head = f"{lhs[i]} {op[i]}"
                if op[i] == "=~" and efa_of.get(lhs[i]):
                    head += f" {efa_of[lhs[i]]}"
                if head != old:
                    pre = lhs_prefix[k] if lhs_prefix else ""
                    out_col1.append(f"{pre:>1s}" + ljust(head, 15))
                    for c in out_cols:
                        c.append("")
                old = head
                out_col1.append(col1[k])
                for c, n in zip(out_cols, names):
                    c.append(cells[n][i])
            lines += ["", f"{title}:"] + _print_matrix(out_col1, out_cols, heads)
        else:
            lines += ["", f"{title}:"] + _print_matrix(col1, rows_cells(idx), heads)

    # two-level fits: one block per level, headed as lavaan's "Level 1 [within]:", "Level 2 [<cluster>]:"
    block_level = p.level.to_numpy() if "level" in p.columns else np.ones(len(p), dtype=int)
    levels = sorted(set(block_level[groups > 0])) or [1]
    for g, level in [(g, level) for g in range(1, ngroups + 1) for level in levels]:
        if ngroups > 1 and level == levels[0]:
            label = result.group_labels[g - 1] if g - 1 < len(result.group_labels) else g
            lines += ["", "", f"Group {g} [{label}]:"]
        if len(levels) > 1:
            lines += ["", "", f"Level {level} [{'within' if level == 1 else result.options.get('cluster')}]:"]
        in_group = [i for i in range(len(p)) if groups[i] == g and block_level[i] == level]

        def pick(cond):
            return [i for i in in_group if cond(i)]

        idx = pick(lambda i: op[i] == "=~" and lhs[i] not in ov_names)
        section("Latent Variables", idx, _make_names([rhs[i] for i in idx], [labels[i] for i in idx]), True)
        idx = pick(lambda i: op[i] == "<~")
        section("Composites", idx, _make_names([rhs[i] for i in idx], [labels[i] for i in idx]), True)
        idx = pick(lambda i: op[i] == "~")
        section("Regressions", idx, _make_names([rhs[i] for i in idx], [labels[i] for i in idx]), True)
        idx = pick(lambda i: op[i] == "~~" and lhs[i] != rhs[i] and not exo[i])
        section("Covariances", idx,
                _make_names([rhs[i] for i in idx], [labels[i] for i in idx],
                            ["  ." if rhs[i] in y_names else "" for i in idx]),
                True, ["." if lhs[i] in y_names else "" for i in idx])
        idx = pick(lambda i: op[i] == "~1" and not exo[i])
        section("Intercepts", idx, _make_names([lhs[i] for i in idx], [labels[i] for i in idx],
                                               ["  ." if lhs[i] in y_names else "" for i in idx]))
        idx = pick(lambda i: op[i] == "|")
        section("Thresholds", idx, _make_names([f"{lhs[i]}|{rhs[i]}" for i in idx], [labels[i] for i in idx]))
        idx = pick(lambda i: op[i] == "~~" and lhs[i] == rhs[i] and not exo[i])
        section("Variances", idx, _make_names([rhs[i] for i in idx], [labels[i] for i in idx],
                                              ["  ." if rhs[i] in y_names else "" for i in idx]))
        idx = pick(lambda i: op[i] == "~*~")
        section("Scales y*", idx, _make_names([rhs[i] for i in idx], [labels[i] for i in idx]))
    idx = [i for i in range(len(p)) if op[i] == ":="]
    section("Defined Parameters", idx, _make_names([lhs[i] for i in idx], [""] * len(idx)))
    lines += _constraint_lines(result)
    lines.append("")
    return lines


def _constraint_lines(result) -> list[str]:
    """lavaan's "Constraints:" section: each ==, < or > written as a difference (lavaan's
    .makeConNames) and its absolute value at the estimates, the slack (0 when binding)."""
    table = result._bound.model.table
    rows = table[table.op.isin(["==", "<", ">"])]
    if rows.empty:
        return []
    from govstats.sem.expressions import evaluate_defined, parse_definition

    bound = result._bound
    scope = {k: float(v[0]) for k, v in bound.label_scope(bound.values(result._theta)[None, :]).items()}
    scope.update(evaluate_defined(bound.model.definitions, scope))  # constraints may use := parameters
    out = ["", "Constraints:", " " + " " * 44 + " " + f"{'|Slack|':>8s}"]
    for lhs, op, rhs in zip(rows.lhs, rows.op, rows.rhs):
        rhs = str(rhs)
        if rhs == "0":
            text = f"{lhs} - 0" if op in ("==", ">") else f"0 - ({lhs})"
        else:
            text = f"{rhs} - ({lhs})" if op == "<" else f"{lhs} - ({rhs})"
        difference = f"({rhs}) - ({lhs})" if op == "<" else f"({lhs}) - ({rhs})"
        value = evaluate_defined([(".slack", parse_definition(".slack", difference, known=scope))], scope)[".slack"]
        out.append(" " + f"   {text[:41]:<41s}" + " " + f"{abs(float(value)):8.3f}")
    return out


# -- HTML --------------------------------------------------------------------------------------
_CSS = ("<style>.govstats-sem table{border-collapse:collapse;margin:4px 0 10px 0}"
        ".govstats-sem th,.govstats-sem td{padding:1px 8px;text-align:right}"
        ".govstats-sem td.name,.govstats-sem th.name{text-align:left}"
        ".govstats-sem tr.section td{text-align:left;font-weight:bold;padding-top:6px}</style>")


def _cell(value, nd: int = 3) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if not np.isfinite(value) else f"{value:.{nd}f}"


def summary_html(result) -> str:
    """A compact HTML summary: the header facts, the fit table and the parameter table with the
    standardized columns. Text is escaped with :func:`html.escape`, which leaves non-ASCII (CJK)
    characters as they are; the string is meant to be embedded in a UTF-8 page (Jupyter)."""
    import govstats

    esc = html.escape
    f = result.fit_measures
    npar, n_eq = counts(result)
    status = "converged" if result.converged else "<b>did NOT converge</b>"
    facts = [f"<b>govstats {esc(govstats.__version__)}</b> {esc(result.estimator)} fit: {status} after "
             f"{result.iterations} iterations",
             f"N = {result.nobs}" + (f" ({result.n_dropped} rows with blanks left out)" if result.n_dropped else "")
             + (f", FIML over {sum(b.n_patterns for b in result._bound.statistics.blocks)} missing-data patterns"
                if result._bound.statistics.blocks[0].kind == "missing" else "")]
    if len(result.group_labels) > 1:
        facts.append("groups: " + ", ".join(f"{esc(str(g))} ({n})" for g, n in
                                             zip(result.group_labels, result.nobs_groups)))
    if n_eq:
        facts.append(f"parameters: {npar} ({n_eq} equality constraint{'s' if n_eq > 1 else ''})")
    else:
        facts.append(f"parameters: {npar}")
    parts = [_CSS, '<div class="govstats-sem">', "<p>" + "; ".join(facts) + "</p>"]

    second = "chisq_scaled" in f
    robust_col = any(k.endswith("_robust") for k in f)
    head = "<tr><th class='name'></th><th>Standard</th>" + ("<th>Scaled</th>" if second else "") + \
        ("<th>Robust</th>" if robust_col else "") + "</tr>"
    rows = []
    for label, key, nd in (("Chi-square", "chisq", 3), ("Degrees of freedom", "df", 0), ("P-value", "pvalue", 3),
                           ("CFI", "cfi", 3), ("TLI", "tli", 3), ("RMSEA", "rmsea", 3),
                           ("RMSEA 90% CI lower", "rmsea_ci_lower", 3), ("RMSEA 90% CI upper", "rmsea_ci_upper", 3),
                           ("SRMR", "srmr", 3), ("AIC", "aic", 3), ("BIC", "bic", 3)):
        if key not in f:
            continue
        cells = [_cell(np.nan if key == "pvalue" and _standard_p_unknown(result) else f[key], nd)]
        if second:
            cells.append(_cell(f.get(f"{key}_scaled", f[key] if key in ("srmr", "aic", "bic") else np.nan), nd))
        if robust_col:
            cells.append(_cell(f.get(f"{key}_robust"), nd))
        rows.append(f"<tr><td class='name'>{label}</td>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    parts.append("<table>" + head + "".join(rows) + "</table>")

    p = result.params
    labels = display_labels(result)
    cols = ["Estimate", "Std.Err", "z-value", "P(>|z|)", "Std.lv", "Std.all"]
    body = ["<tr><th class='name'>Parameter</th><th class='name'>Label</th>" +
            "".join(f"<th>{esc(c)}</th>" for c in cols) + "</tr>"]
    titles = dict([("=~", "Latent variables"), ("<~", "Composites"), ("~", "Regressions"), ("~~", "Covariances and variances"),
                   ("~1", "Intercepts"), ("|", "Thresholds"), ("~*~", "Scales y*"), (":=", "Defined parameters")])
    groups = sorted(set(p.group) - {0}) + ([0] if (p.group == 0).any() else []) \
        if len(result.group_labels) > 1 else [None]
    for g in groups:
        block = p if g is None else p[p.group == g]
        if g is not None:
            name = "Defined parameters" if g == 0 else f"Group {g} [{result.group_labels[g - 1]}]"
            body.append(f"<tr class='section'><td colspan='8'>{esc(str(name))}</td></tr>")
        for op_, title in titles.items():
            rows_ = block[block.op == op_]
            if not len(rows_):
                continue
            if not (g == 0):
                body.append(f"<tr class='section'><td colspan='8'>{title}</td></tr>")
            for i, r in rows_.iterrows():
                name = r.lhs if op_ in ("~1", ":=") else f"{r.lhs}{'|' if op_ == '|' else f' {op_} '}{r.rhs}"
                fixed = r.se == 0
                vals = [_cell(r.est), "" if fixed else _cell(r.se), "" if fixed else _cell(r.z),
                        "" if fixed else _cell(r.pvalue), _cell(r.std_lv), _cell(r.std_all)]
                lab = labels[p.index.get_loc(i)] if len(labels) == len(p) else ""
                body.append(f"<tr><td class='name'>{esc(str(name))}</td><td class='name'>{esc(lab)}</td>" +
                            "".join(f"<td>{v}</td>" for v in vals) + "</tr>")
    parts.append("<table>" + "".join(body) + "</table>")
    if result.warnings_:
        parts.append("<p><b>Warnings</b></p><ul>" + "".join(f"<li>{esc(w)}</li>" for w in result.warnings_) + "</ul>")
    parts.append("</div>")
    return "".join(parts)
