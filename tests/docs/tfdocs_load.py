"""Loads scripts/tfdocs (a script without .py) as a module for the tests."""
import importlib.machinery
import importlib.util

import testlib

SCRIPT = testlib.ROOT / "scripts" / "tfdocs"


def load():
    loader = importlib.machinery.SourceFileLoader("tfdocs", str(SCRIPT))
    spec = importlib.util.spec_from_loader("tfdocs", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


tfdocs = load()
