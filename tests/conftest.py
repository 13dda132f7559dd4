import sys
from pathlib import Path

# Lets test modules import the helpers in tests_support.py, and brings in its fixtures.
sys.path.insert(0, str(Path(__file__).parent))

from tests_support import demo_run, demo_run_ml, example, write  # noqa: E402,F401
