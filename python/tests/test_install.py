"""Packaging and optional Gymnasium integration: `pip install` of python/ (offline, from a copy
of the folder so the source tree is untouched) installs the package with its own librlc.so,
which then works without RLC_LIB; with a stand-in `gymnasium` module on the path, envs and
spaces become gymnasium.Env / gymnasium.spaces objects."""

import os
import shutil
import subprocess
import sys
import textwrap
import unittest

import rlc
from helpers import REPO, TmpDirCase

PY = sys.executable


class InstallTest(TmpDirCase):
    def test_pip_install_target(self):
        if subprocess.run([PY, "-m", "pip", "--version"], capture_output=True).returncode:
            self.skipTest("pip is not available for %s" % PY)
        src = os.path.join(self.tmp, "src")
        shutil.copytree(os.path.join(REPO, "python"), src,
                        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__",
                                                      "tests", "librlc.so"))
        target = os.path.join(self.tmp, "site")
        env = dict(os.environ, RLC_LIB=os.path.abspath(rlc.LIB_PATH))
        p = subprocess.run([PY, "-m", "pip", "install", "--no-index", "--no-deps",
                            "--no-build-isolation", "--target", target, src],
                           capture_output=True, text=True, env=env, cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertTrue(os.path.isfile(os.path.join(target, "rlc", "librlc.so")))
        env = {k: v for k, v in os.environ.items() if k != "RLC_LIB"}
        env["PYTHONPATH"] = target
        code = ("import rlc, os; e = rlc.make('CartPole-v1'); print(e.reset(seed=0)[0][0]); "
                "print(os.path.dirname(rlc.LIB_PATH) == os.path.dirname(rlc.__file__))")
        q = subprocess.run([PY, "-c", code], capture_output=True, text=True, env=env,
                           cwd=self.tmp)
        self.assertEqual(q.returncode, 0, q.stderr)
        self.assertEqual(q.stdout.split(), ["0.013696169", "True"])

    def test_missing_library_message(self):
        env = dict(os.environ, RLC_LIB=os.path.join(self.tmp, "nope.so"))
        env["PYTHONPATH"] = os.path.join(REPO, "python")
        q = subprocess.run([PY, "-c", "import rlc"], capture_output=True, text=True, env=env)
        self.assertNotEqual(q.returncode, 0)
        self.assertIn("RLC_LIB=", q.stderr)
        self.assertIn("no such file", q.stderr)


STUB = '''
"""A minimal stand-in for gymnasium (not installable here), enough to test the subclassing."""
import enum
class Env:
    spec = None
    render_mode = None
    @property
    def unwrapped(self):
        return self
'''

STUB_SPACES = '''
class Space:
    def __init__(self, shape=None, dtype=None):
        self.shape, self.dtype = shape, dtype
class Box(Space):
    def __init__(self, low, high, shape=None, dtype=None, seed=None):
        super().__init__(shape, dtype)
        self.low, self.high = low, high
class Discrete(Space):
    def __init__(self, n, seed=None, start=0):
        super().__init__((), "int64")
        self.n, self.start = n, start
class MultiDiscrete(Space):
    def __init__(self, nvec, dtype="int64", seed=None, start=None):
        super().__init__(getattr(nvec, "shape", None), dtype)
        self.nvec, self.start = nvec, start
'''

STUB_VECTOR = '''
import enum
class AutoresetMode(enum.Enum):
    NEXT_STEP = "NextStep"
    SAME_STEP = "SameStep"
    DISABLED = "Disabled"
class VectorEnv:
    closed = False
    def __del__(self):
        if not getattr(self, "closed", True):
            self.close()
'''


class GymnasiumStubTest(TmpDirCase):
    def test_subclasses_when_importable(self):
        pkg = os.path.join(self.tmp, "gymnasium")
        os.makedirs(pkg)
        for name, text in (("__init__.py", STUB), ("spaces.py", STUB_SPACES),
                           ("vector.py", STUB_VECTOR)):
            with open(os.path.join(pkg, name), "w") as f:
                f.write(text)
        code = textwrap.dedent('''
            import gymnasium, gymnasium.spaces as gs, gymnasium.vector as gv
            import numpy as np, rlc
            e = rlc.make("CartPole-v1")
            assert isinstance(e, gymnasium.Env)
            assert isinstance(e.observation_space, gs.Box), e.observation_space
            assert isinstance(e.action_space, gs.Discrete) and e.action_space.n == 2
            e.reset(seed=0); e.step(1); e.close(); e.close()
            p = rlc.make("Pendulum-v1"); p.reset(seed=0); p.step(np.zeros(1, np.float32))
            v = rlc.make_vec("CartPole-v1", 3)
            assert isinstance(v, gv.VectorEnv)
            assert v.metadata["autoreset_mode"] is gv.AutoresetMode.NEXT_STEP
            assert isinstance(v.action_space, gs.MultiDiscrete)
            v.reset(seed=0); v.step(np.zeros(3, np.int64)); v.close(); del v
            print("ok")
        ''')
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([self.tmp,
                                                           os.path.join(REPO, "python")]),
                   RLC_LIB=os.path.abspath(rlc.LIB_PATH))
        q = subprocess.run([PY, "-c", code], capture_output=True, text=True, env=env)
        self.assertEqual(q.returncode, 0, q.stdout + q.stderr)
        self.assertEqual(q.stdout.strip(), "ok")


if __name__ == "__main__":
    unittest.main()
