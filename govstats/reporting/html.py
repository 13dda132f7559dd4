"""The report as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched."""

from __future__ import annotations

import html

from govstats.reporting.tables import THREE_LINE_CSS
from govstats.reporting.words import word

PAGE_CSS = """
body { font-family: "Times New Roman", "Noto Serif CJK SC", "Songti SC", SimSun, serif; margin: 2em auto;
       max-width: 62em; padding: 0 1.5em; line-height: 1.5; color: #111; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
p.subtitle { color: #555; margin-top: 0; }
p.paragraph { text-align: justify; }
nav ol { columns: 2; }
figure.apa-figure { margin: 1em 0; }
figure.apa-figure div.svg { overflow-x: auto; }
"""


def report_body(report) -> str:
    """The page's content (also the notebook view): title, contents, paragraph, sections."""
    lang = report.lang
    toc = "".join(f'<li><a href="#section-{s.key}">{html.escape(s.title)}</a></li>' for s in report.sections)
    parts = [f"<h1>{html.escape(report.title)}</h1>",
             f'<p class="subtitle">{html.escape(report.subtitle)}</p>',
             f"<nav><b>{html.escape(word('contents', lang))}</b><ol>{toc}</ol></nav>",
             f'<h2 id="section-summary">{html.escape(word("s_summary", lang))}</h2>',
             f'<p class="paragraph">{html.escape(report.paragraph)}</p>']
    for s in report.sections:
        parts.append(f'<h2 id="section-{s.key}">{html.escape(s.title)}</h2>')
        if s.text:
            parts.append(f"<p>{html.escape(s.text)}</p>")
        parts.extend(b.to_html() for b in s.blocks)
    return "\n".join(parts)


def report_html(report) -> str:
    lang = "zh-CN" if report.lang == "zh" else "en"
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(report.title)}</title>\n<style>{PAGE_CSS}{THREE_LINE_CSS}</style>\n</head>\n"
            f"<body>\n{report_body(report)}\n</body>\n</html>\n")
