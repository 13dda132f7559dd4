"""Fixed bilingual wording of the forms: instructions, messages, routing notes.

Construct names are deliberately not shown to respondents: a heading such as "Public
spirit" above a grid tells people what the items are meant to measure and cues answers.
Grids are introduced by what the scale asks instead.
"""

from __future__ import annotations

from govstats.instrument.model import Text

LANG_LABELS = {"zh": "中文 (zh)", "en": "English (en)"}

GRID_INSTRUCTION = {
    "likert": Text("请根据您的实际看法，选择您对下列每种说法的同意程度。",
                   "For each statement, please choose how much you agree with it."),
    "frequency": Text("请选择下列每种情况发生的频繁程度。",
                      "For each statement, please choose how often it happens."),
    "ordinal": Text("请为下列每一项选择最符合的选项。", "For each statement, please choose the answer that fits best."),
    "nominal": Text("请为下列每一项选择最符合的选项。", "For each statement, please choose the answer that fits best."),
}

PAPER_INSTRUCTIONS = Text(
    "填写说明：请在所选答案的方框内打“✓”；除注明“可多选”的题目外，每题只选一个答案。"
    "方框旁的小号数字是数据录入用的代码。",
    "How to fill in: tick (✓) the box of your answer; choose one answer per question unless "
    "the question says you may choose several. The small numbers beside the boxes are codes for data entry.",
)
CONSENT_NO_NOTE = Text("如不同意，访问到此结束，谢谢！", "If you do not agree, the interview ends here. Thank you!")
END_NOTE = Text("问卷到此结束，感谢您的参与！", "This is the end of the questionnaire. Thank you for taking part!")
REQUIRED_MESSAGE = Text("请回答本题。", "Please answer this question.")
MULTIPLE_HINT = Text("可多选", "select all that apply")
RESPONDENT_ID_PAPER = Text("问卷编号", "Questionnaire no.")


def range_message(minimum: float | None, maximum: float | None) -> Text:
    """The message shown when a number is outside its allowed range."""
    lo, hi = _num(minimum), _num(maximum)
    if lo is not None and hi is not None:
        return Text(f"请输入{lo}到{hi}之间的数。", f"Please enter a number from {lo} to {hi}.")
    if lo is not None:
        return Text(f"请输入不小于{lo}的数。", f"Please enter a number of at least {lo}.")
    return Text(f"请输入不大于{hi}的数。", f"Please enter a number of at most {hi}.")


def range_note(minimum: float | None, maximum: float | None) -> Text | None:
    """The allowed range as printed beside a number box, e.g. "18–100"."""
    if minimum is None and maximum is None:
        return None
    lo, hi = _num(minimum), _num(maximum)
    if lo is not None and hi is not None:
        return Text(f"{lo}–{hi}", f"{lo}–{hi}")
    return Text(f"≥{lo}", f"≥ {lo}") if lo is not None else Text(f"≤{hi}", f"≤ {hi}")


def ask_if_note(question_number: str, codes: tuple[int, ...]) -> Text:
    """Routing for paper: whom a question is for."""
    listed_zh = "或".join(str(c) for c in codes)
    listed_en = " or ".join(str(c) for c in codes)
    return Text(f"（仅当第{question_number}题选{listed_zh}时回答）",
                f"(Answer only if the answer to question {question_number} is {listed_en}.)")


def _num(x: float | None) -> str | None:
    if x is None:
        return None
    return str(int(x)) if float(x).is_integer() else repr(float(x))
