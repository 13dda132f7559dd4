"""A report figure: its number, title and note, and the drawing as SVG (HTML) and PNG (DOCX)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

PNG_DPI = 200


@dataclass
class Figure:
    """A numbered figure of the report.

    ``svg`` is the drawing with its text as outlines (it shows the same glyphs on any machine);
    ``png`` the same at 200 dpi for Word.
    """

    key: str
    title: str
    svg: str
    png: bytes
    width_in: float
    note: str = ""
    number: int = 0
    lang: str = "en"

    def label(self) -> str:
        from govstats.reporting.words import word

        head = word("figure", self.lang)
        return f"{head} {self.number}" if self.number else head

    def to_html(self) -> str:
        import html

        from govstats.reporting.words import word

        note = (f'<p class="apa-note"><i>{html.escape(word("note", self.lang).strip())}</i> '
                f"{html.escape(self.note)}</p>") if self.note else ""
        return (f'<figure class="apa-figure" id="figure-{html.escape(self.key)}">'
                f'<p class="apa-title"><b>{html.escape(self.label())}</b><i>{html.escape(self.title)}</i></p>'
                f'<div class="svg">{self.svg}</div>{note}</figure>')

    def _repr_html_(self) -> str:
        return self.to_html()


def render(fig, key: str, title: str, note: str = "", lang: str = "en") -> Figure:
    """SVG and PNG of a matplotlib figure, with the report's font settings."""
    from matplotlib import rc_context

    from govstats.reporting.fonts import figure_rc

    with rc_context(figure_rc()):
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=PNG_DPI)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]  # inline: no XML declaration or DOCTYPE
    # the drawing scales with the page: width 100% up to its natural size
    width = re.search(r'width="([\d.]+)pt"', svg)
    width_in = float(width.group(1)) / 72 if width else fig.get_figwidth()
    svg = re.sub(r'<svg ([^>]*?)width="[\d.]+pt" height="[\d.]+pt"',
                 lambda m: f'<svg {m.group(1)}style="width: 100%; max-width: {width_in:.2f}in; height: auto"', svg,
                 count=1)
    return Figure(key=key, title=title, svg=svg, png=png.getvalue(), width_in=width_in, note=note, lang=lang)
