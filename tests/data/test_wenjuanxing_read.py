"""Hand-made Wenjuanxing exports in the published layouts, GBK and UTF-8.

The layouts are those of real exports (e.g. the pair shipped with gasongjian/reportgen,
``[问卷星数据]800_800_0.xls`` by text and ``..._2.xls`` by number): metadata in varying order
(来自IP before 来源 in some versions), headers with trailing spaces and type tags, question
numbers that skip, a matrix whose first column carries the stem, multi-select answers joined by
┋ in the text export and split into 0/1 columns 第N题(选项) in the number export, skips as
(跳过) and -3, "other" with its text in 〖〗.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from govstats import check_responses, load_instrument
from govstats.data import read_responses
from govstats.data.wenjuanxing import duration_seconds, is_export, strip_type_tag, text_key
from govstats.errors import ResponsesError
from govstats.resources import seed_instrument_path

STEM = "请根据您的实际看法，选择您对下列每种说法的同意程度。"
META = ["序号", "提交答卷时间", "所用时间", "来自IP", "来源", "来源详情"]
TEXT_HEADER = META + [
    "1、您好！我们正在开展一项关于社区资源整合与社区服务的学术调查，想了解您对所在社区的看法，大约需要15分钟。问卷不记录您的"
    "姓名，回答完全匿名，只用于学术研究。是否参加完全自愿，您可以随时停止作答。请问您是否同意参加本次调查？",
    "5、您在本社区的身份是? ",                                   # half-width ?, trailing space
    f"9、{STEM}—我们社区可供居民使用的活动场地比较充足。",        # matrix: stem and first row
    "我们社区里有不少有专长的居民，比如医生、律师、退休教师。",     # its next row: the row's text only
    "16、您所在的社区主要通过哪些方式把各种资源整合起来？（可多选）(多选题 *必答)",
    "18、您的年龄（周岁）是？",
]
TEXT_ROWS = [
    ["1", "2016/12/17 14:22:55", "136秒", "183.192.16.69(上海-上海)", "手机提交", "微信",
     "同意", "社区居委会/党组织工作人员", "4分", "比较同意", "盘活社区里已有的资源┋其他【请注明】〖居民自发捐赠〗", "45"],
    ["2", "2016/12/17 15:01:02", "2分3秒", "183.192.16.69(上海-上海)", "链接", "直接访问",
     "同意", "社区居民", "非常同意", "（跳过）", "(跳过)", "(跳过)"],
    ["3", "2016/12/18 09:00:00", "1:23", "61.129.7.3(北京-北京)", "手机提交", "微信",
     "同意", "网格员", "1分", "一般", "通过平台链接社区外部的资源┋通过建立规章制度来整合资源", "52"],
]
NUMBER_HEADER = META + TEXT_HEADER[6:10] + [
    "第16题(盘活社区里已有的资源)", "第16题(通过平台链接社区外部的资源)", "第16题(通过建立规章制度来整合资源)",
    "第16题(其他【请注明】)", TEXT_HEADER[-1]]
NUMBER_ROWS = [
    TEXT_ROWS[0][:6] + ["1", "2", "4", "4", "1", "0", "0", "1", "45"],
    TEXT_ROWS[1][:6] + ["1", "1", "5", "-3", "-3", "-3", "-3", "-3", "(跳过)"],
    TEXT_ROWS[2][:6] + ["1", "3", "1", "3", "0", "1", "1", "0", "52"],
]


@pytest.fixture(scope="module")
def inst():
    return load_instrument(seed_instrument_path("ri_element"))


def write_csv(path, header, rows, encoding):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([header] + rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_hand_made_exports_in_both_layouts_read_alike(tmp_path, inst, encoding):
    text = read_responses(write_csv(tmp_path / "t.csv", TEXT_HEADER, TEXT_ROWS, encoding), inst)
    number = read_responses(write_csv(tmp_path / "n.csv", NUMBER_HEADER, NUMBER_ROWS, encoding), inst)
    assert text.attrs["govstats_read"]["export"] == "text" and number.attrs["govstats_read"]["export"] == "number"
    # the number export does not carry the "other" text: everything else is the same
    assert text["integration_mode_other"].tolist()[0] == "居民自发捐赠"
    pd.testing.assert_frame_equal(text.drop(columns="integration_mode_other"), number)
    assert text.index.tolist() == [2, 3, 4]
    assert text["respondent_id"].tolist() == ["1", "2", "3"]
    assert text["role"].tolist() == [2, 1, 3]
    assert text["RC1"].tolist() == [4, 5, 1] and text["RC2"].tolist()[0] == 4 and pd.isna(text["RC2"].iloc[1])
    assert text["integration_mode"].tolist()[0] == "1 4" and text["integration_mode"].tolist()[2] == "2 3"
    assert pd.isna(text["integration_mode"].iloc[1]) and pd.isna(text["age"].iloc[1])
    assert text["_duration_s"].tolist() == [136.0, 123.0, 83.0]
    assert text["end_time"].iloc[0] == pd.Timestamp("2016-12-17 14:22:55")
    assert text["start_time"].iloc[0] == pd.Timestamp("2016-12-17 14:20:39")
    assert text["_ip"].tolist()[0] == "183.192.16.69" and text["_ip_place"].tolist()[0] == "上海-上海"
    assert text.attrs["govstats_read"]["skipped"]["RC2"] == {"skipped (跳过)": 1}
    assert number.attrs["govstats_read"]["skipped"]["integration_mode"] == {"skipped (-3)": 1}


def test_the_check_reports_a_hand_made_export(tmp_path, inst):
    report = check_responses(inst, read_responses(write_csv(tmp_path / "t.csv", TEXT_HEADER, TEXT_ROWS, "gbk"), inst))
    p = report.problems
    assert set(p.loc[p.rule == "duplicate-ip", "row"]) == {2, 3}
    assert "a Wenjuanxing export by option text (选项文本)" in report.text()
    # a resident (role 1) was not asked the integration question: its skip is no problem
    assert not ((p.rule == "required-missing") & (p.column == "integration_mode")).any()
    assert ((p.rule == "required-missing") & (p.row == 3) & (p.column == "RC2")).any()
    assert set(p.loc[p.rule == "missing-column", "column"]) >= {"RC3", "SQ5", "gender"}


def test_similar_wording_is_matched_reported_and_can_be_overridden(tmp_path, inst):
    header = list(TEXT_HEADER)
    header[9] = "我们社区里有很多有专长的居民，比如医生、律师或退休教师。"   # reworded on the platform
    path = write_csv(tmp_path / "t.csv", header, TEXT_ROWS, "gbk")
    read = read_responses(path, inst)
    similar = read.attrs["govstats_read"]["similar"]
    assert [(s["column"], s["target"]) for s in similar] == [(header[9], "RC2")] and similar[0]["score"] >= 0.8
    assert "matched by similar wording" in check_responses(inst, read).text()
    mapping = tmp_path / "map.yaml"
    mapping.write_text(f"'{header[9]}': RC3\n", encoding="utf-8")
    assert read_responses(path, inst, mapping=mapping)["RC3"].tolist()[0] == 4
    mapping = tmp_path / "map.csv"
    mapping.write_text(f"header,column\n{header[9]},\n", encoding="gbk")   # an empty id: keep it unmapped
    kept = read_responses(path, inst, mapping=mapping)
    assert header[9] in kept.attrs["govstats_read"]["unmapped"] and "RC2" not in kept.columns
    assert kept[header[9]].tolist()[0] == "比较同意"


def test_unmapped_columns_are_kept_and_reported(tmp_path, inst):
    header = TEXT_HEADER + ["20、您对社区还有什么建议？"]
    rows = [r + ["多办活动"] for r in TEXT_ROWS]
    read = read_responses(write_csv(tmp_path / "t.csv", header, rows, "utf-8"), inst)
    assert read["20、您对社区还有什么建议？"].tolist()[0] == "多办活动"
    report = check_responses(inst, read)
    assert ((report.problems.rule == "unexpected-column") & (report.problems.column == header[-1])).any()


def test_source_is_forced_or_recognized(tmp_path, inst):
    header = [h for h in TEXT_HEADER if h not in META]     # no metadata: recognized only when told
    rows = [r[6:] for r in TEXT_ROWS]
    path = write_csv(tmp_path / "t.csv", header, rows, "gbk")
    assert "export" not in read_responses(path, inst).attrs["govstats_read"]
    assert read_responses(path, inst, source="wenjuanxing")["role"].tolist() == [2, 1, 3]
    with pytest.raises(ValueError, match="'source' parameter"):
        read_responses(path, inst, source="wjx")
    with pytest.raises(ValueError, match="'mapping' parameter"):
        read_responses(path, inst, mapping=3)


def test_header_only_is_an_error(tmp_path, inst):
    with pytest.raises(ResponsesError, match="no data rows"):
        read_responses(write_csv(tmp_path / "t.csv", TEXT_HEADER, [], "gbk"), inst)


@pytest.mark.parametrize(("text", "seconds"), [("136秒", 136), ("2分3秒", 123), ("1:23", 83), ("1:02:03", 3723),
                                               ("1小时2分", 3720), ("136", 136), ("很久", None), (None, None)])
def test_durations(text, seconds):
    assert duration_seconds(text) == seconds


def test_header_helpers():
    assert strip_type_tag("6、兴趣爱好(多选题 *必答)") == "6、兴趣爱好"
    assert strip_type_tag("您所在的社区？（可多选）") == "您所在的社区？（可多选）"   # wording, not a tag
    assert text_key("社区， 有场地。 ") == text_key("社区有场地") == "社区有场地"
    assert is_export(["序号", "提交答卷时间", "1、x"]) and not is_export(["respondent_id", "提交答卷时间"])


def test_an_export_of_another_survey_is_a_clear_error(tmp_path, inst):
    header = META + ["1、手机部数", "2、手机价格"]
    rows = [["1", "2016/12/17 14:22:55", "136秒", "183.192.16.69(上海-上海)", "手机提交", "微信", "1部", "3000-3499元"]]
    with pytest.raises(ResponsesError, match="none of its questions matches a question of instrument 'ri_element'"):
        read_responses(write_csv(tmp_path / "t.csv", header, rows, "gbk"), inst)
