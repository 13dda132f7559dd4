"""The report's fixed wording in Chinese and English: titles, column heads, notes.

One dictionary, so that a translation is checked in one place (tests compare the two key sets).
"""

from __future__ import annotations

LANGS = ("zh", "en")

WORDS: dict[str, tuple[str, str]] = {
    # document
    "report_title": ("{title}：分析报告", "{title}: analysis report"),
    "generated": ("由 govstats {version} 生成；问卷 {instrument} {inst_version}；数据 {data}。",
                  "Written by govstats {version}; instrument {instrument} {inst_version}; data {data}."),
    "table": ("表", "Table"),
    "figure": ("图", "Figure"),
    "note": ("注：", "Note. "),
    "contents": ("目录", "Contents"),
    # sections
    "s_summary": ("方法与结果（可直接用于论文）", "Methods and results (for the paper)"),
    "s_sample": ("样本", "Sample"),
    "s_quality": ("数据质量", "Data quality"),
    "s_items": ("题项分布", "Item distributions"),
    "s_measurement": ("测量模型", "Measurement"),
    "s_fit": ("模型拟合", "Model fit"),
    "s_paths": ("结构路径", "Structural paths"),
    "s_effects": ("间接效应", "Indirect effects"),
    "s_invariance": ("测量不变性", "Measurement invariance"),
    "s_multilevel": ("多层次分析", "Multilevel analysis"),
    "s_power": ("统计检验力", "Statistical power"),
    # table titles
    "t_sample": ("样本特征", "Sample characteristics"),
    "t_quality": ("数据检查发现的问题", "Problems found by the data check"),
    "t_flags": ("被标记的受访者及原因", "Flagged respondents and reasons"),
    "t_items": ("题项描述统计", "Item descriptive statistics"),
    "t_adequacy": ("取样适切性与因子数", "Sampling adequacy and number of factors"),
    "t_efa": ("探索性因子分析：模式载荷", "Exploratory factor analysis: pattern loadings"),
    "t_cfa": ("验证性因子分析：标准化载荷", "Confirmatory factor analysis: standardized loadings"),
    "t_reliability": ("信度与收敛效度", "Reliability and convergent validity"),
    "t_fornell": ("区分效度：Fornell-Larcker 准则", "Discriminant validity: Fornell-Larcker criterion"),
    "t_htmt": ("区分效度：异质-单质比率（HTMT）", "Discriminant validity: heterotrait-monotrait ratio (HTMT)"),
    "t_cmv": ("共同方法偏差检验", "Common-method bias"),
    "t_fit": ("模型拟合指数", "Model fit"),
    "t_paths": ("结构路径系数", "Structural path coefficients"),
    "t_r2": ("内生构念的解释方差", "Variance explained in the endogenous constructs"),
    "t_effects": ("直接、间接与总效应", "Direct, indirect and total effects"),
    "t_invariance": ("测量不变性检验", "Measurement invariance"),
    "t_multilevel": ("多层次聚合指标", "Multilevel aggregation"),
    "t_power": ("统计检验力", "Statistical power"),
    # figure titles
    "f_diagram": ("结构方程模型路径图（标准化系数）", "Path diagram of the structural model (standardized coefficients)"),
    "f_scree": ("碎石图与平行分析", "Scree plot with parallel analysis"),
    "f_likert": ("各构念题项的回答分布", "Answer distributions of the items, by construct"),
    "f_blanks": ("各题项的缺失比例", "Blank answers per item"),
    "f_bootstrap": ("间接效应的自助抽样分布", "Bootstrap distributions of the indirect effects"),
    "f_power": ("检验力曲线", "Power curves"),
    # column heads
    "c_characteristic": ("特征", "Characteristic"),
    "c_category": ("类别", "Category"),
    "c_n": ("n", "n"),
    "c_pct": ("%", "%"),
    "c_rule": ("规则", "Rule"),
    "c_description": ("说明", "Description"),
    "c_problems": ("问题数", "Problems"),
    "c_rows": ("涉及行数", "Rows"),
    "c_reason": ("原因", "Reason"),
    "c_respondents": ("受访者数", "Respondents"),
    "c_construct": ("构念", "Construct"),
    "c_item": ("题项", "Item"),
    "c_mean": ("M", "M"),
    "c_sd": ("SD", "SD"),
    "c_skew": ("偏度", "Skewness"),
    "c_kurtosis": ("峰度", "Kurtosis"),
    "c_blank": ("缺失 %", "Blank %"),
    "c_statistic": ("指标", "Statistic"),
    "c_value": ("值", "Value"),
    "c_loading": ("载荷", "Loading"),
    "c_se": ("SE", "SE"),
    "c_p": ("p", "p"),
    "c_k": ("题项数", "k"),
    "c_alpha": ("α", "α"),
    "c_omega": ("ω", "ω"),
    "c_cr": ("CR", "CR"),
    "c_ave": ("AVE", "AVE"),
    "c_model": ("模型", "Model"),
    "c_path": ("路径", "Path"),
    "c_b": ("B", "B"),
    "c_beta": ("β", "β"),
    "c_sig": ("", ""),
    "c_r2": ("R²", "R²"),
    "c_effect": ("效应", "Effect"),
    "c_ci": ("95% CI", "95% CI"),
    "c_ratio": ("效应占比", "Effect ratio"),
    # row labels
    "r_received": ("收到的问卷", "Responses received"),
    "r_analysed": ("纳入分析", "Analysed"),
    "r_excluded": ("剔除（被标记）", "Excluded (flagged)"),
    "r_communities": ("社区数", "Communities"),
    "r_streets": ("街道数", "Streets"),
    "r_districts": ("区县数", "Districts"),
    "r_per_community": ("每社区受访者数 M (范围)", "Respondents per community, M (range)"),
    "r_mean_sd": ("M (SD)", "M (SD)"),
    "r_kmo": ("KMO", "KMO"),
    "r_bartlett": ("Bartlett 球形检验 χ²", "Bartlett's test χ²"),
    "r_bartlett_df": ("Bartlett 检验 df", "Bartlett's test df"),
    "r_bartlett_p": ("Bartlett 检验 p", "Bartlett's test p"),
    "r_parallel": ("平行分析建议的因子数", "Factors suggested by parallel analysis"),
    "r_factors": ("提取的因子数", "Factors extracted"),
    "r_variance": ("累计解释方差", "Cumulative variance explained"),
    "r_harman_pc": ("第一个未旋转主成分解释的方差", "Variance of the first unrotated component"),
    "r_harman_fa": ("单因子 minres 解释的方差", "Variance of one minres factor"),
    "r_standard": ("标准", "Standard"),
    "r_scaled": ("校正（scaled）", "Scaled"),
    "r_robust": ("稳健（robust）", "Robust"),
    "r_measurement": ("测量模型（CFA）", "Measurement model (CFA)"),
    "r_single": ("单因子模型（共同方法）", "Single factor (common method)"),
    "r_structural": ("结构模型", "Structural model"),
    "e_direct": ("直接效应", "direct"),
    "e_indirect": ("间接效应", "indirect"),
    "e_total indirect": ("总间接效应", "total indirect"),
    "e_total": ("总效应", "total"),
    "e_ratio": ("间接/总效应", "indirect / total"),
    # diagram
    "d_r2": ("R²", "R²"),
    "d_caption": ("实线：p < .05；虚线：不显著。", "Solid: p < .05; dashed: not significant."),
    # roles
    "role_factor": ("影响因素", "Influencing factors"),
    "role_mechanism": ("作用机制", "Mechanisms"),
    "role_outcome": ("治理成效", "Outcomes"),
    # hooks
    "hook_missing": ("本安装中没有 govstats.{name}，故未计算此表。可在 Python 中将其结果传入："
                     "report(..., {name}=结果)（DataFrame，或带 .table() 方法的结果对象）。",
                     "Not computed: this installation has no govstats.{name}. Pass its result from Python: "
                     "report(..., {name}=result) (a DataFrame, or a result with a .table() method)."),
    "hook_failed": ("govstats.{name} 未能计算此表（见警告）。", "govstats.{name} could not compute this table (see the "
                                                        "warning)."),
}


def word(key: str, lang: str, **values) -> str:
    """The text of ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    if lang not in LANGS:
        raise ValueError(f"The 'lang' parameter must be one of {set(LANGS)}. Got {lang!r} instead.")
    text = WORDS[key][LANGS.index(lang)]
    return text.format(**values) if values else text


# The data check's rules (govstats.data.rules.RULES) in Chinese; English comes from RULES itself.
RULES_ZH = {
    "missing-column": "问卷中的列不在数据文件中",
    "unexpected-column": "数据文件中有问卷没有的列",
    "duplicate-column": "两列同名",
    "empty-row": "整行为空",
    "missing-id": "缺少受访者编号",
    "duplicate-id": "受访者编号重复",
    "no-consent": "未同意参与（不为 1），答案不得使用",
    "label-not-code": "应填代码处填了标签文字",
    "unknown-label": "既非代码也非量表标签的文字",
    "code-out-of-range": "不属于该量表的代码",
    "wrong-type": "数据类型错误（数字处为文字、时间无法读取）",
    "value-out-of-range": "数值超出题目的最小值或最大值",
    "required-missing": "必答题未作答",
    "not-asked": "跳题逻辑不应询问的题目有回答",
    "end-before-start": "结束时间早于开始时间",
    "multiple-mismatch": "多选题的回答与其 0/1 选项列（KoboToolbox、ODK）矛盾",
    "long-string": "长串相同回答（直线作答）",
    "low-irv": "回答几乎没有变化（个体内变异低）",
    "mahalanobis": "回答模式与他人差异很大（马氏距离，p < alpha）",
    "attention-check": "未按注意力检测题的指示作答",
    "speeder": "作答用时远短于中位数",
    "too-much-missing": "缺答题目过多",
    "duplicate-ip": "与另一受访者来自同一 IP 地址（平台导出数据）",
}


def rule_text(rule: str, lang: str) -> str:
    """What a data-check rule means, in ``lang``."""
    from govstats.data.rules import RULES

    if lang == "zh" and rule in RULES_ZH:
        return RULES_ZH[rule]
    return RULES[rule][1] if rule in RULES else rule
