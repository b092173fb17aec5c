"""Prints the packages the API and the worker need at run time, one a line.

The image installs these in a layer of their own, from pyproject.toml alone, so that a code
change rebuilds only the code layer. Only [project].dependencies: the dev stack's and the
tests' packages live in extras and stay out of the image.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path


def runtime_requirements(pyproject: Path) -> list[str]:
    with pyproject.open("rb") as file:
        return list(tomllib.load(file)["project"]["dependencies"])


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml")
    print("\n".join(runtime_requirements(path)))
