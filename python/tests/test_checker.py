"""The env checker (rlc.check_env, Gymnasium's env_checker checks plus snapshots) run over every
id of the C registry; MuJoCo ids are checked when they can be made (skipped otherwise). Also
checks that the checker catches a broken env."""

import unittest

import numpy as np

import rlc


class CheckerTest(unittest.TestCase):
    def test_every_registered_env(self):
        ids = rlc.registry()
        self.assertGreater(len(ids), 5)
        checked = 0
        for env_id in ids:
            with self.subTest(env=env_id):
                try:
                    env = rlc.make(env_id)
                except rlc.UnsupportedError:
                    continue  # e.g. MuJoCo ids in a build without libmujoco
                rlc.check_env(env)
                self.assertTrue(env.closed)
                checked += 1
        self.assertGreaterEqual(checked, 6)

    def test_vector_env_of_every_id(self):
        for env_id in rlc.registry():
            with self.subTest(env=env_id):
                try:
                    v = rlc.make_vec(env_id, 3)
                except rlc.UnsupportedError:
                    continue
                obs, _ = v.reset(seed=0)
                self.assertEqual(obs.shape, v.observation_space.shape)
                self.assertEqual(obs.dtype, v.single_observation_space.dtype)
                v.action_space.seed(0)
                for _ in range(5):
                    obs, r, te, tr, info = v.step(v.action_space.sample())
                    self.assertEqual(obs.shape, (3,) + v.single_observation_space.shape)
                    self.assertTrue(np.all(np.isfinite(r)))
                v.close()
                v.close()

    def test_checker_catches_a_broken_env(self):
        env = rlc.make("CartPole-v1")
        env.observation_space = rlc.Box(-1.0, 1.0, (3,))  # wrong shape
        with self.assertRaises(AssertionError):
            rlc.check_env(env)


if __name__ == "__main__":
    unittest.main()
