"""A report figure: its number, title and note, and the drawing as SVG (HTML) and PNG (DOCX)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

PNG_DPI = 150


@dataclass
class Figure:
    """A numbered figure of the report, drawn when a file needs it.

    ``svg`` is the drawing with its text as outlines (it shows the same glyphs on any machine);
    ``png`` the same at 150 dpi for Word. ``figure`` is the matplotlib Figure.
    """

    key: str
    title: str
    figure: object = field(repr=False)
    note: str = ""
    number: int = 0
    lang: str = "en"
    _files: dict = field(default_factory=dict, repr=False)

    def _draw(self, fmt: str):
        if fmt not in self._files:
            from matplotlib import rc_context

            from govstats.reporting.fonts import figure_rc

            with rc_context(figure_rc()):
                if fmt == "svg":
                    buf = io.StringIO()
                    self.figure.savefig(buf, format="svg")
                    self._files[fmt] = inline_svg(buf.getvalue(), self.width_in)
                else:
                    buf = io.BytesIO()
                    self.figure.savefig(buf, format="png", dpi=PNG_DPI)
                    self._files[fmt] = buf.getvalue()
        return self._files[fmt]

    @property
    def svg(self) -> str:
        return self._draw("svg")

    @property
    def png(self) -> bytes:
        return self._draw("png")

    @property
    def width_in(self) -> float:
        return float(self.figure.get_figwidth())

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


def inline_svg(svg: str, width_in: float) -> str:
    """matplotlib's SVG file as an element for an HTML page: no XML declaration or DOCTYPE, and
    a width that follows the page up to the drawing's natural size."""
    svg = svg[svg.index("<svg"):]
    return re.sub(r'<svg ([^>]*?)width="[\d.]+pt" height="[\d.]+pt"',
                  lambda m: f'<svg {m.group(1)}style="width: 100%; max-width: {width_in:.2f}in; height: auto"', svg,
                  count=1)


def render(fig, key: str, title: str, note: str = "", lang: str = "en") -> Figure:
    """A report figure of a matplotlib figure (drawn to SVG or PNG when first asked)."""
    return Figure(key=key, title=title, figure=fig, note=note, lang=lang)
