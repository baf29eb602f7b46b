"""Offline datasets: rlc.Dataset.load(path) reads a Minari folder (or its data/ folder or
main_data.hdf5) or a D4RL-layout HDF5 file through the C library (rlc_dataset_load) and copies
its columns into NumPy arrays.

    ds = rlc.Dataset.load("datasets/cartpole-random")
    ds.observations      # float32 (steps + episodes, obs_dim): T_e + 1 rows per episode
    ds.actions           # float32 (steps, act_dim); int64 (steps,) for Discrete actions
    ds.rewards           # float32 (steps,)
    ds.terminations      # bool (steps,)
    ds.truncations       # bool (steps,)
    ds.episode_offsets   # int64 (episodes + 1,): first transition of each episode
    ds.returns           # float64 (episodes,): undiscounted return of each episode
    ep = ds.episode(0)   # Episode(observations (T+1, obs_dim), actions, rewards, ...)

Transition t of episode e (episode_offsets[e] <= t < episode_offsets[e+1]) has its observation
in row t + e and its next observation in row t + e + 1. The arrays are copies: the C dataset
is freed before load returns. Failures raise the RlcError subclass of the C status with the
C message (RlcIOError for a file that cannot be opened, FormatError for a malformed one,
UnsupportedError for a library built without HDF5).
"""

import ctypes
import os
from collections import namedtuple
from ctypes import POINTER, Structure, c_char, c_double, c_float, c_int, c_int64, c_uint8

import numpy as np

from . import _lib as L


# Mirrors of include/rlc/dataset.h (rlc_py_abi does not cover these; the layouts have no
# padding surprises: sizes 96, 72 and 552 bytes on LP64, checked against the header).
class _View(Structure):
    _fields_ = [("obs_dim", c_int64), ("act_dim", c_int64), ("num_episodes", c_int64),
                ("num_steps", c_int64), ("observations", POINTER(c_float)),
                ("actions", POINTER(c_float)), ("rewards", POINTER(c_float)),
                ("terminations", POINTER(c_uint8)), ("truncations", POINTER(c_uint8)),
                ("episode_offsets", POINTER(c_int64)), ("episode_returns", POINTER(c_double)),
                ("returns_to_go", POINTER(c_double))]


class _Stats(Structure):
    _fields_ = [("episodes", c_int64), ("steps", c_int64), ("return_mean", c_double),
                ("return_std", c_double), ("return_min", c_double), ("return_max", c_double),
                ("length_mean", c_double), ("tq", c_double), ("unique_sa", c_int64)]


class _Meta(Structure):
    _fields_ = [("dataset_id", c_char * 256), ("env_id", c_char * 128),
                ("algorithm", c_char * 128), ("ref_min_score", c_double),
                ("ref_max_score", c_double), ("discrete_actions", c_int),
                ("num_actions", c_int64), ("obs_dtype", c_int)]


_P = ctypes.c_void_p
_load = L._proto("rlc_dataset_load", L.ST, POINTER(_P), ctypes.c_char_p, optional=True)
if _load is not None:
    _destroy = L._proto("rlc_dataset_destroy", None, _P)
    _view_get = L._proto("rlc_dataset_view_get", None, _P, POINTER(_View))
    _meta_get = L._proto("rlc_dataset_meta_get", POINTER(_Meta), _P)
    _stats_get = L._proto("rlc_dataset_stats_get", L.ST, _P, c_double, POINTER(_Stats))
    _have_hdf5 = L._proto("rlc_dataset_have_hdf5", c_int)


def have_hdf5():
    """True when the loaded librlc.so was built with libhdf5 (dataset files can be read)."""
    return _load is not None and bool(_have_hdf5())


Episode = namedtuple("Episode", "observations actions rewards terminations truncations")
Episode.__doc__ = """One episode of T transitions: observations (T+1, obs_dim), actions (T, ...),
rewards (T,), terminations (T,) and truncations (T,) (views into the Dataset's arrays)."""


def _copy(ptr, n, dtype):
    if n <= 0:
        return np.zeros(0, dtype=dtype)
    return np.ctypeslib.as_array(ptr, shape=(n,)).astype(dtype, copy=True)


class Dataset:
    """Complete episodes as flat NumPy columns (see the module docstring). Build it with
    Dataset.load(path)."""

    def __init__(self, observations, actions, rewards, terminations, truncations,
                 episode_offsets, returns, returns_to_go=None, stats=None, meta=None):
        self.observations = observations
        self.actions = actions
        self.rewards = rewards
        self.terminations = terminations
        self.truncations = truncations
        self.episode_offsets = episode_offsets
        self._returns = returns
        self.returns_to_go = returns_to_go
        self.stats = dict(stats or {})
        self.meta = dict(meta or {})

    @classmethod
    def load(cls, path, bin=0.1):
        """Reads a Minari or D4RL dataset at `path` (see rlc_dataset_load). `bin` is the
        discretisation width of stats["unique_sa"]."""
        if _load is None:
            L.raise_status(-7, "%s has no dataset support (rlc_dataset_load)" % L.LIB_PATH)
        spath = os.fspath(path)
        h = _P()
        L.check(_load(ctypes.byref(h), L.cstr(spath)), "cannot load dataset %s" % spath)
        try:
            v = _View()
            _view_get(h, ctypes.byref(v))
            E, N, od, ad = v.num_episodes, v.num_steps, v.obs_dim, v.act_dim
            obs = _copy(v.observations, (N + E) * od, np.float32).reshape(N + E, od)
            m = _meta_get(h).contents
            discrete = bool(m.discrete_actions)
            act = _copy(v.actions, N * ad, np.float32).reshape(N, ad)
            if discrete:
                act = act.reshape(N).astype(np.int64)
            meta = {"dataset_id": L.pystr(m.dataset_id), "env_id": L.pystr(m.env_id),
                    "algorithm": L.pystr(m.algorithm), "ref_min_score": m.ref_min_score,
                    "ref_max_score": m.ref_max_score, "discrete_actions": discrete,
                    "num_actions": m.num_actions, "obs_dim": od, "act_dim": ad}
            st = _Stats()
            stats = {}
            if E > 0 and _stats_get(h, bin, ctypes.byref(st)) == 0:
                stats = {name: getattr(st, name) for name, _ in _Stats._fields_}
            L.lib.rlc_clear_error()
            return cls(obs, act,
                       _copy(v.rewards, N, np.float32),
                       _copy(v.terminations, N, np.uint8).astype(bool),
                       _copy(v.truncations, N, np.uint8).astype(bool),
                       _copy(v.episode_offsets, E + 1, np.int64),
                       _copy(v.episode_returns, E, np.float64),
                       _copy(v.returns_to_go, N, np.float64), stats, meta)
        finally:
            _destroy(h)

    @property
    def episodes(self):
        """Number of episodes."""
        return len(self.episode_offsets) - 1

    @property
    def steps(self):
        """Number of transitions over all episodes."""
        return int(self.episode_offsets[-1]) if len(self.episode_offsets) else 0

    @property
    def returns(self):
        """Undiscounted return of each episode, float64 (episodes,)."""
        return self._returns

    @property
    def lengths(self):
        """Transitions per episode, int64 (episodes,)."""
        return np.diff(self.episode_offsets)

    def __len__(self):
        return self.episodes

    def episode(self, i):
        """Episode i (negative counts from the end) as an Episode of views into the columns."""
        n = self.episodes
        i = int(i)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("episode %d out of range (dataset has %d)" % (i, n))
        a, b = int(self.episode_offsets[i]), int(self.episode_offsets[i + 1])
        return Episode(self.observations[a + i:b + i + 1], self.actions[a:b],
                       self.rewards[a:b], self.terminations[a:b], self.truncations[a:b])

    def __repr__(self):
        return "Dataset(%r, episodes=%d, steps=%d)" % (self.meta.get("dataset_id") or
                                                       self.meta.get("env_id") or "",
                                                       self.episodes, self.steps)


def load_dataset(path, bin=0.1):
    """Same as Dataset.load(path)."""
    return Dataset.load(path, bin=bin)
