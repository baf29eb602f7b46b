"""Shared test helpers: repository paths, the rlc program of the build under test, temporary
folders and exact-comparison utilities for the python/tests suite."""

import math
import os
import shutil
import tempfile
import unittest

import numpy as np

import rlc

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
GOLDEN = os.path.join(REPO, "tests", "data", "golden")


def rlc_binary():
    """The `rlc` program beside the library under test ($RLC_BUILD/rlc first), or None."""
    cands = []
    if os.environ.get("RLC_BUILD"):
        cands.append(os.path.join(os.environ["RLC_BUILD"], "rlc"))
    cands.append(os.path.join(os.path.dirname(rlc.LIB_PATH), "rlc"))
    for c in cands:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    return None


def golden_num(x):
    """A golden number: a JSON number, or the strings "inf", "-inf", "nan"."""
    if isinstance(x, str):
        return float(x)
    return float(x) if x is not None else math.nan


def golden_array(xs):
    return np.array([golden_num(x) for x in xs], dtype=np.float64)


def same(a, b):
    """Exact equality of numbers/arrays (NaN equals NaN), after widening to float64."""
    return np.array_equal(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                          equal_nan=True)


class TmpDirCase(unittest.TestCase):
    """A TestCase with self.tmp, a fresh folder removed after each test."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rlc-py-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def mujoco_available():
    try:
        rlc.make("Hopper-v4").close()
        return True
    except rlc.RlcError:
        return False
