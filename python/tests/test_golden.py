"""Every golden trajectory of tests/data/golden (Gymnasium's own numbers) replayed through the
Python API: seeded resets and their continuation, set_state records, every step's obs, state
vector, reward, terminated and truncated compared exactly (float32 obs widened to float64 and
compared with ==). MuJoCo files are replayed free-running when the MuJoCo envs can be made."""

import glob
import json
import os
import unittest

import numpy as np

import rlc
from helpers import GOLDEN, golden_array, golden_num, mujoco_available, same


class Replay:
    def __init__(self, tc, path, mujoco):
        self.tc = tc
        self.path = path
        self.mujoco = mujoco
        self.env = None
        self.env_id = None
        self.traj = None
        self.counts = {"seed_reset": 0, "reset": 0, "set_state": 0, "step": 0}
        self.mismatches = []
        self.nq = None

    def bad(self, line, msg):
        if len(self.mismatches) < 10:
            self.mismatches.append("%s:%d (%s): %s" % (os.path.basename(self.path), line,
                                                       self.traj, msg))

    def new_env(self):
        if self.env is not None:
            self.env.close()
        self.env = rlc.make(self.env_id)

    def reset_with(self, seed):
        # ints of any size (big seeds are decimal strings in the file), or None
        s = None if seed is None else int(seed)
        return self.env.reset(seed=s)[0]

    def cmp(self, line, what, got, want):
        want = golden_array(want)
        if got.shape != want.shape or not same(got, want):
            self.bad(line, "%s = %r, golden %r" % (what, got.tolist(), want.tolist()))

    def state(self):
        return self.env.get_state_vector()

    def golden_state(self, rec):
        if self.mujoco:
            return list(rec["qpos"]) + list(rec["qvel"])
        return rec["state"]

    def run(self):
        with open(self.path) as f:
            for line, text in enumerate(f, 1):
                self.record(line, json.loads(text))
        if self.env is not None:
            self.env.close()
        return self.counts, self.mismatches

    def record(self, line, rec):
        kind = rec["kind"]
        if kind == "meta":
            self.env_id = rec["env_id"]
            self.new_env()
            env = self.env
            self.tc.assertEqual(env.max_episode_steps, rec["max_episode_steps"])
            thr = rec.get("reward_threshold")
            self.tc.assertEqual(env.spec.reward_threshold, thr)
            os_ = rec["observation_space"]
            self.tc.assertEqual(str(env.observation_space.dtype), os_["dtype"])
            self.tc.assertEqual(list(env.observation_space.shape), os_["shape"])
            if "low" in os_:
                self.tc.assertTrue(same(env.observation_space.low, golden_array(os_["low"])))
                self.tc.assertTrue(same(env.observation_space.high, golden_array(os_["high"])))
            as_ = rec["action_space"]
            if as_.get("type") == "Discrete":
                self.tc.assertIsInstance(env.action_space, rlc.Discrete)
                self.tc.assertEqual(env.action_space.n, as_["n"])
                self.tc.assertEqual(env.action_space.start, as_["start"])
            else:
                self.tc.assertTrue(same(env.action_space.low, golden_array(as_["low"])))
                self.tc.assertTrue(same(env.action_space.high, golden_array(as_["high"])))
            if self.mujoco:
                self.nq = rec["nq"]
                self.tc.assertEqual(len(env.state_names), rec["nq"] + rec["nv"])
            return
        if kind == "seed_reset":
            self.traj = "seed_reset"
            if not self.mujoco:  # the C test makes a fresh classic env per record too
                self.new_env()
            obs = self.reset_with(rec["seed"])
            self.cmp(line, "obs", obs, rec["obs"])
            self.cmp(line, "state", self.state(), self.golden_state(rec))
            if "next_reset_obs" in rec:
                obs = self.reset_with(None)
                self.cmp(line, "next_reset_obs", obs, rec["next_reset_obs"])
                self.cmp(line, "next_reset_state", self.state(), rec["next_reset_state"])
            self.counts[kind] += 1
            return
        traj = rec["traj"]
        if traj != self.traj:
            self.traj = traj
            if not self.mujoco:
                self.new_env()
        if kind == "reset":
            obs = self.reset_with(rec.get("seed"))
            self.cmp(line, "obs", obs, rec["obs"])
            self.cmp(line, "state", self.state(), self.golden_state(rec))
        elif kind == "set_state":
            # Gymnasium: reset(seed=0), then env.unwrapped.state = state (MuJoCo: set_state)
            self.env.reset(seed=0)
            st = golden_array(self.golden_state(rec))
            self.env.set_state_vector(st)
            self.cmp(line, "state", self.state(), st)
            if "obs_of_state" in rec:
                self.cmp(line, "obs_of_state", self.env.observe(), rec["obs_of_state"])
        elif kind == "step":
            act = rec["action"]
            if isinstance(self.env.action_space, rlc.Discrete):
                action = int(act)
            else:
                action = np.array([golden_num(a) for a in act], dtype=np.float64)
            obs, reward, term, trunc, info = self.env.step(action)
            self.cmp(line, "obs", obs, rec["obs"])
            self.cmp(line, "state", self.state(), self.golden_state(rec))
            if not same(reward, golden_num(rec["reward"])):
                self.bad(line, "reward = %r, golden %r" % (reward, rec["reward"]))
            if term != rec["terminated"] or trunc != rec["truncated"]:
                self.bad(line, "terminated/truncated = %s/%s, golden %s/%s" % (
                    term, trunc, rec["terminated"], rec["truncated"]))
            if (term or trunc) != ("episode" in info):
                self.bad(line, "info['episode'] present = %s at the end = %s" % (
                    "episode" in info, term or trunc))
        else:
            self.tc.fail("%s:%d: unknown record kind %r" % (self.path, line, kind))
        self.counts[kind] += 1


class GoldenTest(unittest.TestCase):
    def replay(self, path, mujoco):
        counts, bad = Replay(self, path, mujoco).run()
        self.assertEqual(bad, [], "\n".join(bad))
        self.assertGreater(counts["step"], 100, counts)
        self.assertGreater(counts["reset"] + counts["seed_reset"], 0, counts)
        return counts

    def test_classic(self):
        files = sorted(glob.glob(os.path.join(GOLDEN, "*.jsonl")))
        self.assertGreaterEqual(len(files), 5, "golden files missing under %s" % GOLDEN)
        for path in files:
            with self.subTest(file=os.path.basename(path)):
                self.replay(path, False)

    def test_classic_counts(self):
        # the same records as tests/env/test_classic_golden.c checks for CartPole
        counts = self.replay(os.path.join(GOLDEN, "CartPole-v1.jsonl"), False)
        self.assertEqual(counts, {"seed_reset": 20, "reset": 55, "set_state": 3, "step": 1732})

    @unittest.skipUnless(mujoco_available(), "rlc built without libmujoco")
    def test_mujoco(self):
        files = sorted(glob.glob(os.path.join(GOLDEN, "mujoco", "*.jsonl")))
        self.assertGreaterEqual(len(files), 10)
        for path in files:
            with self.subTest(file=os.path.basename(path)):
                self.replay(path, True)


if __name__ == "__main__":
    unittest.main()
