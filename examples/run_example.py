"""The README's main job: validate, plan and run the retail example project.

Until the engine lands this validates and compiles the project and prints its plan and graph.
"""

from __future__ import annotations

import sys
from pathlib import Path

from odibi_provider.cli import main

PROJECT = Path(__file__).resolve().parent / "retail"


def run() -> int:
    for argv in (["validate", str(PROJECT)], ["plan", str(PROJECT)], ["graph", str(PROJECT)]):
        code = main(argv)
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(run())
