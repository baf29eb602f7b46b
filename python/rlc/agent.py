"""Agents over the C agent API (include/rlc/agent.h): rlc.train(env_id, algo, steps, seed,
**hyperparameters) -> Agent, Agent.predict/evaluate/save, and rlc.load(path). Hyperparameters
go through the algorithm's config table exactly as `rlc train --set key=value` does (same
tuned per-env defaults file, same parsing and error messages), so the same seed gives the
same agent from Python and from the command line."""

import ctypes
import os

import numpy as np

from . import _lib as L
from . import spaces as S
from .env import format_kwargs
from .errors import InvalidArgumentError, StateError, UnsupportedError


def _require():
    if not L.HAVE_AGENTS:
        raise UnsupportedError("%s was built without the agent layer" % L.LIB_PATH)


def algorithms():
    """Names of the algorithms the library has ("ppo", ...)."""
    _require()
    return [L.pystr(L.rlc_algo_name(i)) for i in range(L.rlc_algo_count())]


def _value_text(key, v):
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return v
    raise InvalidArgumentError("%s: expected a number, bool or string, got %r" % (key, v))


def _config_dict(table, cfg):
    """Every field of a config struct as Python values, in table order."""
    t = table.contents
    out = {}
    buf = ctypes.create_string_buffer(1024)
    for i in range(t.n_fields):
        f = t.fields[i]
        name = f.name
        L.check(L.rlc_config_get(table, cfg, name, buf, len(buf)))
        text = buf.value.decode()
        if f.type == L.CONFIG_REAL:
            out[name.decode()] = float(text)
        elif f.type == L.CONFIG_INT:
            out[name.decode()] = int(float(text)) if "e" in text else int(text)
        elif f.type == L.CONFIG_BOOL:
            out[name.decode()] = text == "true"
        else:
            out[name.decode()] = text
    return out


def defaults_path(algo):
    """The tuned per-env defaults file `rlc train` applies (defaults/<algo>.json found by
    rlc_data_find: $RLC_DATA_DIR, the installed share folder, ./data, the source tree's
    data/), or None when there is none."""
    rel = "defaults/%s.json" % algo
    if L.rlc_data_find is not None:
        buf = ctypes.create_string_buffer(4096)
        if L.rlc_data_find(L.cstr(rel), buf, len(buf)) == 0:
            return buf.value.decode()
        L.rlc_clear_error()
        return None
    d = os.environ.get("RLC_DATA_DIR")  # a library without rlc_data_find
    for base in ([d] if d else []) + ["data", os.path.join(L.REPO_ROOT, "data")]:
        p = os.path.join(base, rel)
        if os.path.isfile(p):
            return p
    return None


def make_config(algo, env_id, tuned_defaults=True, **hyperparameters):
    """A config struct (ctypes buffer) of `algo`: table defaults, then the tuned per-env
    defaults (when tuned_defaults), then the hyperparameters (rlc_config_set: unknown keys
    raise NotFoundError with a suggestion, bad values InvalidArgumentError/RangeError)."""
    _require()
    table = L.rlc_algo_config_table(L.cstr(algo))
    if not table:
        h = ctypes.c_void_p()  # let rlc_agent_create word the error (it lists the algorithms)
        L.check(L.rlc_agent_create(ctypes.byref(h), L.cstr(algo), L.cstr(env_id), None, None, 0))
        L.rlc_agent_destroy(h)  # pragma: no cover - unreachable: the algorithm is unknown
    cfg = ctypes.create_string_buffer(table.contents.size)
    L.rlc_config_defaults(table, cfg)
    if tuned_defaults:
        p = defaults_path(algo)
        if p:
            L.check(L.rlc_config_apply_env_defaults(table, cfg, L.cstr(p), L.cstr(env_id), None))
    for k, v in hyperparameters.items():
        L.check(L.rlc_config_set(table, cfg, L.cstr(k), L.cstr(_value_text(k, v))))
    return table, cfg


class Agent:
    """A trained (or loaded) rlc agent: predict(obs) chooses actions, train() trains further,
    evaluate() runs seeded episodes, save(path) writes one safetensors file that rlc.load
    and `rlc eval` read. `config` holds every hyperparameter, `last_train` the numbers of the
    last training run (steps, episodes, updates, mean_return, seconds)."""

    def __init__(self, handle):
        self._h = handle
        self.algo = L.pystr(L.rlc_agent_algo(handle))
        self.env_id = L.pystr(L.rlc_agent_env_id(handle))
        self.env_kwargs = L.pystr(L.rlc_agent_env_kwargs(handle))
        self.num_envs = int(L.rlc_agent_num_envs(handle))
        self.config = _config_dict(L.rlc_agent_config_table(handle), L.rlc_agent_config(handle))
        self.last_train = None
        from .env import Env
        kw = dict(tok.split("=", 1) for tok in self.env_kwargs.split(",") if "=" in tok)
        probe = Env(self.env_id, **kw)
        self._obs_space, self._act_space = probe._obs_space, probe._act_space
        probe.close()
        self.observation_space = S.to_gymnasium(self._obs_space)
        self.action_space = S.to_gymnasium(self._act_space)
        self._obs_shape = tuple(self._obs_space.shape)
        self._obs_size = int(np.prod(self._obs_shape, dtype=np.int64))
        self._act_shape = tuple(self._act_space.shape)
        self._act_dtype = self._act_space.dtype

    def _handle(self):
        if self._h is None:
            raise StateError("the agent is closed")
        return self._h

    def close(self):
        h, self._h = self._h, None
        if h:
            L.rlc_agent_destroy(h)

    def __del__(self):
        try:
            self.close()
        except Exception:  # pragma: no cover
            pass

    def __repr__(self):
        return "<rlc.Agent %s on %s>" % (self.algo, self.env_id)

    def predict(self, obs, deterministic=True):
        """Actions for one observation (shape observation_space.shape) or a batch (B, ...):
        returns one action, or B actions, in the action space's dtype (int64 for Discrete).
        deterministic=True takes the mode (argmax / mean); False samples from the agent's
        RNG."""
        h = self._handle()
        o = np.asarray(obs)
        if o.dtype.kind not in "fiub":
            raise InvalidArgumentError("obs has dtype %s; expected numbers" % o.dtype)
        single = o.shape == self._obs_shape
        if not single and o.shape[1:] != self._obs_shape:
            raise InvalidArgumentError("obs has shape %s; expected %s or (batch,) + %s" % (
                o.shape, self._obs_shape, self._obs_shape))
        o = np.ascontiguousarray(o.reshape(-1, self._obs_size), dtype=np.float32)
        b = o.shape[0]
        out = np.empty((b,) + self._act_shape, self._act_dtype)
        det = 1 if deterministic else 0
        i = 0
        n = self.num_envs
        while i < b:  # the agent acts on batches of 1 or num_envs
            k = n if b - i >= n else 1
            L.check(L.rlc_agent_act(h, ctypes.c_void_p(o[i:].ctypes.data), k,
                                    ctypes.c_void_p(out[i:].ctypes.data), det))
            i += k
        return out[0] if single else out

    def add_transition(self, obs, action, reward, next_obs, terminated=False, truncated=False):
        """Puts one transition into the agent's replay buffer (SAC, TD3 without critic_state):
        demonstrations, or an expert's steps the agent did not take itself. The action is in
        env units (clipped to the Box). UnsupportedError for agents without a replay buffer,
        InvalidArgumentError for wrong shapes or non-finite values (nothing is added)."""
        h = self._handle()
        o = np.array(obs, dtype=np.float32, order="C")  # (a copy; keeps 0-d shapes)
        nx = np.array(next_obs, dtype=np.float32, order="C")
        a = np.array(action, dtype=np.float32, order="C")
        for name, x, shape in (("obs", o, self._obs_shape), ("next_obs", nx, self._obs_shape),
                               ("action", a, self._act_shape)):
            if x.shape != shape:
                raise InvalidArgumentError("%s has shape %s; expected %s" % (name, x.shape, shape))
        L.check(L.rlc_agent_add_transition(h, ctypes.c_void_p(o.ctypes.data),
                                           ctypes.c_void_p(a.ctypes.data), float(reward),
                                           ctypes.c_void_p(nx.ctypes.data),
                                           1 if terminated else 0, 1 if truncated else 0))

    def train(self, steps, seed=0, log_interval=0, verbose=False, stop_return=0.0):
        """Trains for `steps` env steps on a fresh vector env reset with `seed` (sub-env i with
        seed + i), exactly as `rlc train` does. Returns (and stores in last_train) a dict of
        steps, episodes, updates, mean_return (NaN before any episode ended), seconds."""
        h = self._handle()
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps <= 0:
            raise InvalidArgumentError("steps must be a positive integer, got %r" % (steps,))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or \
                not 0 <= seed < 2 ** 64:
            raise InvalidArgumentError("seed must be an integer in [0, 2**64), got %r" % (seed,))
        opt = L.TrainOptions()
        opt.total_steps = int(steps)
        opt.log_interval = int(log_interval)
        opt.stop_return = float(stop_return)
        if verbose:
            opt.print = _c_stdout()
        res = L.TrainResult()
        L.check(L.rlc_agent_train(h, int(seed), ctypes.byref(opt), ctypes.byref(res)))
        self.last_train = {"steps": res.steps, "episodes": res.episodes,
                           "updates": res.updates, "mean_return": res.mean_return,
                           "seconds": res.seconds}
        return self.last_train

    def evaluate(self, episodes=10, seed=0, deterministic=True):
        """Returns of `episodes` episodes on a fresh env (episode i reset with seed + i) as a
        float64 array."""
        h = self._handle()
        episodes = int(episodes)
        if episodes < 0:
            raise InvalidArgumentError("episodes must be >= 0")
        out = np.zeros(episodes, np.float64)
        L.check(L.rlc_agent_evaluate(h, episodes, int(seed), 0 if deterministic else 1,
                                     ctypes.c_void_p(out.ctypes.data), None, 0, 0))
        return out

    def save(self, path):
        """Writes the agent (parameters, optimizer state, config, env id) to one safetensors
        file, atomically (RlcIOError on failure)."""
        L.check(L.rlc_agent_save(self._handle(), L.cstr(os.fspath(path))))


def _c_stdout():
    libc = ctypes.CDLL(None)
    return ctypes.c_void_p.in_dll(libc, "stdout").value


def create(env_id, algo="ppo", seed=0, env_kwargs=None, tuned_defaults=True,
           **hyperparameters):
    """An untrained Agent (see train for the arguments)."""
    _require()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or \
            not 0 <= seed < 2 ** 64:
        raise InvalidArgumentError("seed must be an integer in [0, 2**64), got %r" % (seed,))
    kw = format_kwargs(env_kwargs or {})
    table, cfg = make_config(algo, env_id, tuned_defaults, **hyperparameters)
    h = ctypes.c_void_p()
    L.check(L.rlc_agent_create(ctypes.byref(h), L.cstr(algo), L.cstr(env_id), L.cstr(kw), cfg,
                               int(seed)))
    try:
        return Agent(h)
    except BaseException:
        L.rlc_agent_destroy(h)
        raise


def train(env_id, algo="ppo", steps=100000, seed=0, env_kwargs=None, tuned_defaults=True,
          log_interval=0, verbose=False, **hyperparameters):
    """Creates an agent of `algo` for `env_id` with `hyperparameters` (e.g. lr=1e-3,
    num_envs=8) and trains it for `steps` env steps; `seed` seeds the agent and the envs,
    like `rlc train --seed`. Same seed and hyperparameters: the same agent as
    `rlc train --env ID --algo ALGO --steps N --seed S --set key=value ...`."""
    agent = create(env_id, algo, seed, env_kwargs, tuned_defaults, **hyperparameters)
    try:
        agent.train(steps, seed, log_interval=log_interval, verbose=verbose)
    except BaseException:
        agent.close()
        raise
    return agent


def load(path, seed=0):
    """Loads an agent saved by Agent.save or `rlc train` (final.safetensors). `seed` seeds its
    sampling RNG. NotFoundError / FormatError for a missing or foreign file."""
    _require()
    h = ctypes.c_void_p()
    L.check(L.rlc_agent_load(ctypes.byref(h), L.cstr(os.fspath(path)), int(seed)))
    try:
        return Agent(h)
    except BaseException:
        L.rlc_agent_destroy(h)
        raise


__all__ = ["Agent", "algorithms", "create", "train", "load"]
