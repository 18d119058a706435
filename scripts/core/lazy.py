"""A package's public names, imported from their modules on first use (PEP 562): `from scripts.build import
build` works without importing every module of the package, so a light command stays light."""
from __future__ import annotations

import importlib
from typing import Callable


def exports(package: str, names: dict[str, str]) -> tuple[Callable, Callable]:
    """`__getattr__` and `__dir__` for a package whose public `names` live in the given modules."""
    def __getattr__(name: str):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{names[name]}"), name)

    def __dir__():
        return sorted(names)

    return __getattr__, __dir__
