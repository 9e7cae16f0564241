from __future__ import annotations

import sys
from pathlib import Path

# The runner module and helpers live beside the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypothesis import settings

# No example database on disk: runs stay reproducible and leave no `.hypothesis/` behind.
settings.register_profile("tenths", database=None, deadline=None)
settings.load_profile("tenths")
