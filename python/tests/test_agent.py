"""Agents from Python: rlc.train with a seed gives the same agent (bit-identical parameters) and
the same final return as `rlc train` with that seed; predict (single and batched, matching a
NumPy forward of the saved actor), evaluate, save/load round trips, and errors (unknown
algorithm or hyperparameter, bad values)."""

import os
import re
import subprocess
import unittest

import numpy as np

import rlc
from rlc import _lib as L
from helpers import TmpDirCase, rlc_binary

STEPS = 2048
SEED = 3
HP = {"num_envs": 4, "n_steps": 64}


@unittest.skipUnless(L.HAVE_AGENTS, "library without the agent layer")
class AgentTest(TmpDirCase):
    def test_python_equals_cli(self):
        exe = rlc_binary()
        if exe is None:
            self.skipTest("rlc program not found beside %s" % rlc.LIB_PATH)
        out_dir = os.path.join(self.tmp, "run")
        cmd = [exe, "train", "--env", "CartPole-v1", "--algo", "ppo", "--steps", str(STEPS),
               "--seed", str(SEED), "--out", out_dir]
        for k, v in HP.items():
            cmd += ["--set", "%s=%s" % (k, v)]
        p = subprocess.run(cmd, capture_output=True, text=True,
                           env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        m = re.search(r"done: (\d+) steps, (\d+) episodes, recent return ([^,\s]+)", p.stdout)
        self.assertIsNotNone(m, p.stdout)

        agent = rlc.train("CartPole-v1", "ppo", steps=STEPS, seed=SEED, **HP)
        res = agent.last_train
        self.assertEqual(res["steps"], int(m.group(1)))
        self.assertEqual(res["episodes"], int(m.group(2)))
        self.assertEqual("%.2f" % res["mean_return"], m.group(3))
        mine = os.path.join(self.tmp, "py.safetensors")
        agent.save(mine)
        a = rlc.load_safetensors(mine)
        b = rlc.load_safetensors(os.path.join(out_dir, "final.safetensors"))
        self.assertEqual(sorted(a), sorted(b))
        for k in a:
            self.assertTrue(np.array_equal(a[k], b[k]), "tensor %s differs" % k)
        self.assertEqual(a.metadata["rlc.config"], b.metadata["rlc.config"])
        # and the CLI's checkpoint loads into Python
        c = rlc.load(os.path.join(out_dir, "final.safetensors"))
        self.assertEqual((c.algo, c.env_id), ("ppo", "CartPole-v1"))
        self.assertEqual(c.config["num_envs"], 4)
        agent.close()
        c.close()

    def test_predict_matches_numpy_actor(self):
        agent = rlc.train("CartPole-v1", "ppo", steps=1024, seed=1, **HP)
        path = os.path.join(self.tmp, "a.safetensors")
        agent.save(path)
        ck = rlc.load_safetensors(path)
        self.assertEqual(ck.metadata["rlc.algo"], "ppo")
        self.assertEqual(ck.metadata["rlc.env"], "CartPole-v1")
        env = rlc.make("CartPole-v1")
        obs = np.stack([env.reset(seed=s)[0] for s in range(32)])
        obs = obs * np.float32(20)  # spread the inputs so the logits are far from ties
        h = obs.astype(np.float64)
        nl = 1 + max(int(k.split(".")[1]) for k in ck if k.startswith("actor."))
        for i in range(nl):
            h = h @ ck["actor.%d.weight" % i].T.astype(np.float64) + ck["actor.%d.bias" % i]
            if i < nl - 1:
                h = np.tanh(h)
        want = np.argmax(h, axis=1)
        clear = np.abs(h[:, 0] - h[:, 1]) > 1e-4
        got = agent.predict(obs)  # a batch of 32: acted in chunks of num_envs
        self.assertEqual((got.shape, got.dtype), ((32,), np.int64))
        self.assertTrue(np.array_equal(got[clear], want[clear]))
        one = agent.predict(obs[0])
        self.assertEqual(np.asarray(one).shape, ())
        self.assertEqual(int(one), int(got[0]))
        for b in (1, 3, 4, 5, 9):  # batches of any size
            self.assertTrue(np.array_equal(agent.predict(obs[:b]), got[:b]))
        s = agent.predict(obs, deterministic=False)
        self.assertTrue(np.all((s == 0) | (s == 1)))

    def test_save_load_evaluate(self):
        agent = rlc.train("Pendulum-v1", "ppo", steps=512, seed=2, num_envs=2, n_steps=64)
        self.assertEqual(agent.action_space.shape, (1,))
        path = os.path.join(self.tmp, "p.safetensors")
        agent.save(path)
        back = rlc.load(path)
        obs = rlc.make("Pendulum-v1").reset(seed=0)[0]
        a1, a2 = agent.predict(obs), back.predict(obs)
        self.assertEqual((a1.shape, a1.dtype), ((1,), np.float32))
        self.assertTrue(np.array_equal(a1, a2))
        r1 = agent.evaluate(episodes=2, seed=5)
        r2 = back.evaluate(episodes=2, seed=5)
        self.assertEqual(r1.shape, (2,))
        self.assertTrue(np.array_equal(r1, r2))
        self.assertEqual(back.config, agent.config)

    def test_train_continues(self):
        agent = rlc.create_agent("CartPole-v1", "ppo", seed=4, **HP)
        r = agent.train(512, seed=4)
        self.assertEqual(r["steps"], 512)
        self.assertGreater(r["updates"], 0)
        agent.train(256, seed=5)
        self.assertEqual(agent.last_train["steps"], 256)
        self.assertIn("ppo", rlc.algorithms())

    def test_add_transition(self):
        agent = rlc.create_agent("Pendulum-v1", "sac", seed=0, hidden=16, batch_size=8,
                                 learning_starts=0, fused=True)
        self.assertTrue(agent.config["fused"])
        o = np.array([1.0, 0.0, 0.5], np.float32)
        for _ in range(16):  # demonstrations enough for a first batch, then training goes on
            agent.add_transition(o, np.array([0.5], np.float32), -1.0, o)
        agent.train(64, seed=1)
        self.assertGreater(agent.last_train["updates"], 0)
        with self.assertRaises(rlc.InvalidArgumentError) as cm:
            agent.add_transition(np.array([np.nan, 0, 0]), [0.5], 0.0, o)
        self.assertIn("observation element 0 is not finite", str(cm.exception))
        with self.assertRaises(rlc.InvalidArgumentError) as cm:
            agent.add_transition(o, [0.5, 0.1], 0.0, o)
        self.assertIn("action has shape (2,)", str(cm.exception))
        ppo = rlc.create_agent("CartPole-v1", "ppo", seed=0, **HP)
        with self.assertRaises(rlc.UnsupportedError) as cm:
            ppo.add_transition(np.zeros(4), 1, 0.0, np.zeros(4))
        self.assertIn("ppo has no replay buffer", str(cm.exception))

    def test_errors(self):
        with self.assertRaises(rlc.NotFoundError) as cm:
            rlc.train("CartPole-v1", "ppoo", steps=10)
        self.assertIn("unknown algorithm 'ppoo'", str(cm.exception))
        with self.assertRaises(rlc.NotFoundError) as cm:
            rlc.train("CartPole-v1", "ppo", steps=10, lrr=0.1)
        self.assertIn("did you mean 'lr'", str(cm.exception))
        with self.assertRaises(rlc.RangeError):
            rlc.train("CartPole-v1", "ppo", steps=10, gamma=2.0)
        with self.assertRaises(rlc.InvalidArgumentError):
            rlc.train("CartPole-v1", "ppo", steps=10, n_steps=1.5)
        with self.assertRaises(rlc.InvalidArgumentError):
            rlc.train("CartPole-v1", "ppo", steps=10, activation="selu")
        with self.assertRaises(rlc.InvalidArgumentError):
            rlc.train("CartPole-v1", "ppo", steps=0)
        with self.assertRaises(rlc.NotFoundError):
            rlc.train("CartPol-v1", "ppo", steps=10)
        with self.assertRaises(rlc.NotFoundError):
            rlc.load(os.path.join(self.tmp, "missing.safetensors"))
        plain = os.path.join(self.tmp, "plain.safetensors")
        rlc.save_safetensors(plain, {"x": np.zeros(2, np.float32)})
        with self.assertRaises(rlc.FormatError) as cm:
            rlc.load(plain)
        self.assertIn("not an rlc agent checkpoint", str(cm.exception))
        agent = rlc.create_agent("CartPole-v1", "ppo", seed=0, **HP)
        with self.assertRaises(rlc.InvalidArgumentError):
            agent.predict(np.zeros(3, np.float32))
        with self.assertRaises(rlc.InvalidArgumentError):
            agent.predict(np.array(["a"] * 4))
        agent.close()
        agent.close()
        with self.assertRaises(rlc.StateError):
            agent.predict(np.zeros(4, np.float32))


if __name__ == "__main__":
    unittest.main()
