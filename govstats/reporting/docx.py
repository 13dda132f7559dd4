"""The report as a Word document: APA three-line tables (三线表), numbered titles above, notes
below, figures as PNG, Chinese set in SimSun / 宋体 and Latin in Times New Roman."""

from __future__ import annotations

import io
from pathlib import Path

from govstats.reporting.words import word

CELL_LEFT, CELL_RIGHT = "APA table cell", "APA table number"
# border widths in eighths of a point: 1.5 pt top and bottom rules, 0.75 pt under the header
THICK, THIN = 12, 6


def _fonts(run_or_style, latin: str = "Times New Roman", east_asian: str = "SimSun") -> None:
    """Latin and East Asian fonts of a run or style (python-docx sets only the Latin one)."""
    from docx.oxml.ns import qn

    run_or_style.font.name = latin
    rpr = run_or_style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)


def _border(cell, **edges) -> None:
    """Set the given borders (top, bottom) of a table cell: ``top=THICK``."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()  # python-docx has no public API for cell borders
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    for edge, size in edges.items():
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(size))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)


def _no_table_borders(table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def add_table(doc, table) -> None:
    """One APA table: number (bold) and title (italic) above, three rules, note below."""
    from docx.shared import Pt

    title = doc.add_paragraph()
    title.paragraph_format.space_before = Pt(12)
    title.paragraph_format.space_after = Pt(0)
    title.paragraph_format.keep_with_next = True
    title.add_run(table.label()).bold = True
    cap = doc.add_paragraph()
    cap.paragraph_format.space_after = Pt(3)
    cap.paragraph_format.keep_with_next = True
    cap.add_run(table.title).italic = True
    header, rows = table.header(), table.rows()
    t = doc.add_table(rows=1, cols=len(header))
    _no_table_borders(t)

    # style ids set on the XML: Paragraph.style = ... searches every style of the document each time
    left, right = doc.styles[CELL_LEFT].style_id, doc.styles[CELL_RIGHT].style_id

    align = [left] + [left if text else right for text in table.text_columns()]

    def fill(cells, texts, **borders):
        # row by row (add_row().cells): python-docx's table.cell(i, j) walks the whole grid each call;
        # the cell look comes from two paragraph styles, not from formatting each cell
        for j, (c, text) in enumerate(zip(cells, texts)):
            par = c.paragraphs[0]
            par._p.style = align[j]
            par.add_run(text)
            if borders:
                _border(c, **borders)

    fill(t.rows[0].cells, header, top=THICK, bottom=THIN)
    for i, row in enumerate(rows, start=1):
        fill(t.add_row().cells, row, **({"bottom": THICK} if i == len(rows) else {}))
    if table.note:
        note = doc.add_paragraph()
        note.paragraph_format.space_before = Pt(3)
        note.add_run(word("note", table.lang)).italic = True
        note.add_run(table.note).font.size = Pt(9)


def add_figure(doc, figure) -> None:
    from docx.shared import Inches, Pt

    title = doc.add_paragraph()
    title.paragraph_format.space_before = Pt(12)
    title.paragraph_format.keep_with_next = True
    title.add_run(figure.label()).bold = True
    cap = doc.add_paragraph()
    cap.paragraph_format.keep_with_next = True
    cap.add_run(figure.title).italic = True
    doc.add_picture(io.BytesIO(figure.png), width=Inches(min(figure.width_in, 6.3)))
    if figure.note:
        note = doc.add_paragraph()
        note.add_run(word("note", figure.lang)).italic = True
        note.add_run(figure.note).font.size = Pt(9)


def write_docx(report, path: Path) -> Path:
    """Write ``report`` as a .docx file at ``path``."""
    from docx import Document
    from docx.shared import Inches, Pt

    doc = Document()
    for section in doc.sections:
        section.left_margin = section.right_margin = Inches(1)
    normal = doc.styles["Normal"]
    _fonts(normal)
    normal.font.size = Pt(10.5)
    for name in ("Title", "Heading 1", "Heading 2"):
        _fonts(doc.styles[name], east_asian="SimHei")
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    for name, align in ((CELL_LEFT, WD_ALIGN_PARAGRAPH.LEFT), (CELL_RIGHT, WD_ALIGN_PARAGRAPH.RIGHT)):
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.font.size = Pt(9)
        style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.space_before = Pt(0)
        style.paragraph_format.alignment = align
    doc.add_heading(report.title, level=0)
    doc.add_paragraph(report.subtitle)
    doc.add_heading(word("s_summary", report.lang), level=1)
    doc.add_paragraph(report.paragraph)
    for s in report.sections:
        doc.add_heading(s.title, level=1)
        if s.text:
            doc.add_paragraph(s.text)
        for b in s.blocks:
            (add_table if hasattr(b, "data") else add_figure)(doc, b)
    doc.core_properties.title = report.title
    doc.save(str(path))
    return path
