"""Responses written as Wenjuanxing (问卷星) would export them: for pilots, teaching and tests.

The survey is the one Wenjuanxing makes from :func:`govstats.forms.wenjuanxing_text`; the
layout is that of its exports (see :mod:`govstats.data.wenjuanxing`): metadata columns
序号, 提交答卷时间, 所用时间, 来源, 来源详情, 来自IP, then one column per question
(``N、题干``), a matrix's first row as ``N、题干—子题`` and its other rows by their text,
and either option labels (``by="text"``: multi-select joined by ``┋``, a skip as
``(跳过)``) or option numbers (``by="number"``: skips ``-3``, multi-select as 0/1 columns
``第N题(选项)``). :func:`govstats.read_responses` reads both back into the same data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from govstats.data import wenjuanxing as wjx

BY = ("text", "number")
SKIPPED_TEXT = "(跳过)"
EMPTY_TEXT = "(空)"
SKIPPED_NUMBER = -3


def _blank(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))


def _code(v):
    return int(v) if not isinstance(v, str) else int(float(v))


def wenjuanxing_export(responses: pd.DataFrame, instrument, by: str = "text") -> pd.DataFrame:
    """The export table Wenjuanxing gives for these responses (headers as Wenjuanxing writes them).

    Parameters
    ----------
    responses : DataFrame
        Codes in the instrument's columns (as :func:`govstats.simulate` or
        :func:`govstats.read_responses` give them) and the start and end times. Optional
        columns ``_ip``, ``_ip_place``, ``_source``, ``_source_detail`` give the metadata
        (by default a distinct private address per row, 手机提交, 微信).
    instrument : Instrument
    by : {"text", "number"}
        按选项文本 or 按选项序号.

    Examples
    --------
    >>> from govstats import load_instrument, simulate
    >>> from govstats.resources import seed_instrument_path
    >>> inst = load_instrument(seed_instrument_path("ri_asset"))
    >>> df = simulate(inst, 3, seed=1).responses
    >>> table = wenjuanxing_export(df, inst, by="number")
    >>> list(table.columns[:6])
    ['序号', '提交答卷时间', '所用时间', '来源', '来源详情', '来自IP']
    >>> table.columns[6][:12], table.columns[12][:12], table.columns[13]
    ('1、您好！我们正在开展一', '7、请根据您的实际看法，', '社区能通过微信群或网上平台及时发布各类信息。')
    >>> [str(v) for v in table.iloc[0, [1, 2, 6, 12, 13]]]
    ['2026/05/27 10:58:30', '818秒', '1', '3', '3']
    """
    if by not in BY:
        raise ValueError(f"The 'by' parameter of wenjuanxing_export must be one of {set(BY)}. Got {by!r} instead.")
    from govstats.forms.wenjuanxing import MATRIX, MULTIPLE, wenjuanxing_questions

    meta = instrument.metadata
    n = len(responses)
    rows = responses.reset_index(drop=True)
    end = pd.to_datetime(rows[meta.end])
    if getattr(end.dt, "tz", None) is not None:
        end = end.dt.tz_localize(None)
    start = pd.to_datetime(rows[meta.start])
    if getattr(start.dt, "tz", None) is not None:
        start = start.dt.tz_localize(None)
    seconds = (end - start).dt.total_seconds()

    def column(name, default):
        return rows[name].tolist() if name in rows.columns else [default(k) for k in range(n)]

    ips = column(wjx.IP_COLUMN, lambda k: f"10.{k // 65536 % 256}.{k // 256 % 256}.{k % 256}")
    places = column(wjx.IP_PLACE_COLUMN, lambda k: "未知")
    out: dict[str, list] = {
        wjx.SERIAL: [_serial(v) for v in rows[meta.respondent_id].tolist()],
        wjx.SUBMITTED: [t.strftime("%Y/%m/%d %H:%M:%S") for t in end],
        wjx.DURATION: [f"{int(round(s))}秒" for s in seconds],
        wjx.SOURCE: column("_source", lambda k: "手机提交"),
        wjx.SOURCE_DETAIL: column("_source_detail", lambda k: "微信"),
        wjx.IP: [f"{ip}({place})" for ip, place in zip(ips, places)],
    }
    for q in wenjuanxing_questions(instrument):
        if q.kind == MATRIX:
            for j, (name, text) in enumerate(q.rows):
                header = f"{q.number}、{q.title}—{text}" if j == 0 else text
                out[header] = _choice_cells(rows[name], q.options, by)
        elif q.kind == MULTIPLE and by == "number":
            answers = rows[q.column].tolist()
            for o in q.options:
                out[f"第{q.number}题({o.label.zh})"] = [
                    SKIPPED_NUMBER if _blank(v) else int(str(o.code) in str(v).split()) for v in answers]
        elif q.kind == MULTIPLE:
            labels = {str(o.code): o.label.zh for o in q.options}
            out[f"{q.number}、{q.title}"] = [
                SKIPPED_TEXT if _blank(v) else EMPTY_TEXT if not str(v).split()
                else wjx.MULTI_SEPARATOR.join(labels.get(c, c) for c in str(v).split()) for v in rows[q.column]]
        elif q.options:
            out[f"{q.number}、{q.title}"] = _choice_cells(rows[q.column], q.options, by)
        else:
            out[f"{q.number}、{q.title}"] = [SKIPPED_TEXT if _blank(v) else _fill(v) for v in rows[q.column]]
    return pd.DataFrame(out)


def _serial(v):
    return int(v) if isinstance(v, (int, np.integer)) or (isinstance(v, str) and v.isdigit()) else v


def _fill(v) -> str:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _choice_cells(values: pd.Series, options, by: str) -> list:
    position = {o.code: k + 1 for k, o in enumerate(options)}
    label = {o.code: o.label.zh for o in options}
    cells = []
    for v in values.tolist():
        if _blank(v):
            cells.append(SKIPPED_NUMBER if by == "number" else SKIPPED_TEXT)
            continue
        code = _code(v)
        if code not in position:  # not an option of the question: written as it is
            cells.append(str(v))
        else:
            cells.append(position[code] if by == "number" else label[code])
    return cells


def write_wenjuanxing_export(responses: pd.DataFrame, instrument, path, by: str = "text",
                             encoding: str = "gb18030") -> Path:
    """Write :func:`wenjuanxing_export` to ``path``: ``.xlsx``, ``.xls`` (needs xlwt) or CSV in ``encoding``.

    Wenjuanxing's CSV downloads are GBK/GB18030, the default here.
    """
    path = Path(path)
    table = wenjuanxing_export(responses, instrument, by=by)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "Sheet1"
        ws.append(list(table.columns))
        for record in table.itertuples(index=False):
            ws.append([_excel(v) for v in record])
        wb.save(path)
    elif suffix == ".xls":
        try:
            import xlwt
        except ImportError:
            raise ImportError("Writing a legacy .xls file needs xlwt: pip install 'govstats[xls]' "
                              "(or write .xlsx or .csv, which need nothing more)") from None

        book = xlwt.Workbook(encoding="utf-8")
        sheet = book.add_sheet("Sheet1")
        for j, h in enumerate(table.columns):
            sheet.write(0, j, h)
        for i, record in enumerate(table.itertuples(index=False), start=1):
            for j, v in enumerate(record):
                sheet.write(i, j, _excel(v))
        book.save(str(path))
    else:
        table.to_csv(path, index=False, encoding=encoding, lineterminator="\r\n")
    return path


def _excel(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    return v
