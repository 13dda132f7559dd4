"""How the command line reports errors and warnings: one readable line each, no traceback.

Exit codes (documented in the README and in ``govstats --help``):

- 0: done (for ``check``: the responses were read, whatever they hold, unless ``--strict``);
- 1: problems found in an input (an instrument, model syntax, responses or data that cannot be
  analysed as asked, a model that did not converge, ``check --strict`` with schema problems);
- 2: usage error (an unknown option or a value it does not take, a file that does not exist or
  cannot be written);
- 3: an internal error (a bug in govstats); set ``GOVSTATS_DEBUG=1`` to see the traceback.

Messages written for Python users name function parameters (``The 'estimator' parameter of
fit``); :func:`cli_terms` rewrites them with the command line's options (``--estimator``) so that
a user who never saw a parameter can act on them.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import traceback
import warnings
from pathlib import Path

from govstats.errors import GovstatsError

USAGE, PROBLEMS, INTERNAL = 2, 1, 3
# Python parameter names that a command line spells differently (fit's 'model' is the MODEL
# argument, but reliability's and efa's 'model' is their INSTRUMENT argument).
ALIASES = {"model": ("model", "instrument"), "df": ("responses", "data"), "data": ("data", "responses")}


def _options(parser: argparse.ArgumentParser | None) -> dict[str, str]:
    """dest -> how the user types it: '--estimator' for options, 'DATA' for positional arguments."""
    if parser is None:
        return {}
    out = {}
    for action in parser._actions:  # argparse has no public listing of a parser's arguments
        if action.dest in ("help", "version", "func"):
            continue
        if action.option_strings:
            out[action.dest] = max(action.option_strings, key=len)
        else:
            out[action.dest] = action.metavar or action.dest.upper()
    return out


def _spelled(name: str, options: dict[str, str]) -> str | None:
    for candidate in ALIASES.get(name, (name,)):
        if candidate in options:
            return options[candidate]
    return None


def cli_terms(message: str, parser: argparse.ArgumentParser | None) -> str:
    """``message`` with Python parameter names replaced by the command's options and arguments.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> _ = p.add_argument("data", metavar="DATA")
    >>> _ = p.add_argument("--estimator")
    >>> _ = p.add_argument("--ordered")
    >>> cli_terms("The 'data' parameter of efa must have a column for every item.", p)
    'DATA must have a column for every item.'
    >>> cli_terms("estimator='WLSMV' is for ordered items: pass ordered=True or ordered=[item names]", p)
    'the option --estimator WLSMV is for ordered items: pass --ordered all or --ordered a,b,c'
    >>> cli_terms("With ordered items, leave out 'ordered'; use estimator='ML'.", p)
    'With ordered items, leave out --ordered; use --estimator ML.'
    """
    options = _options(parser)
    if not options:
        return message

    def parameter(match: re.Match) -> str:
        spelled = _spelled(match.group(1), options)
        if spelled is None:
            return match.group(0)
        return f"the option {spelled}" if spelled.startswith("-") else spelled

    text = re.sub(r"[Tt]he '(\w+)' parameter of \w+", parameter, message)
    text = re.sub(r"^the option", "The option", text)

    def assignment(match: re.Match) -> str:
        spelled = _spelled(match.group(1), options)
        if spelled is None or not spelled.startswith("-"):
            return match.group(0)
        value = match.group(2)
        if value == "True":
            value = "all" if match.group(1) == "ordered" else ""
        elif value.startswith("["):
            value = "a,b,c"
        return f"{spelled} {value.strip(chr(39) + chr(34))}".rstrip()

    text = re.sub(r"(?<![\w.'])(\w+)=('[^']*'|\"[^\"]*\"|\[[^\]]*\]|True|False|None|[\w.]+)", assignment, text)
    text = re.sub(r"^(--\w[\w-]*)", r"the option \1", text)

    def quoted(match: re.Match) -> str:
        spelled = _spelled(match.group(1), options)
        return spelled if spelled is not None and spelled.startswith("-") else match.group(0)

    return re.sub(r"'(\w+)'", quoted, text)


def report_error(exc: BaseException, parser: argparse.ArgumentParser | None) -> int:
    """Print ``exc`` as one message on stderr (no traceback) and return the exit code."""
    code, text = classify(exc)
    if code == INTERNAL and os.environ.get("GOVSTATS_DEBUG"):
        traceback.print_exception(exc)
    print(f"govstats: {'error: ' if code != PROBLEMS else ''}{cli_terms(text, parser)}", file=sys.stderr)
    return code


def classify(exc: BaseException) -> tuple[int, str]:
    """(exit code, message) for an exception that reached the command line."""
    if isinstance(exc, GovstatsError):
        return PROBLEMS, str(exc)
    if isinstance(exc, FileNotFoundError):
        if not exc.filename:
            return USAGE, str(exc)
        folder = Path(str(exc.filename)).parent
        if not folder.is_dir():
            return USAGE, f"the folder {folder} does not exist (for {exc.filename}); create it or give another path"
        return USAGE, f"no such file: {exc.filename}"
    if isinstance(exc, IsADirectoryError):
        return USAGE, f"{exc.filename} is a folder; give a file"
    if isinstance(exc, NotADirectoryError):
        return USAGE, f"{exc.filename}: a part of this path is a file, not a folder"
    if isinstance(exc, FileExistsError):
        return USAGE, f"{exc.filename} already exists; remove it or choose another name"
    if isinstance(exc, PermissionError):
        return USAGE, f"permission denied: {exc.filename}"
    if isinstance(exc, UnicodeError):
        return PROBLEMS, (f"a file is not in a text encoding govstats could read ({exc}); save it as UTF-8, "
                          "or give its encoding with --encoding where the command has it")
    if type(exc).__name__ == "LinAlgError":  # numpy's, imported only by the commands that need it
        return PROBLEMS, (f"the data do not allow this analysis: a matrix it needs is singular or not positive "
                          f"definite (numpy: {exc}). Usually too few respondents for the number of items, or items "
                          "that copy, sum or reverse other items; check the data (govstats check) and the items")
    if isinstance(exc, ValueError):
        return USAGE, str(exc)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return USAGE, f"{where}{exc.strerror or exc}"
    if isinstance(exc, MemoryError):
        return PROBLEMS, "out of memory: an input is too large (or expands to something too large) to process"
    if isinstance(exc, RecursionError):
        return PROBLEMS, "an input is nested too deeply to process"
    name = type(exc).__name__
    return INTERNAL, (f"internal error ({name}: {exc}). This is a bug in govstats, not in your files: please "
                      "report it with the command you ran; GOVSTATS_DEBUG=1 shows the traceback")


class WarningPrinter:
    """Shows each warning once, as ``warning: <message>``, without the source file and line.

    Python users keep the typed warning classes (:mod:`govstats.errors`); only the command line
    installs this printer, and the ``fit`` command leaves out the warnings its summary prints.
    """

    def __init__(self, stream=None):
        self.stream = stream
        self.seen: set[str] = set()
        self.hidden: set[str] = set()

    def show(self, message, category, filename, lineno, file=None, line=None) -> None:
        text = " ".join(str(message).split())
        if text in self.seen or text in self.hidden:
            return
        self.seen.add(text)
        print(f"warning: {text}", file=self.stream or sys.stderr)

    def install(self) -> None:
        warnings.showwarning = self.show
        # once per place in the code (not once per call, which a warning inside a loop would flood);
        # show() then removes the repeats of a text raised from several places
        warnings.simplefilter("default")
