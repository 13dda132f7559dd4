"""The report's tables, built from :class:`govstats.reporting.analyses.Analyses`, in paper order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govstats.reporting.tables import Table, stars
from govstats.reporting.words import rule_text, word


def construct_label(instrument, cid: str, lang: str) -> str:
    """``社会组织自主性 (AU)``: the construct's name in ``lang`` and its id."""
    try:
        return f"{instrument.construct(cid).name.get(lang)} ({cid})"
    except KeyError:
        return cid


def abbreviations(instrument, ids, lang: str) -> str:
    sep = "；" if lang == "zh" else "; "
    return sep.join(f"{c} = {instrument.construct(c).name.get(lang)}" for c in ids
                    if c in {k.id for k in instrument.constructs}) + ("。" if lang == "zh" else ".")


# -- sample and data quality ---------------------------------------------------------------------------
def sample_table(a, lang: str) -> Table:
    inst, data, used = a.instrument, a.data, a.used
    rows: list[tuple[str, str, object, float]] = []
    w = lambda k: word(k, lang)  # noqa: E731
    n = len(used)
    rows.append((w("r_received"), "", len(data), np.nan))
    rows.append((w("r_analysed"), "", n, n / len(data) if len(data) else np.nan))
    rows.append((w("r_excluded"), "", len(data) - n, (len(data) - n) / len(data) if len(data) else np.nan))
    design = dict(inst.design)
    for key, label in (("community", "r_communities"), ("street", "r_streets"), ("district", "r_districts")):
        col = design.get(key)
        if col in used.columns and used[col].notna().any():
            rows.append((w(label), "", int(used[col].nunique()), np.nan))
    col = design.get("community")
    if col in used.columns and used[col].notna().any():
        sizes = used[col].value_counts()
        rows.append((w("r_per_community"), f"{sizes.mean():.1f} ({sizes.min()}–{sizes.max()})", None, np.nan))
    place = {design.get(k) for k in ("community", "street", "district")}
    for q in inst.questions:
        if q.id in place or q.id not in used.columns:
            continue
        name = q.text.get(lang) if q.scale is None or q.scale not in inst.scales or inst.scales[q.scale].label is None \
            else inst.scales[q.scale].label.get(lang)
        if q.choices:
            counts = used[q.id].value_counts()
            answered = int(used[q.id].notna().sum())
            for j, c in enumerate(q.choices):
                k = int(counts.get(c.code, 0))
                rows.append((name if j == 0 else "", c.label.get(lang), k, k / answered if answered else np.nan))
        elif q.type in ("integer", "decimal", "number"):
            x = pd.to_numeric(used[q.id], errors="coerce")
            if x.notna().any():
                rows.append((q.text.get(lang).rstrip("？?"), w("r_mean_sd"), f"{x.mean():.1f} ({x.std():.1f})", np.nan))
    frame = pd.DataFrame([(r[1], r[2], r[3]) for r in rows], index=[r[0] for r in rows],
                         columns=[w("c_category"), w("c_n"), w("c_pct")])
    frame.index.name = w("c_characteristic")
    note = ("百分比以该题作答人数为分母；被标记的受访者已剔除。" if lang == "zh" else
            "Percentages of those who answered the question; flagged respondents excluded.")
    if not a.settings["exclude_flagged"]:
        note = "百分比以该题作答人数为分母。" if lang == "zh" else "Percentages of those who answered the question."
    return Table("sample", w("t_sample"), frame, {w("c_n"): "text", w("c_pct"): "pct"}, note, lang=lang)


def exclusions_note(exclusions: dict, lang: str) -> str:
    """What the analyses left out besides flagged respondents (off-scale codes, no consent, empty
    rows) and answers with declared missing codes read as blank (govstats.data.analysis_frame)."""
    if not exclusions:
        return ""
    names = {"empty_row": ("空行", "empty rows"), "declined_consent": ("拒绝参与", "declined consent"),
             "no_consent": ("未表示同意", "without consent"), "off_scale": ("有量表外代码", "with off-scale codes")}
    parts = [(f"{v[0]} {exclusions[k]} 名" if lang == "zh" else f"{exclusions[k]} {v[1]}")
             for k, v in names.items() if exclusions.get(k)]
    text = ""
    if parts:
        text = ("分析另剔除受访者：" + "，".join(parts) + "。") if lang == "zh" else \
            ("The analyses also left out respondents: " + ", ".join(parts) + ".")
    if exclusions.get("declared_missing"):
        text += (f" {exclusions['declared_missing']} 个以缺失代码作答的单元格按缺失处理。" if lang == "zh" else
                 f" {exclusions['declared_missing']} answers with a declared missing code were read as blank.")
    return text.strip()


def quality_table(a, lang: str) -> Table:
    s = a.check.summary
    s = s[s["count"] > 0]
    frame = pd.DataFrame({word("c_description", lang): [rule_text(r, lang) for r in s["rule"]],
                          word("c_problems", lang): s["count"].to_numpy(),
                          word("c_rows", lang): s["rows"].to_numpy()}, index=pd.Index(s["rule"], name=word("c_rule", lang)))
    note = (f"共检查 {a.check.n_rows} 行（问卷 {a.check.instrument}）；问题的行号与原因见 govstats check 的输出。"
            if lang == "zh" else f"{a.check.n_rows} rows checked against {a.check.instrument}; every problem with its "
            "row and column is listed by govstats check.")
    if s.empty:
        note = ("未发现问题。" if lang == "zh" else "No problems found. ") + note
    return Table("quality", word("t_quality", lang), frame, {word("c_problems", lang): "int", word("c_rows", lang): "int"},
                 note, lang=lang)


def flags_table(a, lang: str) -> Table:
    flags = a.check.flags
    n = len(flags)
    rows = []
    for col in [c for c in flags.columns if c.startswith("flag_")]:
        k = int(flags[col].sum())
        if k:
            rule = col[5:].replace("_", "-")
            rows.append((rule, rule_text(rule, lang), k, k / n if n else np.nan))
    total = int(flags["flagged"].sum())
    rows.append(("any" if lang == "en" else "合计", "至少一项标记" if lang == "zh" else "at least one flag", total,
                 total / n if n else np.nan))
    frame = pd.DataFrame([r[1:] for r in rows], index=pd.Index([r[0] for r in rows], name=word("c_reason", lang)),
                         columns=[word("c_description", lang), word("c_respondents", lang), word("c_pct", lang)])
    if a.settings["exclude_flagged"]:
        note = (f"被标记的 {total} 名受访者未纳入分析（一名受访者可有多项原因）。" if lang == "zh" else
                f"The {total} flagged respondents were left out of the analyses (a respondent may have several reasons).")
    else:
        note = ("被标记的受访者仍纳入分析。" if lang == "zh" else "Flagged respondents were kept in the analyses.")
    left_out = exclusions_note(a.efa.exclusions, lang)
    note = f"{note} {left_out}" if left_out else note
    return Table("flags", word("t_flags", lang), frame, {word("c_respondents", lang): "int", word("c_pct", lang): "pct"},
                 note, lang=lang)


def items_table(a, lang: str) -> Table:
    inst, used = a.instrument, a.used
    rows = []
    for c in inst.constructs:
        for it in c.items:
            if it.id not in used.columns:
                continue
            x = pd.to_numeric(used[it.id], errors="coerce")
            rows.append((it.id, c.id, x.mean(), x.std(), x.skew(), x.kurt(), x.isna().mean()))
    w = lambda k: word(k, lang)  # noqa: E731
    cols = [w("c_construct"), w("c_mean"), w("c_sd"), w("c_skew"), w("c_kurtosis"), w("c_blank")]
    frame = pd.DataFrame([r[1:] for r in rows], index=pd.Index([r[0] for r in rows], name=w("c_item")), columns=cols)
    note = ("N = {n}。偏度与峰度为样本校正值（峰度为超额峰度）；反向题按原始编码统计。" if lang == "zh" else
            "N = {n}. Sample-adjusted skewness and excess kurtosis; reverse-keyed items as coded.").format(n=len(used))
    return Table("items", w("t_items"), frame, {cols[1]: "f2", cols[2]: "f2", cols[3]: "f2", cols[4]: "f2",
                                                  cols[5]: "pct"}, note, lang=lang)


# -- measurement -------------------------------------------------------------------------------------------
def adequacy_table(a, lang: str) -> Table:
    e = a.efa
    w = lambda k: word(k, lang)  # noqa: E731
    cum = float(e.variance.loc["Cumulative Var"].iloc[-1])
    values = [(w("r_kmo"), e.kmo, "r3"), (w("r_bartlett"), e.bartlett["chisq"], "f2"),
              (w("r_bartlett_df"), e.bartlett["df"], "int"), (w("r_bartlett_p"), e.bartlett["p"], "p"),
              (w("r_parallel"), e.n_suggested, "int"), (w("r_factors"), e.n_factors, "int"),
              (w("r_variance"), cum, "pct")]
    from govstats.reporting.tables import cell

    frame = pd.DataFrame({w("c_value"): [cell(v, k) for _, v, k in values]},
                         index=pd.Index([n for n, _, _ in values], name=w("c_statistic")))
    frame.attrs["values"] = {n: v for n, v, _ in values}
    note = (f"N = {e.nobs}；{e.method} 提取，{e.rotation or '无'}旋转；平行分析基于 20 组模拟数据的 95% 分位特征值。"
            "KMO ≥ .60 且 Bartlett 检验显著表示适合做因子分析。" if lang == "zh" else
            f"N = {e.nobs}; {e.method} extraction, {e.rotation or 'no'} rotation; parallel analysis against the 95th "
            "percentile of 20 simulated data sets. KMO ≥ .60 and a significant Bartlett test indicate factorable data.")
    # the cells are printed already (each row its own format); "r3" only right-aligns them as numbers
    return Table("adequacy", w("t_adequacy"), frame, {w("c_value"): "r3"}, note, lang=lang)


def efa_table(a, lang: str, suppress: float = 0.30) -> Table:
    e = a.efa
    t = e.loadings.where(e.loadings.abs() >= suppress)
    t["h²"] = e.communalities
    t.index.name = word("c_item", lang)
    note = (f"载荷绝对值小于 {suppress:.2f}".replace("0.", ".") + " 的未列出；h²：共同度。" if lang == "zh" else
            f"Loadings below {suppress:.2f}".replace("0.", ".") + " in absolute value not shown; h²: communality.")
    return Table("efa", word("t_efa", lang), t, {c: "r2" for c in t.columns}, note, lang=lang)


def cfa_table(a, lang: str) -> Table:
    std = a.fit.standardized
    rows = std[(std.op == "=~") & (std.group == 1)]
    w = lambda k: word(k, lang)  # noqa: E731
    frame = pd.DataFrame({w("c_construct"): rows.lhs.to_numpy(), w("c_loading"): rows.est_std.to_numpy(),
                          w("c_se"): rows.se.to_numpy(), w("c_p"): rows.pvalue.to_numpy()},
                         index=pd.Index(rows.rhs.to_numpy(), name=w("c_item")))
    note = (f"{a.fit.estimator} 估计，N = {a.fit.nobs}；完全标准化载荷（std.all）及其 delta 法标准误，取自结构模型的测量部分。"
            "载荷 ≥ .50 为常用标准。" if lang == "zh" else
            f"{a.fit.estimator}, N = {a.fit.nobs}; completely standardized loadings (std.all) with delta-method SEs, "
            "from the measurement part of the structural model. Loadings ≥ .50 are conventionally acceptable.")
    return Table("cfa", w("t_cfa"), frame, {w("c_loading"): "r3", w("c_se"): "r3", w("c_p"): "p"}, note, lang=lang)


def reliability_table(a, lang: str) -> Table:
    t = a.reliability.table
    w = lambda k: word(k, lang)  # noqa: E731
    frame = pd.DataFrame({w("c_k"): t["n_items"].to_numpy(), w("c_alpha"): t["alpha"].to_numpy(),
                          w("c_omega"): t["omega"].to_numpy(), w("c_cr"): t["cr"].to_numpy(),
                          w("c_ave"): t["ave"].to_numpy()},
                         index=pd.Index([construct_label(a.instrument, c, lang) for c in t.index], name=w("c_construct")))
    note = (f"N = {a.reliability.nobs}。α：Cronbach's α；ω：McDonald's ω（单因子 CFA）；CR：组合信度；AVE：平均方差抽取量"
            "（相关因子 CFA）。常用标准：α、ω、CR ≥ .70，AVE ≥ .50。" if lang == "zh" else
            f"N = {a.reliability.nobs}. α: Cronbach's alpha; ω: McDonald's omega total (one-factor CFA); CR: composite "
            "reliability and AVE: average variance extracted (correlated-factors CFA). Conventional cut-offs: α, ω, "
            "CR ≥ .70; AVE ≥ .50.")
    return Table("reliability", w("t_reliability"), frame,
                 {w("c_k"): "int", w("c_alpha"): "r3", w("c_omega"): "r3", w("c_cr"): "r3", w("c_ave"): "r3"},
                 note, lang=lang)


def _lower(m: pd.DataFrame, diagonal: bool) -> pd.DataFrame:
    out = m.copy().astype(float)
    ids = list(m.index)
    for i in range(len(ids)):
        for j in range(len(ids)):
            if j > i or (j == i and not diagonal):
                out.iloc[i, j] = np.nan
    return out


def fornell_table(a, lang: str) -> Table:
    fl = _lower(a.reliability.validity.fornell_larcker, diagonal=True)
    fl.index.name = word("c_construct", lang)
    note = ("对角线为 AVE 的平方根，其下为潜变量相关（CFA）。对角线值大于所在行与列的相关时区分效度成立。" if lang == "zh" else
            "The diagonal holds the square root of AVE; below it, the latent correlations (CFA). Discriminant validity "
            "holds where each diagonal value exceeds the correlations in its row and column.")
    return Table("fornell_larcker", word("t_fornell", lang), fl, {c: "r3" for c in fl.columns}, note, lang=lang)


def htmt_table(a, lang: str) -> Table:
    h = _lower(a.reliability.validity.htmt, diagonal=False)
    if len(h) > 1:
        h = h.iloc[1:, :-1]
    h.index.name = word("c_construct", lang)
    note = ("HTMT < .85（严格）或 < .90（宽松）表示区分效度成立。" if lang == "zh" else
            "HTMT below .85 (strict) or .90 (lenient) indicates discriminant validity.")
    return Table("htmt", word("t_htmt", lang), h, {c: "r3" for c in h.columns}, note, lang=lang)


def cmv_table(a, lang: str) -> Table:
    h = a.harman
    comp = h.cfa_comparison
    w = lambda k: word(k, lang)  # noqa: E731
    cols = ["χ²", "df", "CFI", "TLI", "RMSEA", "SRMR", "Δχ²", "Δdf", "p"]
    rows = {}
    for key, label in (("measurement model", w("r_measurement")), ("single factor", w("r_single"))):
        r = comp.loc[key]
        rows[label] = [r["chisq"], r["df"], r["cfi"], r["tli"], r["rmsea"], r["srmr"], r["chisq_diff"], r["df_diff"],
                       r["pvalue_diff"]]
    frame = pd.DataFrame(rows, index=cols).T
    frame.index.name = w("c_model")
    note = (f"Harman 单因素检验：第一个未旋转主成分解释 {100 * h.first_component_share:.1f}% 的方差（单因子 minres："
            f"{100 * h.first_factor_share:.1f}%），{'超过' if h.flagged else '低于'} 50% 的标准。两个模型均为 ML 估计的 CFA；"
            "单因子模型拟合显著更差表示共同方法偏差不严重。" if lang == "zh" else
            f"Harman's single-factor test: the first unrotated component accounts for {100 * h.first_component_share:.1f}% "
            f"of the variance (one minres factor: {100 * h.first_factor_share:.1f}%), "
            f"{'above' if h.flagged else 'below'} the 50% threshold. Both models are ML CFAs; a single factor fitting "
            "significantly worse argues against a strong common-method factor.")
    return Table("cmv", w("t_cmv"), frame, {"χ²": "f2", "df": "int", "CFI": "r3", "TLI": "r3", "RMSEA": "r3",
                                            "SRMR": "r3", "Δχ²": "f2", "Δdf": "int", "p": "p"}, note, lang=lang)


# -- structural model -------------------------------------------------------------------------------------
def fit_rows(f: dict) -> dict[str, dict[str, float]]:
    """The standard, scaled and robust rows of the fit table from lavaan-named fit measures."""
    def row(suffix: str, chisq: bool = True) -> dict[str, float]:
        get = lambda k: f.get(f"{k}{suffix}", np.nan)  # noqa: E731
        c, df = (get("chisq"), f.get("df_scaled" if suffix == "_scaled" and "df_scaled" in f else "df", np.nan)) \
            if chisq else (np.nan, np.nan)
        return {"chisq": c, "df": df, "pvalue": get("pvalue") if chisq else np.nan,
                "ratio": c / df if chisq and df else np.nan, "cfi": get("cfi"), "tli": get("tli"),
                "rmsea": get("rmsea"), "rmsea_lo": get("rmsea_ci_lower"), "rmsea_hi": get("rmsea_ci_upper"),
                "srmr": f.get("srmr", np.nan)}

    rows = {"standard": row("")}
    if "chisq_scaled" in f:
        rows["scaled"] = row("_scaled")
    if "cfi_robust" in f:
        rows["robust"] = row("_robust", chisq=False)
    return rows


def fit_table(a, lang: str) -> Table:
    w = lambda k: word(k, lang)  # noqa: E731
    rows = fit_rows(a.fit.fit_measures)
    names = {"standard": w("r_standard"), "scaled": w("r_scaled"), "robust": w("r_robust")}
    frame = pd.DataFrame({names[k]: [r["chisq"], r["df"], r["pvalue"], r["ratio"], r["cfi"], r["tli"], r["rmsea"],
                                     (f"[{_r3(r['rmsea_lo'])}, {_r3(r['rmsea_hi'])}]"
                                      if np.isfinite(r["rmsea_lo"]) else ""), r["srmr"]]
                          for k, r in rows.items()},
                         index=["χ²", "df", "p", "χ²/df", "CFI", "TLI", "RMSEA", "RMSEA 90% CI", "SRMR"]).T
    frame.index.name = w("c_statistic")
    est = a.fit.estimator
    note = (f"{est} 估计，N = {a.fit.nobs}。常用标准：χ²/df < 3，CFI、TLI ≥ .90（良好 ≥ .95），RMSEA ≤ .08（良好 ≤ .06），"
            "SRMR ≤ .08（Hu & Bentler, 1999）。" if lang == "zh" else
            f"{est}, N = {a.fit.nobs}. Conventional criteria: χ²/df < 3, CFI and TLI ≥ .90 (good ≥ .95), RMSEA ≤ .08 "
            "(good ≤ .06), SRMR ≤ .08 (Hu & Bentler, 1999).")
    return Table("fit", w("t_fit"), frame, {"χ²": "f2", "df": "int", "p": "p", "χ²/df": "f2", "CFI": "r3",
                                            "TLI": "r3", "RMSEA": "r3", "SRMR": "r3"}, note, lang=lang)


def _r3(v: float) -> str:
    from govstats.reporting.tables import cell

    return cell(v, "r3")


def paths_table(a, lang: str) -> Table:
    p = a.fit.params
    std = a.fit.standardized
    rows = p[(p.op == "~") & (p.group == 1)]
    s = std[(std.op == "~") & (std.group == 1)].set_index(["lhs", "rhs"])
    w = lambda k: word(k, lang)  # noqa: E731
    frame = pd.DataFrame({w("c_b"): rows.est.to_numpy(), w("c_se"): rows.se.to_numpy(),
                          w("c_beta"): rows.std_all.to_numpy(),
                          "SE(β)": [s.loc[(r.lhs, r.rhs), "se"] for r in rows.itertuples()],
                          w("c_p"): rows.pvalue.to_numpy(), w("c_sig"): [stars(v) for v in rows.pvalue]},
                         index=pd.Index([f"{r.rhs} → {r.lhs}" for r in rows.itertuples()], name=w("c_path")))
    ids = list(dict.fromkeys(list(rows.rhs) + list(rows.lhs)))
    note = (f"{a.fit.estimator} 估计，N = {a.fit.nobs}。B：非标准化系数；β：标准化系数。* p < .05，** p < .01，*** p < .001。"
            if lang == "zh" else f"{a.fit.estimator}, N = {a.fit.nobs}. B: unstandardized; β: standardized coefficient. "
            "* p < .05, ** p < .01, *** p < .001. ") + abbreviations(a.instrument, ids, lang)
    return Table("paths", w("t_paths"), frame, {w("c_b"): "f3", w("c_se"): "f3", w("c_beta"): "r3", "SE(β)": "r3",
                                                w("c_p"): "p"}, note, lang=lang)


def r2_table(a, lang: str) -> Table:
    r2 = a.fit.r2()
    endogenous = list(dict.fromkeys(a.fit.params.loc[a.fit.params.op == "~", "lhs"]))
    frame = pd.DataFrame({word("c_r2", lang): [float(r2[c]) for c in endogenous if c in r2.index]},
                         index=pd.Index([construct_label(a.instrument, c, lang) for c in endogenous if c in r2.index],
                                        name=word("c_construct", lang)))
    return Table("r2", word("t_r2", lang), frame, {word("c_r2", lang): "r3"}, "", lang=lang)


def interval_text(effects_fit, lang: str) -> str:
    boot = getattr(effects_fit, "bootstrap", None)
    if boot is not None and boot.requested:
        kind = {"perc": ("百分位", "percentile"), "bc": ("偏差校正", "bias-corrected"), "bca": ("BCa", "BCa"),
                "norm": ("正态", "normal"), "basic": ("基本", "basic")}.get(boot.ci, (boot.ci, boot.ci))
        return (f"{boot.successful}/{boot.requested} 次自助抽样（种子 {boot.seed}）的{kind[0]}区间" if lang == "zh" else
                f"{kind[1]} intervals from {boot.successful} of {boot.requested} bootstrap draws (seed {boot.seed})")
    return ("蒙特卡洛区间（20000 次抽样）" if lang == "zh" else "Monte Carlo intervals (20,000 draws)")


def effects_table(a, lang: str) -> Table:
    t = a.effects
    t = t[t.group == 1]
    w = lambda k: word(k, lang)  # noqa: E731
    rows = []
    for r in t.itertuples():
        path = r.path if r.effect in ("direct", "indirect") else f"{r.predictor} → {r.outcome}"
        rows.append((w(f"e_{r.effect}"), path.replace(" -> ", " → "), r.est, r.std_all,
                     f"[{_r3(r.std_ci_lower)}, {_r3(r.std_ci_upper)}]" if r.effect != "ratio" else
                     f"[{_r3(r.ci_lower)}, {_r3(r.ci_upper)}]",
                     r.pvalue))
    frame = pd.DataFrame([r[1:] for r in rows], index=pd.Index([r[0] for r in rows], name=w("c_effect")),
                         columns=[w("c_path"), w("c_b"), w("c_beta"), w("c_ci"), w("c_p")])
    how = interval_text(a.effects_fit, lang)
    ml = "effects_ml" in a.notes
    note = (f"β 的 95% 置信区间为{how}；效应占比行为间接效应/总效应。" + ("区间来自 ML 估计的同一模型。" if ml else "")
            + "区间不含 0 表示效应显著。" if lang == "zh" else
            f"95% intervals of β: {how}; the ratio rows give indirect / total effect. "
            + ("Intervals from the same model fitted by ML. " if ml else "")
            + "An interval excluding 0 indicates an effect.")
    return Table("effects", w("t_effects"), frame, {w("c_b"): "f3", w("c_beta"): "r3", w("c_p"): "p"}, note,
                 lang=lang)


def extra_table(name: str, frame: pd.DataFrame, lang: str) -> Table:
    """An invariance or multilevel table as a paper prints it; any other table given (power) as it
    was given, numbers to three decimals."""
    from govstats.reporting.extra_tables import (invariance_table, is_invariance_table, is_multilevel_table,
                                                 multilevel_table)

    if name == "invariance" and is_invariance_table(frame):
        return invariance_table(frame, word("t_invariance", lang), lang)
    if name == "multilevel" and is_multilevel_table(frame):
        return multilevel_table(frame, word("t_multilevel", lang), lang)
    formats = {}
    for col in frame.columns:
        if pd.api.types.is_integer_dtype(frame[col]):
            formats[col] = "int"
        elif pd.api.types.is_float_dtype(frame[col]):
            formats[col] = "f3"
    shown = frame if frame.index.name or not isinstance(frame.index, pd.RangeIndex) else \
        frame.set_index(frame.columns[0])
    return Table(name, word(f"t_{name}", lang), shown, {k: v for k, v in formats.items() if k in shown.columns}, "",
                 lang=lang)
