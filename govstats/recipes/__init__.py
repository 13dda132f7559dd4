"""Reproducible analyses: a YAML recipe -> every result, byte-identical on a rerun.

``load_recipe`` reads and checks a recipe; ``analyze`` runs it into a results folder;
``verify_results`` reruns a results folder's recipe and names every difference;
``recipe_script`` writes the same analysis as a plain Python script.
"""

from govstats.recipes.load import Recipe, load_recipe
from govstats.recipes.run import AnalysisRun, analyze
from govstats.recipes.script import recipe_script
from govstats.recipes.verify import Difference, verify_results
from govstats.recipes.write import write_json, write_svg, write_table

__all__ = ["AnalysisRun", "Difference", "Recipe", "analyze", "load_recipe", "recipe_script", "verify_results",
           "write_json", "write_svg", "write_table"]
