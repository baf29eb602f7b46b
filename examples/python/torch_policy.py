"""Loads an rlc PPO checkpoint into an equivalent torch.nn.Sequential and compares its action with
the rlc agent's.

    RLC_LIB=build/release/librlc.so PYTHONPATH=python \\
        python3 examples/python/torch_policy.py runs/ppo-CartPole-v1-s0/final.safetensors [--seed S]

The checkpoint is read with rlc's pure-Python safetensors reader; rlc's Linear weights are
stored [out, in] like PyTorch's, so they are copied into torch.nn.Linear unchanged. The actor
(src/algo/ppo.c) is: linear layers actor.0 .. actor.K, the hidden activation of rlc.config
("tanh" or "relu") after every layer but the last; the last gives the categorical logits
(Discrete: action = start + argmax) or the Gaussian mean (Box: action = mean clipped to the
bounds). With norm_obs the saved observation normaliser (obs_norm.mean / obs_norm.var) runs
first, as the first module of the Sequential. The rlc bindings are used for the environment
(an observation from a seeded reset and a few random steps) and for the agent's own action.
"""

import argparse
import json
import os
import sys

import numpy as np

try:
    import torch
    from torch import nn
except ImportError as e:  # torch is optional for rlc; this example needs it
    sys.exit("torch_policy.py needs PyTorch, which is not importable (%s).\n"
             "Install it (Debian: apt-get install python3-torch; else pip install torch) and "
             "run again." % e)

try:
    import rlc
except ImportError:  # run from a checkout without installing: use python/ of this tree
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                    "python"))
    import rlc

NORM_EPS = 1e-8  # epsilon of rlc's observation normaliser


class ObsNormalizer(nn.Module):
    """clip((x - mean) / sqrt(var + eps), -clip, clip), as rlc normalises observations."""

    def __init__(self, mean, var, clip):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(np.asarray(mean, np.float64)))
        self.register_buffer("std", torch.as_tensor(np.sqrt(np.asarray(var, np.float64) +
                                                            NORM_EPS)))
        self.clip = float(clip)

    def extra_repr(self):
        return "features=%d, clip=%g" % (self.mean.numel(), self.clip)

    def forward(self, x):
        y = (x.to(torch.float64) - self.mean) / self.std
        return y.clamp(-self.clip, self.clip).to(torch.float32)


def actor_from_checkpoint(ck):
    """torch.nn.Sequential equal to the actor of an rlc PPO checkpoint (float32)."""
    if ck.metadata.get("rlc.algo") != "ppo":
        raise SystemExit("%s: not a PPO checkpoint (rlc.algo=%r)" % (
            ck.path, ck.metadata.get("rlc.algo")))
    cfg = json.loads(ck.metadata["rlc.config"])
    act = {"tanh": nn.Tanh, "relu": nn.ReLU}[cfg["activation"]]
    n = 0
    while "actor.%d.weight" % n in ck:
        n += 1
    mods = []
    if cfg.get("norm_obs"):
        mods.append(ObsNormalizer(ck["obs_norm.mean"], ck["obs_norm.var"], cfg["norm_clip"]))
    for i in range(n):
        w, b = ck["actor.%d.weight" % i], ck["actor.%d.bias" % i]
        lin = nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(w, np.float32)))
            lin.bias.copy_(torch.from_numpy(np.ascontiguousarray(b, np.float32)))
        mods.append(lin)
        if i < n - 1:
            mods.append(act())
    return nn.Sequential(*mods).eval()


def torch_action(net, obs, action_space):
    """The deterministic action for one observation."""
    with torch.no_grad():
        out = net(torch.as_tensor(np.asarray(obs, np.float32)).unsqueeze(0))[0]
    if hasattr(action_space, "n"):  # Discrete
        return int(torch.argmax(out)) + int(getattr(action_space, "start", 0))
    low = torch.as_tensor(action_space.low, dtype=torch.float32)
    high = torch.as_tensor(action_space.high, dtype=torch.float32)
    return torch.maximum(torch.minimum(out, high), low).numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint", help="an rlc PPO checkpoint (final.safetensors, Agent.save)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the env reset (default 0)")
    ap.add_argument("--steps", type=int, default=10,
                    help="random steps after the reset before taking the observation")
    args = ap.parse_args()

    ck = rlc.load_safetensors(args.checkpoint)
    net = actor_from_checkpoint(ck)
    agent = rlc.load(args.checkpoint)
    print("checkpoint: %s (%s on %s)" % (args.checkpoint, ck.metadata["rlc.algo"],
                                         ck.metadata["rlc.env"]))
    print(net)

    kw = dict(t.split("=", 1) for t in agent.env_kwargs.split(",") if "=" in t)
    env = rlc.make(agent.env_id, **kw)
    env.action_space.seed(args.seed)
    obs, _ = env.reset(seed=args.seed)
    for _ in range(args.steps):
        obs, _, term, trunc, _ = env.step(env.action_space.sample())
        if term or trunc:
            obs, _ = env.reset()
    env.close()

    mine = torch_action(net, obs, agent.action_space)
    theirs = agent.predict(obs, deterministic=True)
    print("observation:", np.array2string(np.asarray(obs), precision=5))
    print("torch action:", mine)
    print("rlc action:  ", theirs)
    if hasattr(agent.action_space, "n"):
        same = int(mine) == int(theirs)
    else:
        same = bool(np.allclose(mine, theirs, rtol=0, atol=1e-5))
    print("match" if same else "MISMATCH")
    agent.close()
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
