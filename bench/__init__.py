"""`make bench`: what cdk-workspace-image costs on top of AWS's own image build."""

import sys
from pathlib import Path

# The handler's modules import each other top-level, as Lambda imports them
# (`import contract`), and the rehearsal imports some of them through
# cdk_workspace_image.runtime: their folder goes on the path, as
# tests/conftest.py puts it.
_RUNTIME_DIR = str(Path(__file__).resolve().parent.parent / "lambda" / "workspace_image")
if _RUNTIME_DIR not in sys.path:
    sys.path.insert(0, _RUNTIME_DIR)
