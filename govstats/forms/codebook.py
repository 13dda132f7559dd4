"""Codebook of a response file: Markdown or HTML to read, DDI-Codebook 2.5 XML for archives.

For every variable: name, question text in both languages, type, codes and their labels,
construct, reverse flag, missing codes, range and routing.
"""

from __future__ import annotations

import html
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd

from govstats.forms.variables import Variable, variables
from govstats.instrument import Instrument

FORMATS = ("markdown", "html", "ddi")
DDI_NS = "ddi:codebook:2_5"
DDI_SCHEMA_LOCATION = "ddi:codebook:2_5 http://www.ddialliance.org/Specification/DDI-Codebook/2.5/XMLSchema/codebook.xsd"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DATA_FILE_ID = "F1"


def _value_set(v: Variable) -> str:
    """The name of the value-label set a variable's codes come from."""
    return v.scale or v.name


def _codes(choices) -> str:
    return "; ".join(f"{c.code} = {c.label.zh} ({c.label.en})" for c in choices)


def _range(v: Variable) -> str:
    if v.minimum is None and v.maximum is None:
        return ""
    lo = "" if v.minimum is None else f"{v.minimum:g}"
    hi = "" if v.maximum is None else f"{v.maximum:g}"
    return f"{lo}–{hi}"


def codebook(instrument: Instrument) -> pd.DataFrame:
    """One row per column of the response file, describing it.

    Parameters
    ----------
    instrument : Instrument

    Returns
    -------
    DataFrame
        Columns ``variable, kind, type, question_zh, question_en, value_labels, codes,
        missing_codes, range, construct, reverse, required, ask_if``, in form order.
        ``value_labels`` names the set of codes (a scale id, or the question's own id).

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> cb = codebook(load_instrument(seed_instrument_path("ri_asset")))
    >>> ps4 = cb.set_index("variable").loc["PS4"]
    >>> ps4["construct"], bool(ps4["reverse"]), ps4["value_labels"]
    ('PS', True, 'agree5')
    >>> cb.set_index("variable").loc["age", "range"]
    '18–100'
    """
    rows = []
    for v in variables(instrument):
        ask = ""
        if v.ask_if is not None:
            ask = f"{v.ask_if.question} in {{{', '.join(str(c) for c in v.ask_if.codes)}}}"
        rows.append({
            "variable": v.name, "kind": v.kind, "type": v.type,
            "question_zh": v.label.zh, "question_en": v.label.en,
            "value_labels": _value_set(v) if v.choices else "",
            "codes": _codes(v.choices), "missing_codes": _codes(v.missing), "range": _range(v),
            "construct": v.construct or "", "reverse": v.reverse, "required": v.required, "ask_if": ask,
        })
    return pd.DataFrame(rows)


# -- a small document model, rendered as Markdown or HTML ---------------------------------

def _document(instrument: Instrument) -> list[tuple]:
    vs = variables(instrument)
    doc: list[tuple] = [
        ("h1", f"{instrument.title.zh} / {instrument.title.en}: codebook"),
        ("p", f"Instrument `{instrument.id}`, version {instrument.version}. {instrument.provenance.citation}"),
        ("p", f"{instrument.description.zh}"),
        ("p", f"{instrument.description.en}"),
        ("p", f"The response file has one row per respondent and {len(vs)} columns, in the order "
              f"below; the primary key is `{instrument.metadata.respondent_id}`. An empty cell means "
              "not answered or not asked. Codes of multiple-choice questions are separated by spaces."),
        ("h2", "Constructs"),
        ("table", ["construct", "名称", "name", "role", "items", "reverse-coded items"],
         [[c.id, c.name.zh, c.name.en, c.role, ", ".join(c.item_ids),
           ", ".join(i.id for i in c.items if i.reverse)] for c in instrument.constructs]),
        ("h2", "Value labels"),
    ]
    seen: dict[str, Variable] = {}
    for v in vs:
        if v.choices and _value_set(v) not in seen:
            seen[_value_set(v)] = v
    for name, v in seen.items():
        users = [u.name for u in vs if u.choices and _value_set(u) == name]
        doc.append(("h3", f"{name} ({', '.join(users) if len(users) <= 6 else f'{len(users)} variables'})"))
        rows = [[str(c.code), c.label.zh, c.label.en, ""] for c in v.choices]
        rows += [[str(c.code), c.label.zh, c.label.en, "missing"] for c in v.missing]
        doc.append(("table", ["code", "中文", "English", "note"], rows))
    doc.append(("h2", "Variables"))
    rows = []
    for k, v in enumerate(vs, start=1):
        notes = []
        if v.reverse:
            notes.append("reverse-coded")
        if v.kind == "attention_check":
            notes.append(f"attention check, correct answer {v.correct}")
        if v.ask_if is not None:
            notes.append(f"asked if {v.ask_if.question} in {{{', '.join(str(c) for c in v.ask_if.codes)}}}")
        if _range(v):
            notes.append(f"range {_range(v)}")
        if v.missing:
            notes.append("missing codes " + ", ".join(str(c.code) for c in v.missing))
        rows.append([str(k), f"`{v.name}`", v.label.zh, v.label.en, v.type.replace("_", " "),
                     _value_set(v) if v.choices else "", v.construct or "", "; ".join(notes)])
    doc.append(("table", ["#", "variable", "问题", "question", "type", "value labels", "construct", "notes"], rows))
    return doc


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def codebook_markdown(instrument: Instrument) -> str:
    """The codebook as Markdown.

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> md = codebook_markdown(load_instrument(seed_instrument_path("ri_asset")))
    >>> md.splitlines()[0]
    '# 社区治理资源整合调查 / Survey on resource integration in community governance: codebook'
    """
    out: list[str] = []
    for block in _document(instrument):
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            out += ["#" * int(kind[1]) + " " + block[1], ""]
        elif kind == "p":
            out += [block[1], ""]
        else:
            headers, rows = block[1], block[2]
            out.append("| " + " | ".join(headers) + " |")
            out.append("|" + "|".join("---" for _ in headers) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            out.append("")
    return "\n".join(out)


def codebook_html(instrument: Instrument) -> str:
    """The codebook as a standalone HTML page (UTF-8)."""
    esc = html.escape
    body: list[str] = []
    for block in _document(instrument):
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            body.append(f"<{kind}>{esc(block[1])}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{_code_spans(esc(block[1]))}</p>")
        else:
            head = "".join(f"<th>{esc(h)}</th>" for h in block[1])
            rows = "".join("<tr>" + "".join(f"<td>{_code_spans(esc(c))}</td>" for c in row) + "</tr>"
                           for row in block[2])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    title = esc(f"{instrument.title.zh} / {instrument.title.en}: codebook")
    style = ("body{font-family:'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei',sans-serif;"
             "margin:2em;line-height:1.4}table{border-collapse:collapse;margin:.5em 0 1.5em}"
             "th,td{border:1px solid #bbb;padding:.2em .5em;vertical-align:top;text-align:left}"
             "th{background:#eee}code{font-size:.95em}")
    return (f'<!DOCTYPE html>\n<html lang="zh">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
            f"<style>{style}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")


def _code_spans(text: str) -> str:
    parts = text.split("`")
    return "".join(f"<code>{p}</code>" if k % 2 else p for k, p in enumerate(parts))


# -- DDI-Codebook 2.5 ---------------------------------------------------------------------

def _el(parent: ET.Element, tag: str, text: str | None = None, lang: str | None = None, **attrs) -> ET.Element:
    e = ET.SubElement(parent, f"{{{DDI_NS}}}{tag}", {k: v for k, v in attrs.items() if v is not None})
    if lang:
        e.set(XML_LANG, lang)
    if text is not None:
        e.text = text
    return e


def _both(parent: ET.Element, tag: str, text) -> None:
    _el(parent, tag, text.zh, lang="zh")
    _el(parent, tag, text.en, lang="en")


def _nature(v: Variable) -> str:
    if v.type in ("integer", "decimal"):
        return "ratio"
    return "ordinal" if v.ordered else "nominal"


def ddi_codebook(instrument: Instrument) -> str:
    """The codebook as DDI-Codebook 2.5 XML (``codeBook`` in namespace ``ddi:codebook:2_5``).

    Study citation (title in both languages, id, version), one data file, one ``varGrp``
    per construct, and one ``var`` per column with its labels, question text in both
    languages, valid range, categories with labels (missing codes marked
    ``missing="Y"``), construct (``concept``) and notes (reverse coding, routing).

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> xml = ddi_codebook(load_instrument(seed_instrument_path("ri_asset")))
    >>> root = ET.fromstring(xml)
    >>> ns = {"d": "ddi:codebook:2_5"}
    >>> root.get("version"), len(root.findall("d:dataDscr/d:var", ns))
    ('2.5', 56)
    >>> root.find("d:dataDscr/d:var[@name='IC1']/d:qstn/d:qstnLit", ns).text
    '社区有足够的场地开展各类活动。'
    """
    ET.register_namespace("", DDI_NS)
    vs = variables(instrument)
    root = ET.Element(f"{{{DDI_NS}}}codeBook", {
        "version": "2.5", "ID": f"CB_{instrument.id}",
        "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation": DDI_SCHEMA_LOCATION,
    })
    root.set(XML_LANG, "zh")

    doc_cit = _el(_el(root, "docDscr"), "citation")
    doc_titl = _el(doc_cit, "titlStmt")
    _el(doc_titl, "titl", f"{instrument.title.zh}: 编码手册", lang="zh")
    _el(doc_titl, "parTitl", f"{instrument.title.en}: codebook", lang="en")
    _el(_el(doc_cit, "prodStmt"), "software", "govstats")

    study = _el(root, "stdyDscr")
    cit = _el(study, "citation")
    titl = _el(cit, "titlStmt")
    _el(titl, "titl", instrument.title.zh, lang="zh")
    _el(titl, "parTitl", instrument.title.en, lang="en")
    _el(titl, "IDNo", instrument.id)
    _el(_el(cit, "verStmt"), "version", instrument.version)
    _el(cit, "biblCit", instrument.provenance.citation)
    info = _el(study, "stdyInfo")
    _both(info, "abstract", instrument.description)

    fdesc = _el(root, "fileDscr", ID=DATA_FILE_ID)
    ftxt = _el(fdesc, "fileTxt")
    _el(ftxt, "fileName", f"{instrument.id}.csv")
    _el(_el(ftxt, "dimensns"), "varQnty", str(len(vs)))
    _el(ftxt, "fileType", "CSV, UTF-8")

    data = _el(root, "dataDscr")
    for c in instrument.constructs:
        members = [v.name for v in vs if v.kind == "item" and v.construct == c.id]
        grp = _el(data, "varGrp", ID=f"VG_{c.id}", type="grid", name=c.id,
                  var=" ".join(f"V_{m}" for m in members))
        _both(grp, "labl", c.name)
        _both(grp, "txt", c.definition)
        _el(grp, "concept", c.id)
        _el(grp, "notes", f"Role in the structural model: {c.role}.")
    for v in vs:
        numeric = v.type in ("single_choice", "integer", "decimal")
        var = _el(data, "var", ID=f"V_{v.name}", name=v.name, files=DATA_FILE_ID,
                  intrvl="contin" if v.type == "decimal" else "discrete",
                  nature=_nature(v) if numeric else None,
                  representationType="numeric" if numeric else "text")
        _both(var, "labl", v.label)
        if v.kind != "metadata":
            qstn = _el(var, "qstn", responseDomainType={
                "single_choice": "category", "multiple_choice": "multiple", "integer": "numeric",
                "decimal": "numeric", "date": "datetime"}.get(v.type, "text"))
            _both(qstn, "qstnLit", v.label)
        if v.choices and v.type == "single_choice":
            rng = _el(var, "valrng")
            for c in v.choices:
                _el(rng, "item", VALUE=str(c.code))
        elif v.minimum is not None or v.maximum is not None:
            _el(_el(var, "valrng"), "range",
                min=None if v.minimum is None else f"{v.minimum:g}",
                max=None if v.maximum is None else f"{v.maximum:g}")
        if v.missing:
            inval = _el(var, "invalrng")
            for c in v.missing:
                _el(inval, "item", VALUE=str(c.code))
        if v.ask_if is not None:
            codes = ", ".join(str(c) for c in v.ask_if.codes)
            _el(var, "universe", f"Respondents whose answer to {v.ask_if.question} is one of {codes}.",
                lang="en")
        for c in v.choices:
            cat = _el(var, "catgry")
            _el(cat, "catValu", str(c.code))
            _both(cat, "labl", c.label)
        for c in v.missing:
            cat = _el(var, "catgry", missing="Y")
            _el(cat, "catValu", str(c.code))
            _both(cat, "labl", c.label)
        if v.construct and v.kind == "item":
            _el(var, "concept", v.construct)
        _el(var, "varFormat", type="numeric" if numeric else "character", schema="other")
        notes = []
        if v.reverse:
            notes.append("Reverse-coded: worded against its construct; reverse before scoring.")
        if v.kind == "attention_check":
            notes.append(f"Attention check after construct {v.construct}; the instructed answer is {v.correct}.")
        if v.type == "multiple_choice":
            notes.append("Codes of every choice ticked, separated by spaces.")
        if notes:
            _el(var, "notes", " ".join(notes), lang="en")
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_codebook(instrument: Instrument, path: str | Path, format: str = "markdown") -> Path:
    """Write the codebook as Markdown, HTML or DDI-Codebook 2.5 XML (UTF-8) and return the path.

    Parameters
    ----------
    instrument : Instrument
    path : str or Path
    format : {"markdown", "html", "ddi"}, default "markdown"
    """
    if format not in FORMATS:
        raise ValueError(f"The 'format' parameter of write_codebook must be one of {set(FORMATS)}. "
                         f"Got {format!r} instead.")
    render = {"markdown": codebook_markdown, "html": codebook_html, "ddi": ddi_codebook}[format]
    path = Path(path)
    path.write_text(render(instrument), encoding="utf-8")
    return path
