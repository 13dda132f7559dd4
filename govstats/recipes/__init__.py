"""Reproducible analyses: a YAML recipe -> every result, byte-identical on a rerun.

``load_recipe`` reads and checks a recipe; ``analyze`` runs it into a results folder;
``verify_results`` reruns a results folder's recipe and names every difference;
``recipe_script`` writes the same analysis as a plain Python script. Imported lazily (as the
top-level package is) so that ``govstats analyze --help`` starts without numpy or pandas.
"""

from importlib import import_module as _import_module

_LAZY = {
    "Recipe": "govstats.recipes.load",
    "load_recipe": "govstats.recipes.load",
    "AnalysisRun": "govstats.recipes.run",
    "analyze": "govstats.recipes.run",
    "recipe_script": "govstats.recipes.script",
    "Difference": "govstats.recipes.verify",
    "verify_results": "govstats.recipes.verify",
    "write_json": "govstats.recipes.write",
    "write_svg": "govstats.recipes.write",
    "write_table": "govstats.recipes.write",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'govstats.recipes' has no attribute {name!r}")
    value = getattr(_import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
