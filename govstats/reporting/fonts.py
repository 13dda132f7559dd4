"""A font that has the Chinese glyphs, for matplotlib figures.

matplotlib's default DejaVu Sans has no CJK glyphs: Chinese labels come out as empty boxes
(tofu) with only a warning. The figures list CJK families after DejaVu Sans, and matplotlib
(3.6+) falls back glyph by glyph, so Latin text keeps DejaVu and Chinese takes the first CJK
family installed. Its font cache is built once; a CJK font installed later is found by its
usual file names and added.
"""

from __future__ import annotations

import functools
from pathlib import Path

# Debian/Ubuntu fonts-noto-cjk, Adobe's Source Han, and what Windows and macOS ship.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "Source Han Sans CN",
                "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB", "Heiti SC",
                "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Noto Sans SC")
FONT_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
              "C:/Windows/Fonts/msyh.ttc", "C:/Windows/Fonts/simhei.ttf",
              "/System/Library/Fonts/PingFang.ttc", "/System/Library/Fonts/STHeiti Light.ttc")


@functools.lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """The first CJK family matplotlib can use, or None when the system has none."""
    from matplotlib import font_manager

    def installed() -> set[str]:
        return {f.name for f in font_manager.fontManager.ttflist}

    names = installed()
    found = next((f for f in CJK_FAMILIES if f in names), None)
    if found is None:
        for path in FONT_FILES:  # installed after matplotlib built its font cache
            if Path(path).is_file():
                font_manager.fontManager.addfont(path)
        names = installed()
        found = next((f for f in CJK_FAMILIES if f in names), None)
    return found


def font_families() -> list[str]:
    """rcParams['font.family'] for the figures: DejaVu Sans for Latin, the CJK family for Chinese."""
    cjk = cjk_family()
    return ["DejaVu Sans"] + ([cjk] if cjk else [])


def font_file(family: str) -> str:
    """The file matplotlib renders ``family`` from."""
    from matplotlib import font_manager

    return font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)


def missing_glyphs(text: str, family: str) -> set[str]:
    """Characters of ``text`` that the font file of ``family`` has no glyph for."""
    from matplotlib.ft2font import FT2Font

    charmap = FT2Font(font_file(family)).get_charmap()
    return {ch for ch in set(text) if not ch.isspace() and ord(ch) not in charmap}


def figure_rc() -> dict:
    """matplotlib settings of every report figure: fonts with CJK glyphs, text drawn as paths in
    SVG (the file shows the same glyphs on a machine without the font), a minus sign every
    font has."""
    return {"font.family": font_families(), "svg.fonttype": "path", "axes.unicode_minus": False,
            "font.size": 9, "figure.dpi": 100}
