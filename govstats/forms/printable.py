"""Printable questionnaire: a paper form in HTML, and as PDF through WeasyPrint.

The paper form asks what the XLSForm asks, in the same order (see :mod:`layout`): consent,
the questions placed at the start, one grid per construct, the questions placed at the
end. Answer codes and column names are printed small beside the boxes, so that data
entry needs nothing else. Grids never split across pages.
"""

from __future__ import annotations

import html
from pathlib import Path

from govstats.errors import GovstatsError
from govstats.forms import wording
from govstats.forms.layout import Section, sections
from govstats.forms.variables import Variable
from govstats.instrument import Instrument
from govstats.instrument.model import Text

LANG_CHOICES = ("zh", "en", "both")
FORMATS = ("html", "pdf")
# Fonts that have the Chinese glyphs, in order of preference (Debian's fonts-noto-cjk first).
CJK_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "Source Han Sans CN",
             "Noto Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei",
             "WenQuanYi Zen Hei", "Droid Sans Fallback")
CJK_FONT_HELP = (
    "install a font with Chinese glyphs, e.g. on Debian or Ubuntu `apt-get install fonts-noto-cjk` "
    "(other systems: install Noto Sans CJK SC)"
)

CSS = """
@page { size: A4; margin: 15mm 14mm 17mm 14mm;
  @bottom-center { content: "%(footer)s · " counter(page) " / " counter(pages);
                   font-size: 7.5pt; color: #555; font-family: %(fonts)s; } }
body { font-family: %(fonts)s; font-size: 10pt; line-height: 1.35; color: #000; }
h1 { font-size: 15pt; margin: 0 0 1mm 0; text-align: center; }
h1 .en, .head .en { font-weight: normal; }
.subtitle { text-align: center; font-size: 11pt; margin: 0 0 3mm 0; }
.meta { display: flex; justify-content: space-between; font-size: 8.5pt; margin-bottom: 3mm; }
.idbox { border: 1px solid #000; padding: 1mm 2mm; }
.idbox .blank { display: inline-block; width: 30mm; border-bottom: 1px solid #000; }
.instructions { border: 1px solid #888; padding: 2mm 3mm; margin-bottom: 4mm; font-size: 9pt; }
.q { margin: 0 0 3.5mm 0; break-inside: avoid; }
.q .stem { display: flex; gap: 2mm; }
.num { font-weight: bold; min-width: 7mm; }
.text { flex: 1; }
.both .text.zh { padding-right: 3mm; }
.var { font-size: 6.5pt; color: #555; font-family: monospace; }
.code { font-size: 6.5pt; color: #555; vertical-align: sub; margin-left: 0.4mm; }
.box { display: inline-block; width: 3.2mm; height: 3.2mm; border: 0.9px solid #000;
       vertical-align: -0.5mm; margin-right: 1mm; }
.options { margin: 1mm 0 0 9mm; }
.opt { display: inline-block; margin: 0.6mm 5mm 0.6mm 0; }
.line { display: inline-block; width: 45mm; border-bottom: 1px solid #000; height: 4mm; }
.note { font-size: 8.5pt; color: #333; }
.grid { break-inside: avoid; page-break-inside: avoid; margin: 0 0 4mm 0; }
.grid .instruction { font-weight: bold; margin: 0 0 1.5mm 0; font-size: 9.5pt; }
table.likert { width: 100%%; table-layout: fixed; border-collapse: collapse; break-inside: avoid;
               page-break-inside: avoid; }
table.likert col.num { width: 9mm; }
table.likert col.pt { width: 14.5mm; }
table.likert th, table.likert td { border: 0.6px solid #777; padding: 1mm 1.2mm; vertical-align: middle; }
table.likert th { font-size: 7pt; line-height: 1.2; font-weight: normal; text-align: center;
                  background: #f0f0f0; padding: 0.8mm 0.5mm; }
table.likert td.pt { text-align: center; white-space: nowrap; }
table.likert td.num { text-align: right; }
table.likert tr { break-inside: avoid; }
.end { text-align: center; margin-top: 6mm; font-weight: bold; }
"""


def _lang_list(lang: str) -> tuple[str, ...]:
    return ("zh", "en") if lang == "both" else (lang,)


def _text(text: Text, lang: str, tag: str = "span") -> str:
    return "".join(f'<{tag} class="text {l}" lang="{l}">{html.escape(text.get(l))}</{tag}>' for l in _lang_list(lang))


def _inline(text: Text, lang: str) -> str:
    return " / ".join(html.escape(text.get(l)) for l in _lang_list(lang))


def _box(code: int | None = None) -> str:
    code_html = f'<span class="code">{code}</span>' if code is not None else ""
    return f'<span class="box"></span>{code_html}'


def _options(v: Variable, lang: str) -> str:
    opts = [f'<span class="opt">{_box()}{_inline(c.label, lang)}<span class="code">{c.code}</span></span>'
            for c in v.choices + v.missing]
    return f'<div class="options">{"".join(opts)}</div>'


def _answer(v: Variable, lang: str) -> str:
    if v.is_choice:
        return _options(v, lang)
    if v.type == "date":
        blank = "____年____月____日" if lang != "en" else "____-____-____ (year-month-day)"
        return f'<div class="options">{blank}</div>'
    note = wording.range_note(v.minimum, v.maximum)
    extra = f' <span class="note">({_inline(note, lang)})</span>' if note else ""
    return f'<div class="options"><span class="line"></span>{extra}</div>'


def _question(v: Variable, number: str, lang: str, numbers: dict[str, str]) -> str:
    route = ""
    if v.ask_if is not None:
        note = wording.ask_if_note(numbers.get(v.ask_if.question, v.ask_if.question), v.ask_if.codes)
        route = f'<div class="note">{_inline(note, lang)}</div>'
    return (f'<div class="q" data-var="{v.name}"><div class="stem"><span class="num">{number}</span>'
            f'{_text(v.label, lang, "div")}<span class="var">{v.name}</span></div>{route}'
            f"{_answer(v, lang)}</div>")


def _grid(section: Section, lang: str, numbers: dict[str, str]) -> str:
    first = section.variables[0]
    instruction = wording.GRID_INSTRUCTION[first.scale_type or "likert"]
    points = first.choices + first.missing
    text_cols = len(_lang_list(lang))
    head = "".join(f"<th>{'<br>'.join(html.escape(c.label.get(l)) for l in _lang_list(lang))}"
                   f'<br><span class="code">{c.code}</span></th>' for c in points)
    rows = []
    for v in section.variables:
        texts = "".join(f'<td class="text {l}" lang="{l}">{html.escape(v.label.get(l))}</td>' for l in _lang_list(lang))
        boxes = "".join(f'<td class="pt">{_box(c.code)}</td>' for c in points)
        rows.append(f'<tr class="item" data-var="{v.name}"><td class="num">{numbers[v.name]}'
                    f'<br><span class="var">{v.name}</span></td>{texts}{boxes}</tr>')
    return (f'<div class="grid" data-construct="{section.construct.id}">'
            f'<p class="instruction">{_inline(instruction, lang)}</p>'
            f'<table class="likert"><colgroup><col class="num">{"<col>" * text_cols}'
            f'{"<col class=pt>" * len(points)}</colgroup><thead><tr><th></th><th colspan="{text_cols}"></th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def questionnaire_html(instrument: Instrument, lang: str = "both") -> str:
    """The paper questionnaire as a standalone HTML page.

    Parameters
    ----------
    instrument : Instrument
    lang : {"zh", "en", "both"}, default "both"
        Language of the form; ``"both"`` puts Chinese and English side by side.

    Returns
    -------
    str
        HTML (UTF-8) with print CSS: A4 pages, grids kept on one page. Every question and
        item is one element with a ``data-var`` attribute naming its column.

    Examples
    --------
    >>> from govstats import load_instrument
    >>> from govstats.resources import seed_instrument_path
    >>> page = questionnaire_html(load_instrument(seed_instrument_path("ri_asset")), lang="zh")
    >>> page.count('data-var="IC1"'), "社区有足够的场地开展各类活动。" in page
    (1, True)
    """
    if lang not in LANG_CHOICES:
        raise ValueError(f"The 'lang' parameter of questionnaire_html must be one of {set(LANG_CHOICES)}. "
                         f"Got {lang!r} instead.")
    secs = sections(instrument)
    numbers: dict[str, str] = {}
    k = 0
    for s in secs:
        for v in s.variables:
            k += 1
            numbers[v.name] = str(k)
    parts = []
    for s in secs:
        if s.kind == "grid":
            parts.append(_grid(s, lang, numbers))
        else:
            v = s.variables[0]
            parts.append(_question(v, numbers[v.name], lang, numbers))
            if s.kind == "consent":
                parts.append(f'<p class="note">{_inline(wording.CONSENT_NO_NOTE, lang)}</p>')
    title = instrument.title
    langs = _lang_list(lang)
    main_title = html.escape(title.get(langs[0]))
    subtitle = f'<p class="subtitle">{html.escape(title.en)}</p>' if lang == "both" else ""
    footer = f"{instrument.id} {instrument.version}".replace('"', "")
    css = CSS % {"footer": footer, "fonts": ", ".join(f'"{f}"' for f in CJK_FONTS) + ", sans-serif"}
    idbox = (f'<span class="idbox">{_inline(wording.RESPONDENT_ID_PAPER, lang)}: <span class="blank"></span>'
             f' <span class="var">{instrument.metadata.respondent_id}</span></span>')
    return (
        f'<!DOCTYPE html>\n<html lang="{langs[0]}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(_inline(title, lang))}</title>\n<style>{css}</style>\n</head>\n"
        f'<body class="{"both" if lang == "both" else lang}">\n<h1>{main_title}</h1>\n{subtitle}\n'
        f'<div class="meta"><span>{html.escape(instrument.id)} · {html.escape(instrument.version)}</span>'
        f"{idbox}</div>\n"
        f'<div class="instructions">{_text(wording.PAPER_INSTRUCTIONS, lang, "p")}</div>\n'
        + "\n".join(parts)
        + f'\n<p class="end">{_inline(wording.END_NOTE, lang)}</p>\n</body>\n</html>\n'
    )


def _weasyprint():
    try:
        import weasyprint
    except ImportError as exc:
        raise GovstatsError(
            "PDF output needs WeasyPrint, which is not installed: pip install 'govstats[pdf]' "
            "(or write HTML with --format html and print it from a browser)."
        ) from exc
    except OSError as exc:  # WeasyPrint is there but cannot load Pango
        raise GovstatsError(
            f"WeasyPrint cannot load its system libraries ({exc}). On Debian or Ubuntu: "
            "apt-get install libpango-1.0-0 libpangoft2-1.0-0; see "
            "https://doc.courtbouillon.org/weasyprint/stable/first_steps.html"
        ) from exc
    return weasyprint


def cjk_font() -> str | None:
    """The first font of :data:`CJK_FONTS` that fontconfig has, or None when none is installed.

    Uses the fontconfig that WeasyPrint loads. Returns ``""`` when that cannot be asked
    (a WeasyPrint without the interface), so that a PDF is still attempted.
    """
    _weasyprint()
    try:
        from weasyprint.text.ffi import ffi, fontconfig

        config = fontconfig.FcInitLoadConfigAndFonts()
        try:
            for family in CJK_FONTS:
                pattern = fontconfig.FcPatternCreate()
                fontconfig.FcPatternAddString(pattern, b"family", family.encode())
                fontconfig.FcConfigSubstitute(config, pattern, fontconfig.FcMatchPattern)
                fontconfig.FcDefaultSubstitute(pattern)
                result = ffi.new("FcResult *")
                match = fontconfig.FcFontMatch(config, pattern, result)
                fontconfig.FcPatternDestroy(pattern)
                if match == ffi.NULL:
                    continue
                name = ffi.new("FcChar8 **")
                found = fontconfig.FcPatternGetString(match, b"family", 0, name) == fontconfig.FcResultMatch
                matched = ffi.string(name[0]).decode("utf-8", "replace") if found else ""
                fontconfig.FcPatternDestroy(match)
                if matched == family:
                    return family
        finally:
            fontconfig.FcConfigDestroy(config)
    except (ImportError, AttributeError, TypeError):
        return ""
    return None


def questionnaire_pdf(instrument: Instrument, lang: str = "both") -> bytes:
    """The paper questionnaire as PDF bytes (A4), rendered by WeasyPrint with a CJK font.

    Raises
    ------
    GovstatsError
        When WeasyPrint (the ``pdf`` extra) or a font with Chinese glyphs is missing;
        without such a font the Chinese text would come out as empty boxes.
    """
    html_text = questionnaire_html(instrument, lang=lang)
    weasyprint = _weasyprint()
    if lang != "en" and cjk_font() is None:
        raise GovstatsError(f"No font with Chinese glyphs found for the PDF: {CJK_FONT_HELP}.")
    # No dates and no random file identifier: the same instrument gives the same bytes.
    return weasyprint.HTML(string=html_text).write_pdf(pdf_identifier=False, uncompressed_pdf=False)


def write_questionnaire(instrument: Instrument, path: str | Path, format: str = "html",
                        lang: str = "both") -> Path:
    """Write the paper questionnaire as HTML or PDF and return the path.

    Parameters
    ----------
    instrument : Instrument
    path : str or Path
    format : {"html", "pdf"}, default "html"
    lang : {"zh", "en", "both"}, default "both"
    """
    if format not in FORMATS:
        raise ValueError(f"The 'format' parameter of write_questionnaire must be one of {set(FORMATS)}. "
                         f"Got {format!r} instead.")
    path = Path(path)
    if format == "html":
        path.write_text(questionnaire_html(instrument, lang=lang), encoding="utf-8")
    else:
        path.write_bytes(questionnaire_pdf(instrument, lang=lang))
    return path
