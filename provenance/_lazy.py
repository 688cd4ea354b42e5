"""Names a package imports from its submodules only when first used.

Owns: the one mechanism behind `provenance.diff` and `provenance.render`
loading their heavy parts lazily (so `provenance --help` and a renderer
that needs only the model stay quick).  Never: imports anything itself at
load time.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable


def lazy_names(package: str, names: dict[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: `names` maps each lazy name to
    the submodule that defines it; the first use imports that submodule and
    caches the value in `namespace` (the package's globals())."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    return __getattr__
