"""Vector environments with Gymnasium 1.x's VectorEnv interface over rlc_vec_env: N copies of
one env stepped in C with one ctypes call per step (optionally on worker threads), numpy
arrays viewing the C struct-of-arrays buffers, next-step (default) or same-step autoreset,
sub-env i seeded with seed + i, and Gymnasium-style episode statistics in info."""

import ctypes

import numpy as np

from . import _lib as L
from . import spaces as S
from .env import (action_converter, check_options, check_seed, format_kwargs, render_fps,
                  render_size, spec)
from .errors import InvalidArgumentError, RangeError, StateError

try:  # subclass gymnasium.vector.VectorEnv when Gymnasium is importable (never required)
    import gymnasium.vector as _gymvec
    _VecBase = _gymvec.VectorEnv
    _MODES = {"next_step": _gymvec.AutoresetMode.NEXT_STEP,
              "same_step": _gymvec.AutoresetMode.SAME_STEP}
except Exception:  # pragma: no cover - Gymnasium is not installable here
    _VecBase = object
    _MODES = {"next_step": "NextStep", "same_step": "SameStep"}

_INT64_MAX = 2 ** 63 - 1


class _Owner:
    """Owns the C vector env; frees it when the last reference goes (the VectorEnv, or numpy
    views handed out with copy=False), so a view can never outlive its memory."""

    def __init__(self, ptr):
        self.ptr = ptr

    def __del__(self):
        p, self.ptr = self.ptr, None
        if p:
            L.rlc_vec_env_destroy(p)


def _view(owner, addr, count, dtype, shape):
    dtype = np.dtype(dtype)
    buf = (ctypes.c_char * (count * dtype.itemsize)).from_address(addr)
    buf._rlc_owner = owner  # keeps the C memory alive as long as any view of it
    return np.frombuffer(buf, dtype=dtype, count=count).reshape(shape)


class VectorEnv(_VecBase):
    """N copies of env `id` (made by rlc.make_vec), stepped together in C.

    reset(seed=None, options=None) -> (obs[N, ...], info); sub-env i is reset with seed + i.
    step(actions[N, ...]) -> (obs, rewards, terminations, truncations, info). With the default
    next-step autoreset, the step that ends an episode returns its last obs; the next step
    resets that sub-env instead of stepping it (its action is ignored; reward 0, flags False).
    Episode statistics: info["episode"] = {"r": float64[N], "l": int64[N]} with the mask
    info["_episode"] (bool[N]) on steps where some episode ended. With copy=True (default)
    the returned arrays are copies; copy=False returns read-only views of the C buffers, which
    the next step overwrites.
    """

    metadata = {"autoreset_mode": _MODES["next_step"], "render_modes": ["rgb_array"]}

    def __init__(self, id, num_envs, threads=1, autoreset_mode="next_step", copy=True,
                 **kwargs):
        self._owner = None
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)):
            raise InvalidArgumentError("num_envs must be an integer, got %r" % (num_envs,))
        if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)):
            raise InvalidArgumentError("threads must be an integer, got %r" % (threads,))
        if autoreset_mode not in _MODES:
            raise InvalidArgumentError("autoreset_mode must be 'next_step' or 'same_step', got %r"
                                       % (autoreset_mode,))
        if not -1 << 31 <= int(num_envs) < 1 << 31 or not -1 << 31 <= int(threads) < 1 << 31:
            raise RangeError("num_envs=%d, threads=%d out of range" % (num_envs, threads))
        opt = L.VecEnvOptions(int(threads), 0 if autoreset_mode == "next_step" else 1, None, None)
        p = ctypes.POINTER(L.VecEnvC)()
        L.check(L.rlc_vec_env_create(ctypes.byref(p), L.cstr(id), L.cstr(format_kwargs(kwargs)),
                                     int(num_envs), ctypes.byref(opt)))
        owner = self._owner = _Owner(p)
        v = p.contents
        self._p = p
        self._v = v
        self.num_envs = n = int(v.num_envs)
        self.num_threads = int(v.num_threads)
        self.autoreset_mode = autoreset_mode
        self.copy = bool(copy)
        first = L.rlc_vec_env_get(p, 0)
        self.id = L.pystr(L.rlc_env_id(first))
        self.spec = spec(self.id)
        self.kwargs = dict(kwargs)
        self.metadata = {"autoreset_mode": _MODES[autoreset_mode],
                         "render_modes": ["rgb_array"], "render_fps": render_fps(self.id)}
        so = S.from_c(v.obs_space.contents)
        sa = S.from_c(v.action_space.contents)
        self._single_obs, self._single_act = so, sa
        self.single_observation_space = S.to_gymnasium(so)
        self.single_action_space = S.to_gymnasium(sa)
        self.observation_space = S.to_gymnasium(S.batch_space(so, n))
        self.action_space = S.to_gymnasium(S.batch_space(sa, n))
        oshape = (n,) + so.shape
        osize = n * int(v.obs_size)
        self._obs = _view(owner, v.obs, osize, so.dtype, oshape)
        self._final_obs = _view(owner, v.final_obs, osize, so.dtype, oshape)
        self._rew = _view(owner, ctypes.addressof(v.rewards.contents), n, np.float64, (n,))
        self._term = _view(owner, ctypes.addressof(v.terminated.contents), n, np.bool_, (n,))
        self._trunc = _view(owner, ctypes.addressof(v.truncated.contents), n, np.bool_, (n,))
        self._auto = _view(owner, ctypes.addressof(v.autoreset.contents), n, np.bool_, (n,))
        self._ep_ret = _view(owner, ctypes.addressof(v.episode_return.contents), n, np.float64,
                             (n,))
        self._ep_len = _view(owner, ctypes.addressof(v.episode_length.contents), n, np.int64,
                             (n,))
        ashape = (n,) + sa.shape
        adtype = sa.dtype
        self._act = _view(owner, v.actions, n * max(1, int(np.prod(sa.shape))), adtype, ashape)
        self._act_dtype, self._act_shape = adtype, ashape
        self._conv = action_converter(sa, batch=n)
        self._step_fn = L.rlc_vec_env_step
        if not self.copy:
            for a in (self._obs, self._final_obs, self._rew, self._term, self._trunc,
                      self._auto, self._ep_ret, self._ep_len):
                a.flags.writeable = False
        self._was_reset = False

    # -- life cycle ---------------------------------------------------------------------------

    def _check(self):
        if self._owner is None:
            raise StateError("the vector env is closed")

    @property
    def closed(self):
        return self._owner is None

    @closed.setter
    def closed(self, value):  # Gymnasium's base classes assign it; the handle is the truth
        pass

    @property
    def unwrapped(self):
        return self

    def close(self, **kwargs):
        """Stops the workers and frees the envs (once the last copy=False view is gone).
        Idempotent."""
        if self._owner is None:
            return
        for name in ("_obs", "_final_obs", "_rew", "_term", "_trunc", "_auto", "_ep_ret",
                     "_ep_len", "_act", "_v", "_p"):
            self.__dict__.pop(name, None)
        self._owner = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        return "<rlc.VectorEnv %s x %d%s>" % (getattr(self, "id", "?"),
                                              getattr(self, "num_envs", 0),
                                              " (closed)" if self._owner is None else "")

    # -- Gymnasium API ------------------------------------------------------------------------

    def reset(self, *, seed=None, options=None):
        """Resets every sub-env: sub-env i with seed + i when `seed` is an int (or a list
        [seed, seed + 1, ...]), else continuing each one's RNG stream. Returns (obs, {})."""
        self._check()
        if isinstance(seed, (list, tuple)):
            if len(seed) != self.num_envs:
                raise InvalidArgumentError("%d seeds for %d envs" % (len(seed), self.num_envs))
            s0 = check_seed(seed[0])
            if any(check_seed(s) != s0 + i for i, s in enumerate(seed)):
                raise InvalidArgumentError("a list of seeds must be consecutive "
                                           "[seed, seed + 1, ...] (rlc seeds sub-env i with "
                                           "seed + i)")
            seed = s0
        seed = check_seed(seed)
        check_options(options)
        if seed is not None and seed + self.num_envs - 1 > _INT64_MAX:
            raise RangeError("seed %d + num_envs - 1 overflows int64" % seed)
        L.check(L.rlc_vec_env_reset(self._p, L.RLC_ENV_NO_SEED if seed is None else seed))
        self._was_reset = True
        return (self._obs.copy() if self.copy else self._obs), {}

    def step(self, actions):
        """Steps every sub-env (one C call). `actions` has shape (num_envs,) + action shape in
        the action dtype family (int64 for Discrete). Raises RangeError for an index outside
        the space or a NaN/inf Box value (nothing is stepped), StateError before reset."""
        if self._owner is None:
            raise StateError("the vector env is closed")
        a = actions
        if (type(a) is not np.ndarray or a.dtype != self._act_dtype
                or a.shape != self._act_shape):
            a = self._conv(a)
        self._act[...] = a
        st = self._step_fn(self._p, None)
        if st:
            L.check(st)
        term, trunc = self._term, self._trunc
        if self.copy:
            obs, rew = self._obs.copy(), self._rew.copy()
            term, trunc = term.copy(), trunc.copy()
        else:
            obs, rew = self._obs, self._rew
        done = term | trunc
        info = {}
        if done.any():
            info["episode"] = {"r": self._ep_ret.copy(), "l": self._ep_len.copy()}
            info["_episode"] = done
            if self.autoreset_mode == "same_step":
                info["final_obs"] = self._final_obs.copy()
                info["_final_obs"] = done
        return obs, rew, term, trunc, info

    def render(self):
        """A tuple with one RGB frame per sub-env (Gymnasium's SyncVectorEnv.render)."""
        self._check()
        w, h = render_size(self.id)
        frames = []
        for i in range(self.num_envs):
            rgb = np.empty((h, w, 3), np.uint8)
            L.check(L.rlc_env_render(L.rlc_vec_env_get(self._p, i),
                                     ctypes.c_void_p(rgb.ctypes.data), w, h))
            frames.append(rgb)
        return tuple(frames)

    # -- extras -------------------------------------------------------------------------------

    @property
    def autoreset(self):
        """bool[N]: the last step reset these sub-envs instead of stepping them (next-step
        mode); their transition from the previous obs is not a real one."""
        self._check()
        return self._auto.copy()

    @property
    def final_obs(self):
        """Last obs of the episodes that ended at the last step (valid where
        terminations | truncations)."""
        self._check()
        return self._final_obs.copy()

    @property
    def total_steps(self):
        """Env steps taken since creation (autoreset steps excluded)."""
        self._check()
        return int(self._p.contents.total_steps)

    def episode_stats(self):
        """Statistics of the episodes finished since the last call, then cleared: dict with
        episodes, mean_return, mean_length, min_return, max_return."""
        self._check()
        s = L.VecEpisodeStats()
        L.rlc_vec_env_pop_stats(self._p, ctypes.byref(s))
        return {"episodes": int(s.episodes), "mean_return": s.mean_return,
                "mean_length": s.mean_length, "min_return": s.min_return,
                "max_return": s.max_return}

    def get_state(self, index):
        """Byte snapshot of sub-env `index` (see Env.get_state)."""
        self._check()
        if not 0 <= int(index) < self.num_envs:
            raise RangeError("sub-env index %d outside 0..%d" % (index, self.num_envs - 1))
        e = L.rlc_vec_env_get(self._p, int(index))
        size = int(L.rlc_env_state_size(e))
        buf = ctypes.create_string_buffer(size)
        L.check(L.rlc_env_get_state(e, buf, size))
        return buf.raw


def make_vec(id, num_envs, threads=1, autoreset_mode="next_step", copy=True, **kwargs):
    """A VectorEnv of `num_envs` copies of env `id` (kwargs as rlc.make), stepped by `threads`
    threads (the caller's included; results do not depend on it). autoreset_mode is
    "next_step" (Gymnasium's default) or "same_step"."""
    return VectorEnv(id, num_envs, threads=threads, autoreset_mode=autoreset_mode, copy=copy,
                     **kwargs)
