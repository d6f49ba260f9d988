"""Loads scripts/tfdocs (a script without .py) as a module for the tests."""

import testlib

SCRIPT = testlib.ROOT / "scripts" / "tfdocs"


def load():
    return testlib.load_script(SCRIPT, "tfdocs")


tfdocs = load()
