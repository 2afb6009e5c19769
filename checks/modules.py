"""Names of a package's modules, read from its folders without importing anything.

``pkgutil.iter_modules`` does the same but imports :mod:`inspect` to do it, a few milliseconds of a
small lint's start-up.
"""

from __future__ import annotations

import os
from collections.abc import Iterable


def submodule_names(folders: Iterable[str]) -> tuple[str, ...]:
    """Sorted names of the modules (``NAME.py``) and packages (``NAME/__init__.py``) in a package's folders."""
    names: set[str] = set()
    for folder in folders:
        with os.scandir(folder) as entries:
            for entry in entries:
                stem, suffix = os.path.splitext(entry.name)
                if entry.is_dir():
                    if entry.name.isidentifier() and os.path.isfile(os.path.join(entry.path, "__init__.py")):
                        names.add(entry.name)
                elif suffix == ".py" and stem.isidentifier() and stem != "__init__":
                    names.add(stem)
    return tuple(sorted(names))
