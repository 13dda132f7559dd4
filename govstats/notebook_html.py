"""Execute the notebooks in ``notebooks/`` and render them as HTML pages for reading.

The notebooks are stored without outputs; :func:`execute_notebook` runs one in a fresh
``python3`` kernel (nbclient) from its own folder, as CI does, and :func:`render_notebooks`
writes each, executed, as one self-contained HTML page (nbconvert; figures inline).
Needs the ``notebooks`` extra (``pip install "govstats[notebooks]"``): nbformat, nbclient,
ipykernel, nbconvert.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

KERNEL = "python3"
TIMEOUT = 600  # seconds per cell: the slowest cell takes a few seconds


def notebooks_dir() -> Path:
    """The ``notebooks/`` folder of this checkout of govstats."""
    from govstats.resources import instruments_dir

    return instruments_dir().parent / "notebooks"


def _require():
    try:
        import nbclient  # noqa: F401
        import nbconvert  # noqa: F401
        import nbformat  # noqa: F401
    except ImportError as exc:
        raise ImportError(f"rendering notebooks needs {exc.name}: pip install \"govstats[notebooks]\" "
                          "(nbformat, nbclient, ipykernel, nbconvert)") from None


def execute_notebook(path: str | PathLike, timeout: int = TIMEOUT):
    """Run a notebook in a fresh kernel from its own folder; the notebook with its outputs.

    Raises nbclient's ``CellExecutionError`` (naming the cell and the error) when a cell fails.
    """
    _require()
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name=KERNEL, timeout=timeout,
                   resources={"metadata": {"path": str(path.resolve().parent)}}).execute()
    return nb


def notebook_html(nb) -> str:
    """An (executed) notebook as one HTML page, figures embedded."""
    _require()
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab", embed_images=True).from_notebook_node(nb)
    return body


def render_notebooks(out: str | PathLike, folder: str | PathLike | None = None, execute: bool = True,
                     names=None) -> list[Path]:
    """Execute every notebook of ``folder`` (default: this checkout's ``notebooks/``) and write
    ``<name>.html`` for each into ``out``; ``execute=False`` renders them as stored (no outputs).
    ``names`` picks notebooks by file stem."""
    _require()
    import nbformat

    folder = Path(folder) if folder is not None else notebooks_dir()
    paths = sorted(folder.glob("*.ipynb"))
    if names:
        unknown = sorted(set(names) - {p.stem for p in paths})
        if unknown:
            raise ValueError(f"The 'names' parameter of render_notebooks must name notebooks of {folder} "
                             f"({', '.join(p.stem for p in paths)}). Got {', '.join(unknown)} instead.")
        paths = [p for p in paths if p.stem in names]
    if not paths:
        raise FileNotFoundError(2, "no notebooks (*.ipynb) in this folder", str(folder))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = execute_notebook(path) if execute else nbformat.read(path, as_version=4)
        target = out / f"{path.stem}.html"
        target.write_text(notebook_html(nb), encoding="utf-8")
        written.append(target)
    return written
