"""Vector-env semantics: sub-env i seeded with seed + i, next-step autoreset reproduced step
for step by single envs driven from Python, same-step autoreset with final_obs, episode
statistics in info, thread count independence, batched spaces, copy=False views that stay
valid after close, snapshots of sub-envs and every error path."""

import gc
import unittest

import numpy as np

import rlc
from helpers import same


def reference_next_step(env_id, n, seed, actions, **kwargs):
    """Single envs stepped with Gymnasium's next-step autoreset, for comparison."""
    envs = [rlc.make(env_id, **kwargs) for _ in range(n)]
    obs = np.stack([e.reset(seed=seed + i)[0] for i, e in enumerate(envs)])
    done = np.zeros(n, bool)
    out = []
    for a in actions:
        o, r = np.empty_like(obs), np.zeros(n)
        te, tr, auto = np.zeros(n, bool), np.zeros(n, bool), done.copy()
        ep_r, ep_l = np.zeros(n), np.zeros(n, np.int64)
        for i, e in enumerate(envs):
            if done[i]:
                o[i] = e.reset()[0]
            else:
                o[i], r[i], te[i], tr[i], info = e.step(a[i])
                if te[i] or tr[i]:
                    ep_r[i], ep_l[i] = info["episode"]["r"], info["episode"]["l"]
        done = te | tr
        out.append((o, r, te, tr, auto, ep_r, ep_l))
    return out


class VectorTest(unittest.TestCase):
    def test_seeds_seed_plus_i(self):
        v = rlc.make_vec("CartPole-v1", 5)
        obs, info = v.reset(seed=10)
        self.assertEqual(info, {})
        self.assertEqual((obs.shape, obs.dtype), ((5, 4), np.float32))
        for i in range(5):
            self.assertTrue(same(obs[i], rlc.make("CartPole-v1").reset(seed=10 + i)[0]))
        obs2, _ = v.reset(seed=list(range(10, 15)))
        self.assertTrue(same(obs, obs2))
        v.close()

    def check_against_reference(self, env_id, n, steps, threads=1, **kwargs):
        v = rlc.make_vec(env_id, n, threads=threads, **kwargs)
        v.action_space.seed(3)
        actions = [v.action_space.sample() for _ in range(steps)]
        ref = reference_next_step(env_id, n, 7, actions, **kwargs)
        v.reset(seed=7)
        episodes = 0
        for t, (a, want) in enumerate(zip(actions, ref)):
            obs, rew, term, trunc, info = v.step(a)
            o, r, te, tr, auto, ep_r, ep_l = want
            self.assertTrue(same(obs, o), "step %d obs" % t)
            self.assertTrue(same(rew, r), "step %d rewards" % t)
            self.assertTrue(np.array_equal(term, te) and np.array_equal(trunc, tr), t)
            self.assertEqual((term.dtype, trunc.dtype, rew.dtype), (bool, bool, np.float64))
            self.assertTrue(np.array_equal(v.autoreset, auto), "step %d autoreset" % t)
            if (te | tr).any():
                episodes += int((te | tr).sum())
                self.assertTrue(np.array_equal(info["_episode"], te | tr))
                self.assertTrue(same(info["episode"]["r"], ep_r))
                self.assertTrue(np.array_equal(info["episode"]["l"], ep_l))
            else:
                self.assertNotIn("episode", info)
        self.assertGreater(episodes, 0)
        v.close()
        return episodes

    def test_next_step_autoreset_discrete(self):
        self.check_against_reference("CartPole-v1", 6, 150, max_episode_steps=30)

    def test_next_step_autoreset_box(self):
        self.check_against_reference("Pendulum-v1", 3, 80, max_episode_steps=25)

    def test_threads_do_not_change_results(self):
        self.check_against_reference("CartPole-v1", 8, 120, threads=2, max_episode_steps=20)
        runs = []
        for threads in (1, 2, 4):
            v = rlc.make_vec("Acrobot-v1", 8, threads=threads, max_episode_steps=15)
            self.assertEqual(v.num_threads, threads)
            rng = np.random.default_rng(0)
            v.reset(seed=1)
            trace = [v.step(rng.integers(0, 3, 8))[:4] for _ in range(40)]
            runs.append(trace)
            v.close()
        for other in runs[1:]:
            for x, y in zip(runs[0], other):
                self.assertTrue(all(same(p, q) for p, q in zip(x, y)))

    def test_same_step_autoreset(self):
        n = 4
        v = rlc.make_vec("CartPole-v1", n, autoreset_mode="same_step", max_episode_steps=10)
        self.assertEqual(v.metadata["autoreset_mode"], "SameStep")
        singles = [rlc.make("CartPole-v1", max_episode_steps=10) for _ in range(n)]
        v.reset(seed=0)
        for i, e in enumerate(singles):
            e.reset(seed=i)
        seen = 0
        for t in range(30):
            a = np.full(n, t % 2, np.int64)
            obs, rew, term, trunc, info = v.step(a)
            for i, e in enumerate(singles):
                o, r, te, tr, _ = e.step(int(a[i]))
                self.assertEqual((r, te, tr), (rew[i], term[i], trunc[i]))
                if te or tr:
                    seen += 1
                    self.assertTrue(same(info["final_obs"][i], o))
                    self.assertTrue(info["_final_obs"][i])
                    o = e.reset()[0]
                self.assertTrue(same(obs[i], o))
        self.assertGreater(seen, 0)

    def test_spaces(self):
        v = rlc.make_vec("CartPole-v1", 3)
        self.assertEqual(v.single_observation_space.shape, (4,))
        self.assertEqual(v.observation_space.shape, (3, 4))
        self.assertIsInstance(v.action_space, rlc.MultiDiscrete)
        self.assertTrue(np.array_equal(v.action_space.nvec, [2, 2, 2]))
        self.assertEqual(v.metadata["autoreset_mode"], "NextStep")
        v.reset(seed=0)
        v.action_space.seed(1)
        v.step(v.action_space.sample())
        p = rlc.make_vec("Pendulum-v1", 2)
        self.assertEqual(p.action_space.shape, (2, 1))
        self.assertEqual(p.observation_space.low.shape, (2, 3))
        p.reset(seed=0)
        p.step(p.action_space.sample())
        p.step([[0.5], [1e40]])  # lists and values beyond float32 (clipped) are accepted

    def test_copy_semantics(self):
        v = rlc.make_vec("CartPole-v1", 2)
        obs, _ = v.reset(seed=0)
        o1 = v.step(np.zeros(2, np.int64))[0]
        o2 = v.step(np.zeros(2, np.int64))[0]
        self.assertFalse(same(o1, o2))  # copies: the next step did not overwrite o1
        o1[:] = 0  # and writing into them does not touch the env
        self.assertFalse(same(v.step(np.zeros(2, np.int64))[0], o1))

    def test_views_outlive_close(self):
        v = rlc.make_vec("CartPole-v1", 4, copy=False)
        obs, _ = v.reset(seed=0)
        o, r, te, tr, _ = v.step(np.ones(4, np.int64))
        self.assertFalse(o.flags.writeable)
        self.assertIs(o, v.step(np.ones(4, np.int64))[0])  # the same view each step
        snapshot = o.copy()
        v.close()
        v.close()
        gc.collect()
        self.assertTrue(same(o, snapshot))  # memory kept alive by the view
        del o, r, te, tr, obs
        gc.collect()

    def test_stats_and_counters(self):
        v = rlc.make_vec("CartPole-v1", 4, max_episode_steps=5)
        v.reset(seed=0)
        for _ in range(12):
            v.step(np.zeros(4, np.int64))
        self.assertGreater(v.total_steps, 0)
        s = v.episode_stats()
        self.assertGreater(s["episodes"], 0)
        self.assertLessEqual(s["mean_length"], 5)
        self.assertEqual(v.episode_stats()["episodes"], 0)

    def test_sub_env_snapshot(self):
        v = rlc.make_vec("CartPole-v1", 3)
        v.reset(seed=5)
        v.step(np.array([0, 1, 0]))
        snap = v.get_state(1)
        e = rlc.make("CartPole-v1")
        e.set_state(snap)
        for k in range(5):
            a = np.array([1, k % 2, 1])
            obs = v.step(a)[0]
            self.assertTrue(same(obs[1], e.step(int(a[1]))[0]))

    def test_render(self):
        v = rlc.make_vec("CartPole-v1", 2)
        v.reset(seed=0)
        frames = v.render()
        self.assertEqual(len(frames), 2)
        self.assertEqual(frames[0].shape, (400, 600, 3))

    def test_errors(self):
        v = rlc.make_vec("CartPole-v1", 3)
        with self.assertRaises(rlc.StateError):
            v.step(np.zeros(3, np.int64))
        v.reset(seed=0)
        with self.assertRaises(rlc.RangeError) as cm:
            v.step(np.array([0, 5, 0]))
        self.assertIn("5", str(cm.exception))
        for bad, cls in ((np.zeros(2, np.int64), rlc.InvalidArgumentError),
                         (np.zeros((3, 1), np.int64), rlc.InvalidArgumentError),
                         (np.zeros(3), rlc.InvalidArgumentError),
                         ([0, 1, -1], rlc.RangeError),
                         (np.array(["a", "b", "c"]), rlc.InvalidArgumentError)):
            with self.assertRaises(cls):
                v.step(bad)
        with self.assertRaises(rlc.InvalidArgumentError):
            v.reset(seed=[0, 2, 3])
        with self.assertRaises(rlc.RangeError):
            v.reset(seed=-1)
        with self.assertRaises(rlc.RangeError):
            v.reset(seed=2 ** 63 - 2)
        p = rlc.make_vec("Pendulum-v1", 2)
        p.reset(seed=0)
        with self.assertRaises(rlc.RangeError) as cm:
            p.step(np.array([[0.0], [np.nan]], np.float32))
        self.assertIn("nan", str(cm.exception))
        for args, kw, cls in ((("CartPole-v1", 0), {}, rlc.InvalidArgumentError),
                              (("CartPole-v1", 2), {"threads": 3}, rlc.InvalidArgumentError),
                              (("CartPole-v1", 2), {"threads": -1}, rlc.InvalidArgumentError),
                              (("CartPole-v1", 2.5), {}, rlc.InvalidArgumentError),
                              (("CartPole-v1", 2), {"autoreset_mode": "x"},
                               rlc.InvalidArgumentError)):
            with self.assertRaises(cls):
                rlc.make_vec(*args, **kw)
        v.close()
        with self.assertRaises(rlc.StateError):
            v.step(np.zeros(3, np.int64))
        with self.assertRaises(rlc.StateError):
            v.reset()


if __name__ == "__main__":
    unittest.main()
