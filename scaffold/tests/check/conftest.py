"""Shared set-up for the boundary-check tests."""

import sys
from pathlib import Path

# The repo runs pytest with --import-mode=importlib, which keeps test folders off sys.path; the
# test modules import their fixture builder from beside this file.
sys.path.insert(0, str(Path(__file__).parent))
