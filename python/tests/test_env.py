"""The single-env API: registry and specs, spaces (bounds, dtypes, Gymnasium-identical seeded
sampling checked against rlc_space_sample in C), reset/step return types and seeding, episode
statistics in info, kwargs, render, snapshots, state vectors and close."""

import ctypes
import math
import unittest

import numpy as np

import rlc
from rlc import _lib as L
from helpers import same


class RegistryTest(unittest.TestCase):
    def test_registry_lists_classic_ids(self):
        ids = rlc.registry()
        for i in ("CartPole-v1", "Pendulum-v1", "MountainCar-v0", "Acrobot-v1",
                  "MountainCarContinuous-v0"):
            self.assertIn(i, ids)
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(len(ids), L.rlc_env_registry_count())

    def test_spec(self):
        s = rlc.spec("CartPole-v1")
        self.assertEqual(s.id, "CartPole-v1")
        self.assertEqual(s.max_episode_steps, 500)
        self.assertEqual(s.reward_threshold, 475.0)
        names = [p.name for p in s.params]
        self.assertIn("gravity", names)
        g = s.params[names.index("gravity")]
        self.assertEqual(g.type, "real")
        self.assertEqual(g.default, 9.8)
        self.assertIsNone(rlc.spec("Pendulum-v1").reward_threshold)

    def test_string_param(self):
        try:
            s = rlc.spec("Hopper-v4")
        except rlc.RlcError:
            self.skipTest("built without MuJoCo")
        xml = [p for p in s.params if p.name == "xml"]
        self.assertEqual(len(xml), 1)
        self.assertEqual(xml[0].type, "string")
        self.assertIsNone(xml[0].default)


class SpacesTest(unittest.TestCase):
    def test_cartpole_spaces(self):
        env = rlc.make("CartPole-v1")
        o, a = env.observation_space, env.action_space
        self.assertIsInstance(o, rlc.Box)
        self.assertEqual(o.shape, (4,))
        self.assertEqual(o.dtype, np.float32)
        self.assertEqual(o.low.dtype, np.float32)
        self.assertEqual(float(o.high[0]), float(np.float32(4.8)))
        self.assertTrue(math.isinf(o.high[1]))
        self.assertFalse(o.is_bounded())
        self.assertIsInstance(a, rlc.Discrete)
        self.assertEqual((a.n, a.start, a.shape, a.dtype), (2, 0, (), np.int64))
        self.assertEqual(repr(a), "Discrete(2)")
        self.assertTrue(a.contains(1) and a.contains(np.int64(0)))
        self.assertFalse(a.contains(2) or a.contains(1.0) or a.contains(np.array([1])))
        env.close()

    def test_box_contains(self):
        b = rlc.make("Pendulum-v1").action_space
        self.assertEqual(repr(b), "Box(-2.0, 2.0, (1,), float32)")
        self.assertTrue(b.contains(np.array([1.5], np.float32)))
        self.assertFalse(b.contains(np.array([2.5], np.float32)))
        self.assertFalse(b.contains(np.array([1.0, 1.0], np.float32)))
        self.assertFalse(b.contains(np.array([np.nan], np.float32)))
        self.assertIn(np.array([0.0], np.float32), b)

    def test_seeded_sampling_is_deterministic(self):
        for sp in (rlc.make("CartPole-v1").action_space, rlc.make("Pendulum-v1").action_space,
                   rlc.MultiDiscrete([3, 4, 5])):
            self.assertEqual(sp.seed(5), [5])
            x = [sp.sample() for _ in range(20)]
            sp.seed(5)
            y = [sp.sample() for _ in range(20)]
            self.assertTrue(all(same(p, q) for p, q in zip(x, y)))
            self.assertTrue(all(sp.contains(p) for p in x))
            sp.seed(6)
            z = [sp.sample() for _ in range(20)]
            self.assertFalse(all(same(p, q) for p, q in zip(x, z)))

    def test_sampling_matches_c(self):
        # rlc_space_sample is documented as bit-identical to Gymnasium's space.sample() for
        # Discrete and bounded float Boxes; the Python spaces draw through numpy like Gymnasium
        rng = ctypes.create_string_buffer(max(64, L.lib.rlc_py_abi(b"rlc_rng", b"")
                                              if hasattr(L.lib, "rlc_py_abi") else 64))
        L.lib.rlc_rng_seed.argtypes = [ctypes.c_void_p, ctypes.c_uint64]
        L.lib.rlc_rng_seed.restype = None
        L.lib.rlc_space_sample.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        L.lib.rlc_space_sample.restype = None
        for env_id in ("CartPole-v1", "Acrobot-v1", "Pendulum-v1", "MountainCarContinuous-v0"):
            env = rlc.make(env_id)
            sp = env.action_space
            cs = L.rlc_env_action_space(env._h)
            for seed in (0, 1, 12345):
                sp.seed(seed)
                L.lib.rlc_rng_seed(rng, seed)
                for _ in range(50):
                    py = np.asarray(sp.sample())
                    c = np.zeros(sp.shape, sp.dtype)
                    L.lib.rlc_space_sample(cs, rng, c.ctypes.data)
                    self.assertTrue(same(py, c), "%s seed %d: %r vs %r" % (env_id, seed, py, c))
            env.close()

    def test_box_sampling_unbounded(self):
        b = rlc.Box(-np.inf, np.inf, (3,), np.float64, seed=0)
        s = b.sample()
        self.assertEqual((s.shape, s.dtype), ((3,), np.float64))
        h = rlc.Box(0.0, np.inf, (1000,), seed=1).sample()
        self.assertTrue(np.all(h >= 0))


class ResetStepTest(unittest.TestCase):
    def test_types(self):
        env = rlc.make("CartPole-v1")
        out = env.reset(seed=0)
        self.assertIsInstance(out, tuple)
        obs, info = out
        self.assertEqual((obs.dtype, obs.shape), (np.float32, (4,)))
        self.assertEqual(info, {})
        obs2, r, term, trunc, info = env.step(0)
        self.assertIsInstance(r, float)
        self.assertIs(type(term), bool)
        self.assertIs(type(trunc), bool)
        self.assertEqual(info, {})
        self.assertEqual((obs2.dtype, obs2.shape), (np.float32, (4,)))
        obs2[0] = 99  # a copy: the env's own buffer is not touched
        self.assertNotEqual(env.observe()[0], 99)
        env.close()

    def test_seeding(self):
        a, b = rlc.make("CartPole-v1"), rlc.make("CartPole-v1")
        self.assertTrue(same(a.reset(seed=3)[0], b.reset(seed=3)[0]))
        self.assertTrue(same(a.reset()[0], b.reset()[0]))  # continued streams agree
        self.assertFalse(same(a.reset(seed=3)[0], b.reset(seed=4)[0]))
        # numpy integers and seeds >= 2**63 (passed as decimal strings) are accepted
        self.assertTrue(same(a.reset(seed=np.int64(3))[0], b.reset(seed=3)[0]))
        big = 2 ** 128 + 7
        self.assertTrue(same(a.reset(seed=big)[0], b.reset(seed=big)[0]))
        self.assertFalse(same(a.reset(seed=big)[0], b.reset(seed=7)[0]))

    def test_episode_statistics(self):
        env = rlc.make("CartPole-v1", max_episode_steps=25)
        env.reset(seed=1)
        total, n = 0.0, 0
        while True:
            obs, r, term, trunc, info = env.step(n % 2)
            total += r
            n += 1
            if term or trunc:
                break
            self.assertNotIn("episode", info)
            self.assertEqual(env.episode(), (total, n))
        self.assertEqual(info["episode"], {"r": total, "l": n})
        self.assertLessEqual(n, 25)
        self.assertFalse(env.running)

    def test_time_limit_kwarg(self):
        env = rlc.make("Pendulum-v1", max_episode_steps=7)
        self.assertEqual(env.max_episode_steps, 7)
        env.reset(seed=0)
        for t in range(7):
            _, _, term, trunc, info = env.step(np.zeros(1, np.float32))
        self.assertTrue(trunc)
        self.assertFalse(term)
        self.assertEqual(info["episode"]["l"], 7)

    def test_kwargs_change_physics(self):
        a = rlc.make("CartPole-v1", gravity=20.0, force_mag=5)
        b = rlc.make("CartPole-v1")
        self.assertEqual(a.spec.kwargs["gravity"], 20.0)
        a.reset(seed=0)
        b.reset(seed=0)
        self.assertFalse(same(a.step(1)[0], b.step(1)[0]))
        # bools, numpy scalars and None (= default) are accepted
        rlc.make("CartPole-v1", sutton_barto_reward=True, gravity=np.float64(9.8),
                 max_episode_steps=None).close()

    def test_box_actions(self):
        env = rlc.make("Pendulum-v1")
        env.reset(seed=0)
        ref = rlc.make("Pendulum-v1")
        ref.reset(seed=0)
        # float64, lists and ints are converted to float32; out-of-bounds values are clipped
        # by the env (Gymnasium); values beyond float32 become +-FLT_MAX, then clipped
        for a, b in (([0.5], np.array([0.5], np.float32)), (np.array([1], np.int64), [1.0]),
                     ([1e40], [2.0]), ([-3.0], [-2.0])):
            x, y = env.step(a), ref.step(np.asarray(b, np.float32))
            self.assertTrue(same(x[0], y[0]) and x[1] == y[1])

    def test_render(self):
        env = rlc.make("CartPole-v1", render_mode="rgb_array")
        env.reset(seed=0)
        f = env.render()
        self.assertEqual((f.shape, f.dtype), ((400, 600, 3), np.uint8))
        self.assertGreater(int(f.max()) - int(f.min()), 0)
        self.assertEqual(env.render(width=64, height=48).shape, (48, 64, 3))
        p = rlc.make("Pendulum-v1")
        p.reset(seed=0)
        self.assertEqual(p.render().shape, (500, 500, 3))

    def test_snapshots(self):
        env = rlc.make("Acrobot-v1")
        env.reset(seed=2)
        for _ in range(5):
            env.step(1)
        snap = env.get_state()
        self.assertIsInstance(snap, bytes)
        a = [env.step(k % 3) for k in range(20)]
        env.set_state(snap)
        b = [env.step(k % 3) for k in range(20)]
        for x, y in zip(a, b):
            self.assertTrue(same(x[0], y[0]) and x[1:4] == y[1:4])
        other = rlc.make("Acrobot-v1")  # another instance continues the same future
        other.set_state(snap)
        c = [other.step(k % 3) for k in range(20)]
        self.assertTrue(all(same(x[0], y[0]) for x, y in zip(a, c)))

    def test_state_vector(self):
        env = rlc.make("CartPole-v1")
        self.assertEqual(env.state_names, ["x", "x_dot", "theta", "theta_dot"])
        env.reset(seed=0)
        env.set_state_vector([0.1, -0.3, 0.15, 0.4])
        self.assertTrue(same(env.get_state_vector(), [0.1, -0.3, 0.15, 0.4]))
        self.assertTrue(same(env.observe(), np.array([0.1, -0.3, 0.15, 0.4], np.float32)))

    def test_close_idempotent(self):
        env = rlc.make("CartPole-v1")
        env.close()
        env.close()
        self.assertTrue(env.closed)
        with self.assertRaises(rlc.StateError):
            env.reset()
        with rlc.make("CartPole-v1") as e2:
            e2.reset(seed=0)
        self.assertTrue(e2.closed)

    def test_metadata(self):
        env = rlc.make("CartPole-v1")
        self.assertEqual(env.metadata["render_modes"], ["rgb_array"])
        self.assertEqual(env.metadata["render_fps"], 50)
        self.assertIs(env.unwrapped, env)
        self.assertIn("CartPole-v1", repr(env))


if __name__ == "__main__":
    unittest.main()
