"""The invariance and multilevel tables of a report, as a paper prints them (APA, zh or en).

They read the result tables of :func:`govstats.invariance` and :func:`govstats.multilevel` by their
column names, so a DataFrame handed to ``report(..., invariance=frame)`` works as well as the result.
"""

from __future__ import annotations

import pandas as pd

from govstats.reporting.tables import Table, fmt

STEPS = {
    "configural": ("形态等值", "Configural"),
    "thresholds": ("阈值等值", "Thresholds"),
    "metric": ("弱等值（因子载荷）", "Metric (loadings)"),
    "scalar": ("强等值（截距）", "Scalar (intercepts)"),
    "strict": ("严格等值（残差方差）", "Strict (residual variances)"),
}
DECISIONS = {"holds": ("成立", "holds"), "fails": ("不成立", "fails")}
TESTS = {
    "standard": ("卡方差异检验", "chi-square difference test"),
    "satorra.bentler.2001": ("Satorra-Bentler (2001) 校正卡方差异检验", "Satorra-Bentler (2001) scaled difference test"),
    "satorra.2000": ("Satorra (2000) 校正-平移卡方差异检验", "Satorra (2000) scaled-shifted difference test"),
}


def _pick(lang: str, pair) -> str:
    return pair[0] if lang == "zh" else pair[1]


def is_invariance_table(frame: pd.DataFrame) -> bool:
    return {"chisq", "chisq_diff", "decision"} <= set(frame.columns)


def is_multilevel_table(frame: pd.DataFrame) -> bool:
    return {"icc1", "icc2", "design_effect", "rwg_mean"} <= set(frame.columns)


def difference_test(frame: pd.DataFrame) -> str:
    """lavTestLRT's method, told by the columns it leaves in the comparison table."""
    if {"scale", "shift"} <= set(frame.columns):
        return "satorra.2000"
    return "satorra.bentler.2001" if "scaling_factor" in frame.columns else "standard"


def invariance_table(frame: pd.DataFrame, title: str, lang: str) -> Table:
    """Steps as rows: chi-square (scaled where the estimator has one), df, the difference test, CFI,
    RMSEA and SRMR with their changes, and the decision with Chen's (2007) flags."""
    suffix = next((s for s in ("_robust", "_scaled") if f"cfi{s}" in frame and frame[f"cfi{s}"].notna().all()), "")
    chisq = "chisq_scaled" if "chisq_scaled" in frame else "chisq"
    zh = lang == "zh"
    heads = {chisq: "χ²", "df": "df", "chisq_diff": "Δχ²", "df_diff": "Δdf", "pvalue_diff": "p",
             f"cfi{suffix}": "CFI", f"rmsea{suffix}": "RMSEA", "srmr": "SRMR", f"delta_cfi{suffix}": "ΔCFI",
             f"delta_rmsea{suffix}": "ΔRMSEA", "delta_srmr": "ΔSRMR"}
    out = pd.DataFrame({head: frame[col].to_numpy() if col in frame else float("nan") for col, head in heads.items()},
                       index=pd.Index([_pick(lang, STEPS.get(s, (s, s))) for s in frame.index],
                                      name="模型" if zh else "Model"))
    decision = []
    for verdict, flags in zip(frame["decision"], frame.get("chen_flags", pd.Series("", index=frame.index))):
        text = _pick(lang, DECISIONS[verdict]) if verdict in DECISIONS else ""
        if text and isinstance(flags, str) and flags:
            text += f"（{flags.replace(',', '、')}）" if zh else f" ({flags.replace(',', ', ')})"
        decision.append(text)
    out["结论" if zh else "Decision"] = decision
    formats = {"χ²": "f2", "df": "int", "Δχ²": "f2", "Δdf": "int", "p": "p", "CFI": "r3", "RMSEA": "r3",
               "SRMR": "r3", "ΔCFI": "r3", "ΔRMSEA": "r3", "ΔSRMR": "r3"}
    test = _pick(lang, TESTS[difference_test(frame)])
    kind = {"_robust": ("稳健", "robust"), "_scaled": ("校正", "scaled"), "": ("", "")}[suffix]
    if zh:
        note = (f"每一模型与上一模型比较；差异检验为{test}（lavaan 的 lavTestLRT）"
                + ("，χ² 为校正值" if chisq == "chisq_scaled" else "")
                + (f"，CFI 与 RMSEA 为{kind[0]}指数" if suffix else "")
                + "。p < .05，或 CFI 下降 ≥ .010 且 RMSEA 上升 ≥ .015 或 SRMR 上升 ≥ .030（弱等值）/ .010（强等值、"
                  "严格等值）时（Chen, 2007），该层次不变性不成立；括号内为超出 Chen 标准的指数。")
    else:
        note = (f"Each model is compared with the one before it by the {test} (lavaan's lavTestLRT)"
                + ("; χ² is the scaled statistic" if chisq == "chisq_scaled" else "")
                + (f"; CFI and RMSEA are the {kind[1]} indices" if suffix else "")
                + ". A step fails when p < .05 or, by Chen (2007), CFI drops by .010 or more together with RMSEA "
                  "rising .015 or more or SRMR .030 (metric) / .010 (scalar, strict); the indices past Chen's "
                  "limits are in parentheses.")
    return Table("invariance", title, out, formats, note, lang=lang)


def multilevel_table(frame: pd.DataFrame, title: str, lang: str) -> Table:
    """Constructs as rows: ICC(1) with its interval, ICC(2), design effect, effective N, mean rwg(j),
    and whether the scores may be aggregated to communities."""
    zh = lang == "zh"
    frame = frame if frame.index.name or not isinstance(frame.index, pd.RangeIndex) else frame.set_index(frame.columns[0])
    out = pd.DataFrame(index=pd.Index(frame.index, name="构念" if zh else "Construct"))
    out["ICC(1)"] = frame["icc1"].to_numpy()
    out["95% CI"] = [f"[{fmt(lo, 3)}, {fmt(hi, 3)}]" if pd.notna(lo) and pd.notna(hi) else ""
                     for lo, hi in zip(frame.get("icc1_ci_lower", []), frame.get("icc1_ci_upper", []))] \
        if "icc1_ci_lower" in frame else ""
    out["ICC(2)"] = frame["icc2"].to_numpy()
    out["设计效应" if zh else "Design effect"] = frame["design_effect"].to_numpy()
    if "n_effective" in frame:
        out["有效样本量" if zh else "Effective N"] = frame["n_effective"].to_numpy()
    out["rwg(j)"] = frame["rwg_mean"].to_numpy()
    verdicts = []
    for _, row in frame.iterrows():
        failed = [name for name, col in (("ICC(1)", "icc1_ok"), ("ICC(2)", "icc2_ok"), ("rwg(j)", "rwg_ok"))
                  if col in row and not bool(row[col])]
        if zh:
            text = "可聚合" if not failed else "、".join(failed) + " 未达标准"
            if bool(row.get("model_clustering", False)):
                text += "；需在模型中处理聚类"
        else:
            text = "aggregable" if not failed else ", ".join(failed) + " below the criterion"
            if bool(row.get("model_clustering", False)):
                text += "; model the clustering"
        verdicts.append(text)
    out["结论" if zh else "Conclusion"] = verdicts
    formats = {"ICC(1)": "r3", "ICC(2)": "r3", "设计效应": "f2", "Design effect": "f2", "有效样本量": "int",
               "Effective N": "int", "rwg(j)": "r3"}
    note = ("ICC(1) 及其 95% 置信区间、ICC(2) 来自单因素随机效应方差分析（同 R 的 multilevel::ICC1/ICC2）；设计效应 = "
            "1 + (平均社区规模 − 1) × ICC(1)；rwg(j) 为各社区的均值（均匀零分布）。聚合标准：ICC(1) > .059、ICC(2) > .70、"
            "rwg(j) > .70；设计效应 > 2 时应在模型中处理社区聚类（多层模型或聚类稳健标准误）。" if zh else
            "ICC(1) with its 95% interval and ICC(2) from the one-way random-effects ANOVA (as R's multilevel::ICC1/ICC2); "
            "design effect = 1 + (mean community size - 1) x ICC(1); rwg(j) is the mean over communities (uniform "
            "null). Aggregation criteria: ICC(1) > .059, ICC(2) > .70, rwg(j) > .70; a design effect above 2 calls "
            "for modelling the clustering (a two-level model or cluster-robust SEs).")
    return Table("multilevel", title, out, {k: v for k, v in formats.items() if k in out.columns}, note, lang=lang)
