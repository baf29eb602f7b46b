"""A PPO checkpoint is self-describing: the actor rebuilt in plain NumPy from the tensors and the
metadata of the saved file (read with rlc's pure-Python safetensors reader, no C involved)
chooses the same deterministic actions as the agent's predict(obs, deterministic=True).

The checkpoint's actor (src/algo/ppo.c): linear layers "actor.<i>.weight" [out, in] and
"actor.<i>.bias" [out]; every layer but the last is followed by the hidden activation of
rlc.config ("tanh" or "relu"); the last gives the categorical logits (Discrete: action = start +
argmax) or the Gaussian mean (Box: action = mean clipped to the space's bounds; "actor_logstd"
only matters when sampling). With norm_obs, observations first go through the saved running
normaliser "obs_norm.mean" / "obs_norm.var" (float64): clip((x - mean) / sqrt(var + 1e-8),
-norm_clip, norm_clip), rounded to float32 before the network.

Covered: CartPole-v1 (tanh, trained), CartPole-v1 (relu, one hidden layer, norm_obs),
Pendulum-v1 (Box, trained, with and without norm_obs)."""

import json
import os
import unittest

import numpy as np

import rlc
from rlc import _lib as L
from helpers import TmpDirCase

NORM_EPS = 1e-8  # the normaliser's epsilon (rlc_normalizer_create in src/algo/ppo.c)


class NumpyActor:
    """The deterministic policy of a PPO checkpoint in NumPy (float64 forward)."""

    def __init__(self, ck):
        if ck.metadata.get("rlc.algo") != "ppo":
            raise ValueError("not a PPO checkpoint: rlc.algo=%r" % ck.metadata.get("rlc.algo"))
        self.config = json.loads(ck.metadata["rlc.config"])
        act = self.config["activation"]
        self.act = {"tanh": np.tanh, "relu": lambda h: np.maximum(h, 0.0)}[act]
        n = 0
        while "actor.%d.weight" % n in ck:
            n += 1
        if n == 0:
            raise ValueError("no actor.0.weight in the checkpoint")
        self.layers = [(ck["actor.%d.weight" % i].astype(np.float64),
                        ck["actor.%d.bias" % i].astype(np.float64)) for i in range(n)]
        self.norm = None
        if self.config.get("norm_obs"):
            self.norm = (ck["obs_norm.mean"], ck["obs_norm.var"], float(self.config["norm_clip"]))
        self.logstd = ck.get("actor_logstd")

    def normalize(self, obs):
        x = np.asarray(obs, np.float32).astype(np.float64)
        if self.norm is None:
            return x
        mean, var, clip = self.norm
        return np.clip((x - mean) / np.sqrt(var + NORM_EPS), -clip, clip).astype(np.float32)

    def forward(self, obs):
        """The actor's output (logits or mean) for a batch [B, obs_size], float64."""
        h = self.normalize(obs).astype(np.float64)
        for i, (w, b) in enumerate(self.layers):
            h = h @ w.T + b
            if i < len(self.layers) - 1:
                h = self.act(h)
        return h


@unittest.skipUnless(L.HAVE_AGENTS, "library without the agent layer")
class PolicyNumpyTest(TmpDirCase):
    def observations(self, env_id, n=64, seed=0):
        """Observations of a few seeded episodes under random actions."""
        env = rlc.make(env_id)
        env.action_space.seed(seed)
        out = []
        obs, _ = env.reset(seed=seed)
        while len(out) < n:
            out.append(obs)
            obs, _, term, trunc, _ = env.step(env.action_space.sample())
            if term or trunc:
                obs, _ = env.reset()
        env.close()
        return np.array(out, np.float32)

    def roundtrip(self, agent, name):
        path = os.path.join(self.tmp, name + ".safetensors")
        agent.save(path)
        ck = rlc.load_safetensors(path)
        self.assertEqual(ck.metadata["rlc.env"], agent.env_id)
        actor = NumpyActor(ck)
        self.assertEqual("obs_norm.mean" in ck, bool(agent.config["norm_obs"]))
        return ck, actor

    def check_discrete(self, agent, name, obs):
        ck, actor = self.roundtrip(agent, name)
        cfg = actor.config
        sizes = [actor.layers[0][0].shape[1]] + [w.shape[0] for w, _ in actor.layers]
        self.assertEqual(sizes, [agent.observation_space.shape[0]] +
                         [cfg["hidden"]] * cfg["layers"] + [int(agent.action_space.n)])
        logits = actor.forward(obs)
        want = np.argmax(logits, axis=1) + int(getattr(agent.action_space, "start", 0))
        self.assertGreater(len(np.unique(want)), 1, "one action for every observation")
        got = agent.predict(obs, deterministic=True)
        self.assertEqual((got.shape, got.dtype), ((len(obs),), np.int64))
        # exact, except where two logits tie to within float32 rounding of the C forward
        top2 = np.sort(logits, axis=1)[:, -2:]
        tie = (top2[:, 1] - top2[:, 0]) <= 1e-5 * np.maximum(1.0, np.abs(top2[:, 1]))
        self.assertLess(int(tie.sum()), max(1, len(obs) // 10), "too many near-ties")
        self.assertTrue(np.array_equal(got[~tie], want[~tie]),
                        "numpy %s vs agent %s" % (want[~tie], got[~tie]))
        # one observation at a time as well (the agent's batch-of-1 graph)
        for i in np.flatnonzero(~tie)[:8]:
            self.assertEqual(int(agent.predict(obs[i])), int(want[i]))
        # a reloaded agent acts the same
        back = rlc.load(ck.path)
        self.assertTrue(np.array_equal(back.predict(obs), got))
        back.close()

    def check_box(self, agent, name, obs):
        ck, actor = self.roundtrip(agent, name)
        n_act = agent.action_space.shape[0]
        self.assertEqual(actor.layers[-1][0].shape[0], n_act)
        self.assertEqual(actor.logstd.shape, (n_act,))
        mean = actor.forward(obs)
        low = agent.action_space.low.astype(np.float64)
        high = agent.action_space.high.astype(np.float64)
        want = np.clip(mean, low, high)
        got = agent.predict(obs, deterministic=True)
        self.assertEqual((got.shape, got.dtype), ((len(obs), n_act), np.float32))
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
        self.assertTrue(np.all(got >= agent.action_space.low) and
                        np.all(got <= agent.action_space.high))
        for i in range(4):
            np.testing.assert_allclose(agent.predict(obs[i]), want[i], rtol=0, atol=1e-5)
        return mean

    def test_cartpole_tanh(self):
        agent = rlc.train("CartPole-v1", "ppo", steps=2048, seed=1, num_envs=4, n_steps=64,
                          norm_obs=False)
        obs = self.observations("CartPole-v1", 64, seed=0)
        self.check_discrete(agent, "cartpole", obs)
        self.check_discrete(agent, "cartpole", obs * np.float32(5))  # beyond the visited range
        agent.close()

    def test_cartpole_relu_norm_obs(self):
        agent = rlc.train("CartPole-v1", "ppo", steps=4096, seed=2, num_envs=4, n_steps=64,
                          activation="relu", layers=1, hidden=32, norm_obs=True)
        ck = rlc.load_safetensors(self._save(agent))
        self.assertIn("obs_norm.mean", ck)
        self.assertFalse(np.all(ck["obs_norm.mean"] == 0))  # the normaliser has been updated
        obs = self.observations("CartPole-v1", 64, 3)
        self.check_discrete(agent, "cartpole_relu", np.concatenate([obs, obs * np.float32(5)]))
        agent.close()

    def test_pendulum(self):
        agent = rlc.train("Pendulum-v1", "ppo", steps=1024, seed=3, num_envs=2, n_steps=128,
                          norm_obs=False)
        obs = self.observations("Pendulum-v1", 64, seed=1)
        self.check_box(agent, "pendulum", obs)
        agent.close()

    def test_pendulum_norm_obs_clipped(self):
        agent = rlc.train("Pendulum-v1", "ppo", steps=1024, seed=4, num_envs=2, n_steps=128,
                          norm_obs=True, norm_clip=5.0, hidden=16)
        obs = self.observations("Pendulum-v1", 64, seed=2)
        self.check_box(agent, "pendulum_norm", obs)
        # scale up the last layer so that some means fall outside [-2, 2]: the clip is checked
        path = self._save(agent)
        ck = rlc.load_safetensors(path)
        last = max(int(k.split(".")[1]) for k in ck if k.startswith("actor.") and
                   k.endswith(".weight"))
        tensors = dict(ck)
        tensors["actor.%d.weight" % last] = ck["actor.%d.weight" % last] * np.float32(400)
        tensors["actor.%d.bias" % last] = ck["actor.%d.bias" % last] + np.float32(0.5)
        big = os.path.join(self.tmp, "big.safetensors")
        rlc.save_safetensors(big, tensors, ck.metadata)
        scaled = rlc.load(big)
        mean = self.check_box(scaled, "pendulum_big", obs)
        self.assertTrue(np.any(np.abs(mean) > 2.0), "no mean outside the bounds to clip")
        self.assertTrue(np.any(np.abs(mean) < 2.0), "every mean outside the bounds")
        scaled.close()
        agent.close()

    def test_untrained(self):
        agent = rlc.create_agent("Pendulum-v1", "ppo", seed=7, num_envs=2)
        self.check_box(agent, "pendulum_untrained", self.observations("Pendulum-v1", 16))
        agent.close()

    def _save(self, agent):
        path = os.path.join(self.tmp, "probe.safetensors")
        agent.save(path)
        return path


if __name__ == "__main__":
    unittest.main()
