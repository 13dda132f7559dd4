"""The methods-and-results paragraph: the numbers in APA style and the conventional criteria
they meet or miss, in Chinese or English, with no interpretation beyond that."""

from __future__ import annotations

import numpy as np

from govstats.reporting.tables import cell, p_text

# Conventional cut-offs (Hu & Bentler, 1999; Fornell & Larcker, 1981; Henseler et al., 2015)
CRITERIA = {"cfi": (">=", 0.90), "tli": (">=", 0.90), "rmsea": ("<=", 0.08), "srmr": ("<=", 0.08)}


def r(v: float, digits: int = 2) -> str:
    return cell(v, f"r{digits}")


def p_apa(p: float) -> str:
    """``p < .001`` or ``p = .012``."""
    s = p_text(p)
    return f"p {s}" if s.startswith("<") else f"p = {s}"


def fit_values(f: dict) -> dict:
    """The fit statistics a paper reports: the scaled chi-square and robust indices when the
    estimator has them, else the standard ones; ``kind`` says which."""
    chisq = f.get("chisq_scaled", f.get("chisq"))
    pvalue = f.get("pvalue_scaled", f.get("pvalue"))
    suffix = "_robust" if "cfi_robust" in f and np.isfinite(f.get("cfi_robust", np.nan)) else \
        "_scaled" if "cfi_scaled" in f else ""
    get = lambda k: f.get(f"{k}{suffix}", f.get(k, np.nan))  # noqa: E731
    return {"chisq": chisq, "df": f.get("df"), "pvalue": pvalue, "cfi": get("cfi"), "tli": get("tli"),
            "rmsea": get("rmsea"), "lo": get("rmsea_ci_lower"), "hi": get("rmsea_ci_upper"),
            "srmr": f.get("srmr", np.nan), "kind": suffix.strip("_") or "standard"}


def criteria(v: dict) -> tuple[list[str], list[str]]:
    """Names of the indices that meet and that miss their conventional criterion."""
    met, missed = [], []
    for k, (how, cut) in CRITERIA.items():
        x = v[k]
        if not np.isfinite(x):
            continue
        ok = x >= cut if how == ">=" else x <= cut
        (met if ok else missed).append(k.upper())
    return met, missed


def fit_statement(v: dict) -> str:
    ratio = v["chisq"] / v["df"] if v["df"] else np.nan
    return (f"χ²({v['df']:.0f}) = {v['chisq']:.2f}, {p_apa(v['pvalue'])}, χ²/df = {ratio:.2f}, CFI = {r(v['cfi'])}, "
            f"TLI = {r(v['tli'])}, RMSEA = {r(v['rmsea'], 3)}, 90% CI [{r(v['lo'], 3)}, {r(v['hi'], 3)}], "
            f"SRMR = {r(v['srmr'], 3)}")


def paragraph(a, lang: str) -> str:
    """The methods-and-results paragraph of an :class:`~govstats.reporting.analyses.Analyses`."""
    inst, e, rel, h, res = a.instrument, a.efa, a.reliability, a.harman, a.fit
    n_in, n = len(a.data), len(a.used)
    community = dict(inst.design).get("community")
    n_comm = int(a.used[community].nunique()) if community in a.used.columns else None
    t = rel.table
    rng = lambda col: (r(float(t[col].min())), r(float(t[col].max())))  # noqa: E731
    low = lambda col, cut: [c for c in t.index if t.loc[c, col] < cut]  # noqa: E731
    alpha_low, cr_low, ave_low = low("alpha", 0.70), low("cr", 0.70), low("ave", 0.50)
    viol = rel.validity.fornell_larcker_violations
    htmt_max = float(np.nanmax(np.where(np.tril(np.ones_like(rel.validity.htmt, dtype=bool), -1),
                                        rel.validity.htmt.to_numpy(), np.nan))) if len(t) > 1 else np.nan
    v = fit_values(res.fit_measures)
    met, missed = criteria(v)
    p = res.params
    paths = p[(p.op == "~") & (p.group == 1)]
    sig = paths[paths.pvalue < 0.05]
    eff = a.effects[(a.effects.effect == "indirect") & (a.effects.group == 1)]
    clear = eff[(eff.std_ci_lower > 0) | (eff.std_ci_upper < 0)]
    r2 = res.r2()
    endo = [c for c in dict.fromkeys(paths.lhs) if c in r2.index]
    b = e.bartlett
    missing = a.settings["missing"]
    if lang == "zh":
        s = [f"共回收问卷 {n_in} 份" + (f"，来自 {n_comm} 个社区" if n_comm else "") + "；"
             + (f"经数据检查剔除被标记的受访者 {n_in - n} 名，" if n_in != n else "") + f"有效样本 {n} 份。"]
        s.append(f"KMO 值为 {r(e.kmo, 3)}，Bartlett 球形检验 χ²({b['df']:.0f}) = {b['chisq']:.2f}，{p_apa(b['p'])}；"
                 f"平行分析建议提取 {e.n_suggested} 个因子。")
        s.append(f"各构念的 Cronbach's α 为 {rng('alpha')[0]}–{rng('alpha')[1]}，组合信度（CR）为 {rng('cr')[0]}–{rng('cr')[1]}，"
                 f"平均方差抽取量（AVE）为 {rng('ave')[0]}–{rng('ave')[1]}；"
                 + ("均达到常用标准（α、CR ≥ .70，AVE ≥ .50）。" if not (alpha_low or cr_low or ave_low) else
                    "未达到常用标准（α、CR ≥ .70，AVE ≥ .50）的有：" + "，".join(
                        [f"{c} 的 α" for c in alpha_low] + [f"{c} 的 CR" for c in cr_low] + [f"{c} 的 AVE" for c in ave_low])
                    + "。"))
        s.append(("各构念 AVE 的平方根均大于其与其他构念的相关（Fornell-Larcker 准则）" if viol.empty else
                  f"有 {len(viol)} 对构念的相关不低于 AVE 的平方根（Fornell-Larcker 准则未满足）")
                 + (f"，HTMT 最大值为 {r(htmt_max, 3)}（{'低于' if htmt_max < 0.85 else '不低于'} .85）。"
                    if np.isfinite(htmt_max) else "。"))
        s.append(f"Harman 单因素检验中第一个未旋转主成分解释了 {100 * h.first_component_share:.1f}% 的方差"
                 f"（{'超过' if h.flagged else '低于'} 50%）。")
        how = {"fiml": "全信息极大似然（FIML）处理缺失值", "pairwise": "成对删除处理缺失值"}.get(missing, "列删除处理缺失值")
        s.append(f"结构方程模型采用 {res.estimator} 估计（{how}，N = {res.nobs}），拟合指数为 {fit_statement(v)}"
                 + ("（校正 χ² 与稳健指数）" if v["kind"] != "standard" else "") + "；"
                 + (f"{'、'.join(met)} 达到常用标准" if met else "") + ("，" if met and missed else "")
                 + (f"{'、'.join(missed)} 未达到常用标准" if missed else "")
                 + "（CFI、TLI ≥ .90，RMSEA、SRMR ≤ .08）。")
        s.append(f"{len(paths)} 条结构路径中有 {len(sig)} 条在 p < .05 水平上显著"
                 + ("：" + "；".join(f"{x.rhs} → {x.lhs}，β = {r(x.std_all)}，{p_apa(x.pvalue)}" for x in sig.itertuples())
                    if len(sig) else "") + "。")
        if endo:
            s.append("内生构念的 R² 为 " + "，".join(f"{c} {r(float(r2[c]))}" for c in endo) + "。")
        if len(eff):
            s.append(f"{len(eff)} 条特定间接效应中，{len(clear)} 条的 95% 置信区间不包含 0"
                     + ("：" + "；".join(f"{x.path.replace(' -> ', ' → ')}，β = {r(x.std_all, 3)}，"
                                       f"95% CI [{r(x.std_ci_lower, 3)}, {r(x.std_ci_upper, 3)}]"
                                       for x in clear.itertuples()) if len(clear) else "") + "。")
        return "".join(s)
    s = [f"Of {n_in} questionnaires" + (f" from {n_comm} communities" if n_comm else "") + ", "
         + (f"{n_in - n} respondents flagged by the data check were excluded, leaving {n} for analysis. " if n_in != n
            else f"all {n} were analysed. ")]
    s.append(f"The Kaiser-Meyer-Olkin measure was {r(e.kmo, 3)} and Bartlett's test of sphericity was "
             f"χ²({b['df']:.0f}) = {b['chisq']:.2f}, {p_apa(b['p'])}; parallel analysis suggested {e.n_suggested} factors. ")
    s.append(f"Cronbach's α ranged from {rng('alpha')[0]} to {rng('alpha')[1]}, composite reliability (CR) from "
             f"{rng('cr')[0]} to {rng('cr')[1]}, and the average variance extracted (AVE) from {rng('ave')[0]} to "
             f"{rng('ave')[1]}; "
             + ("all meet the conventional criteria (α and CR ≥ .70, AVE ≥ .50). " if not (alpha_low or cr_low or ave_low)
                else "below the conventional criteria (α and CR ≥ .70, AVE ≥ .50): " + ", ".join(
                    [f"α of {c}" for c in alpha_low] + [f"CR of {c}" for c in cr_low] + [f"AVE of {c}" for c in ave_low])
                + ". "))
    s.append(("The square root of each construct's AVE exceeded its correlations with the other constructs "
              "(Fornell-Larcker criterion)" if viol.empty else
              f"For {len(viol)} pairs of constructs the correlation was not below the square root of AVE "
              "(Fornell-Larcker criterion not met)")
             + (f", and the largest HTMT was {r(htmt_max, 3)} ({'below' if htmt_max < 0.85 else 'not below'} .85). "
                if np.isfinite(htmt_max) else ". "))
    s.append(f"In Harman's single-factor test the first unrotated component accounted for "
             f"{100 * h.first_component_share:.1f}% of the variance ({'above' if h.flagged else 'below'} 50%). ")
    how = {"fiml": "full-information ML for blank answers", "pairwise": "pairwise statistics for blank answers"}.get(
        missing, "listwise deletion")
    s.append(f"The structural model was estimated by {res.estimator} ({how}, N = {res.nobs}): {fit_statement(v)}"
             + (" (scaled χ², robust indices)" if v["kind"] != "standard" else "") + "; "
             + (f"{', '.join(met)} meet the conventional criteria" if met else "")
             + ("; " if met and missed else "") + (f"{', '.join(missed)} miss them" if missed else "")
             + " (CFI and TLI ≥ .90, RMSEA and SRMR ≤ .08). ")
    s.append(f"Of the {len(paths)} structural paths, {len(sig)} were significant at p < .05"
             + (": " + "; ".join(f"{x.rhs} → {x.lhs}, β = {r(x.std_all)}, {p_apa(x.pvalue)}" for x in sig.itertuples())
                if len(sig) else "") + ". ")
    if endo:
        s.append("R² of the endogenous constructs: " + ", ".join(f"{c} {r(float(r2[c]))}" for c in endo) + ". ")
    if len(eff):
        s.append(f"Of the {len(eff)} specific indirect effects, {len(clear)} had 95% intervals excluding zero"
                 + (": " + "; ".join(f"{x.path.replace(' -> ', ' → ')}, β = {r(x.std_all, 3)}, "
                                    f"95% CI [{r(x.std_ci_lower, 3)}, {r(x.std_ci_upper, 3)}]" for x in clear.itertuples())
                    if len(clear) else "") + ".")
    return "".join(s).strip()
