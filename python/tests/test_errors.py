"""Every error path raises an RlcError subclass with rlc's own message (never a crash): unknown
ids with suggestions, bad kwargs, bad seeds, bad action shapes/dtypes/values (NaN, inf, out of
range), step before reset or after the episode ended, bad snapshots and state vectors,
unsupported render, closed envs, and the exception hierarchy."""

import unittest

import numpy as np

import rlc
from rlc import _lib as L


class ErrorTest(unittest.TestCase):
    def raises(self, cls, fragment, fn, *args, **kwargs):
        with self.assertRaises(cls) as cm:
            fn(*args, **kwargs)
        self.assertIn(fragment, str(cm.exception))
        self.assertIsInstance(cm.exception, rlc.RlcError)
        return cm.exception

    # -- make -------------------------------------------------------------------------------

    def test_unknown_id_suggests(self):
        e = self.raises(rlc.NotFoundError, "did you mean CartPole-v0, CartPole-v1", rlc.make,
                        "CartPole-v2")
        self.assertEqual(e.status, -5)
        self.assertEqual(e.status_name, "RLC_ERR_NOT_FOUND")
        self.assertIsInstance(e, LookupError)
        self.assertIn("unknown environment 'CartPole-v2'", str(e))
        self.raises(rlc.NotFoundError, "unknown environment", rlc.make_vec, "Pendulm-v1", 2)
        self.raises(rlc.NotFoundError, "Pendulum-v1", rlc.spec, "Pendulm-v1")

    def test_message_is_rlc_last_error(self):
        with self.assertRaises(rlc.RlcError) as cm:
            rlc.make("NoSuchEnv-v9")
        self.assertEqual(str(cm.exception), L.last_error())

    def test_bad_kwarg(self):
        e = self.raises(rlc.InvalidArgumentError, "unknown keyword 'gravty' for CartPole-v1",
                        rlc.make, "CartPole-v1", gravty=3)
        self.assertIn("did you mean 'gravity'", str(e))
        self.assertIn("known: gravity", str(e))
        self.assertIsInstance(e, ValueError)
        self.raises(rlc.RangeError, "gravity", rlc.make, "CartPole-v1", gravity=-1.0)
        self.raises(rlc.InvalidArgumentError, "expected a number", rlc.make, "CartPole-v1",
                    gravity=[1, 2])
        self.raises(rlc.InvalidArgumentError, "max_episode_steps", rlc.make, "CartPole-v1",
                    max_episode_steps=1.5)
        self.raises(rlc.InvalidArgumentError, "gravty", rlc.make_vec, "CartPole-v1", 2,
                    gravty=1)

    def test_render_mode(self):
        self.raises(rlc.UnsupportedError, "render_mode 'human'", rlc.make, "CartPole-v1",
                    render_mode="human")

    # -- reset ------------------------------------------------------------------------------

    def test_bad_seed(self):
        env = rlc.make("CartPole-v1")
        self.raises(rlc.RangeError, "seed must be >= 0", env.reset, seed=-3)
        self.raises(rlc.InvalidArgumentError, "seed must be a non-negative integer", env.reset,
                    seed=1.5)
        self.raises(rlc.InvalidArgumentError, "seed", env.reset, seed="7")
        self.raises(rlc.InvalidArgumentError, "options are not supported", env.reset,
                    options={"low": -0.1})

    # -- step -------------------------------------------------------------------------------

    def test_step_before_reset(self):
        env = rlc.make("CartPole-v1")
        e = self.raises(rlc.StateError, "CartPole-v1: step before reset", env.step, 0)
        self.assertEqual(e.status_name, "RLC_ERR_STATE")
        self.raises(rlc.StateError, "no state yet", env.observe)
        self.raises(rlc.StateError, "", env.render)

    def test_step_after_end(self):
        env = rlc.make("CartPole-v1", max_episode_steps=3)
        env.reset(seed=0)
        for _ in range(3):
            env.step(0)
        self.raises(rlc.StateError, "the episode has ended (truncated)", env.step, 0)

    def test_discrete_actions(self):
        env = rlc.make("CartPole-v1")
        env.reset(seed=0)
        self.raises(rlc.RangeError, "action 2 is out of range for Discrete(2) (accepted: 0..1)",
                    env.step, 2)
        self.raises(rlc.RangeError, "action -1 is out of range", env.step, -1)
        self.raises(rlc.RangeError, "out of range", env.step, 2 ** 70)
        self.raises(rlc.InvalidArgumentError, "dtype float64", env.step, 1.0)
        self.raises(rlc.InvalidArgumentError, "dtype <U1", env.step, "1")
        self.raises(rlc.InvalidArgumentError, "shape (1,)", env.step, np.array([1]))
        self.raises(rlc.InvalidArgumentError, "dtype object", env.step, None)
        self.raises(rlc.RangeError, "out of range", env.step, np.uint64(2 ** 64 - 1))
        # the env was not stepped by any of these
        self.assertEqual(env.episode(), (0.0, 0))
        # Acrobot accepts Python's negative indices, as Gymnasium does
        acro = rlc.make("Acrobot-v1")
        acro.reset(seed=0)
        acro.step(-1)
        self.raises(rlc.RangeError, "out of range", acro.step, -4)

    def test_box_actions(self):
        env = rlc.make("Pendulum-v1")
        env.reset(seed=0)
        self.raises(rlc.RangeError, "action[0] = nan is not finite", env.step, [np.nan])
        self.raises(rlc.RangeError, "is not finite", env.step, np.array([np.inf], np.float32))
        self.raises(rlc.RangeError, "is not finite", env.step, [-np.inf])
        self.raises(rlc.InvalidArgumentError, "shape (2,)", env.step, [1.0, 2.0])
        self.raises(rlc.InvalidArgumentError, "shape ()", env.step, 1.0)
        self.raises(rlc.InvalidArgumentError, "shape (1, 1)", env.step, [[1.0]])
        self.raises(rlc.InvalidArgumentError, "dtype complex128", env.step, [1j])
        self.raises(rlc.InvalidArgumentError, "dtype object", env.step, [object()])
        self.assertEqual(env.episode(), (0.0, 0))

    # -- snapshots, state vectors, render ------------------------------------------------------

    def test_bad_snapshot(self):
        env = rlc.make("CartPole-v1")
        env.reset(seed=0)
        self.raises(rlc.InvalidArgumentError, "not a state snapshot", env.set_state, b"xyz")
        self.raises(rlc.InvalidArgumentError, "state must be bytes", env.set_state, 5)
        other = rlc.make("Pendulum-v1")
        other.reset(seed=0)
        self.raises(rlc.InvalidArgumentError, "", env.set_state, other.get_state())
        bad = bytearray(env.get_state())
        bad[:8] = b"\xff" * 8
        self.raises(rlc.InvalidArgumentError, "", env.set_state, bytes(bad))

    def test_bad_state_vector(self):
        env = rlc.make("CartPole-v1")
        self.raises(rlc.StateError, "no state yet", env.get_state_vector)
        env.reset(seed=0)
        self.raises(rlc.InvalidArgumentError, "state vector has 3 values; expected 4",
                    env.set_state_vector, [0.0, 0.0, 0.0])
        self.raises(rlc.RangeError, "is not finite", env.set_state_vector,
                    [0.0, np.nan, 0.0, 0.0])
        self.raises(rlc.InvalidArgumentError, "1-D array", env.set_state_vector, [["a"]])

    def test_render_errors(self):
        # every registered env draws itself (MuJoCo through rlc's software renderer)
        try:
            env = rlc.make("Hopper-v4")
        except rlc.RlcError:
            self.skipTest("rlc built without libmujoco")
        env.reset(seed=0)
        img = env.render(width=64, height=48)
        self.assertEqual(img.shape, (48, 64, 3))
        self.assertGreater(int(img.max()) - int(img.min()), 0)
        env2 = rlc.make("CartPole-v1")
        env2.reset(seed=0)
        self.raises(rlc.InvalidArgumentError, "out of range", env2.render, width=0)

    def test_closed(self):
        env = rlc.make("CartPole-v1")
        env.close()
        for fn, args in ((env.reset, ()), (env.step, (0,)), (env.render, ()),
                         (env.get_state, ()), (env.observe, ())):
            self.raises(rlc.StateError, "closed", fn, *args)

    # -- hierarchy ---------------------------------------------------------------------------

    def test_hierarchy(self):
        self.assertTrue(issubclass(rlc.RlcError, RuntimeError))
        self.assertTrue(issubclass(rlc.InvalidArgumentError, ValueError))
        self.assertTrue(issubclass(rlc.RangeError, rlc.InvalidArgumentError))
        self.assertTrue(issubclass(rlc.FormatError, ValueError))
        self.assertTrue(issubclass(rlc.NotFoundError, LookupError))
        self.assertTrue(issubclass(rlc.UnsupportedError, NotImplementedError))
        self.assertTrue(issubclass(rlc.RlcIOError, OSError))
        self.assertTrue(issubclass(rlc.RlcMemoryError, MemoryError))
        self.assertEqual(str(rlc.RlcIOError("x: failed", -3)), "x: failed")


if __name__ == "__main__":
    unittest.main()
