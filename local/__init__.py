"""The local runner: the stack of template.yaml on one machine, without Docker (`make local`)."""

import sys
from pathlib import Path

_LAYER = str(Path(__file__).resolve().parents[1] / "layers" / "shared")
if _LAYER not in sys.path:  # the shared layer, importable as Lambda makes it (/opt/python)
    sys.path.insert(0, _LAYER)
