"""Single environments with Gymnasium's interface over the C env API: rlc.make(id, **kwargs) ->
Env with reset/step/render/close, observation_space/action_space, episode statistics in info,
byte snapshots (get_state/set_state) and state vectors; the env registry (rlc.registry(),
rlc.spec()); and the helpers that validate seeds, kwargs and actions before any pointer
reaches C."""

import ctypes
import math

import numpy as np

from . import _lib as L
from . import spaces as S
from .errors import InvalidArgumentError, RangeError, StateError, UnsupportedError

try:  # subclass gymnasium.Env when Gymnasium is importable (never required)
    import gymnasium as _gym
    _EnvBase = _gym.Env
except Exception:  # pragma: no cover - Gymnasium is not installable here
    _gym = None
    _EnvBase = object

_FLT_MAX = float(np.finfo(np.float32).max)
_INT64_MAX = 2 ** 63 - 1


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------

class EnvParamSpec:
    """One keyword argument of an env: name, type ("real", "int", "bool", "string"), default
    (None for a string key: it has no default), lo, hi, lo_open, doc."""

    def __init__(self, p):
        self.name = L.pystr(p.name)
        self.type = {0: "real", 1: "int", 2: "bool", 3: "string"}.get(p.type, "?")
        d = p.default_value
        if self.type == "string":
            self.default = None
        else:
            self.default = bool(d) if self.type == "bool" else int(d) if self.type == "int" else d
        self.lo, self.hi, self.lo_open = p.lo, p.hi, bool(p.lo_open)
        self.doc = L.pystr(p.doc)

    def __repr__(self):
        return "EnvParamSpec(%s=%r, %s)" % (self.name, self.default, self.type)


class EnvSpec:
    """A registered id (like gymnasium.envs.registration.EnvSpec): id, summary,
    max_episode_steps (None for no limit), reward_threshold (None if none), kwargs (dict of
    the defaults the registry applies), params (list of EnvParamSpec)."""

    def __init__(self, c):
        self.id = L.pystr(c.id)
        self.summary = L.pystr(c.summary)
        self.max_episode_steps = int(c.max_episode_steps) or None
        self.reward_threshold = None if math.isnan(c.reward_threshold) else c.reward_threshold
        self.kwargs = {}
        if c.kwargs:
            for tok in L.pystr(c.kwargs).split(","):
                if "=" in tok:
                    k, v = tok.split("=", 1)
                    self.kwargs[k.strip()] = v.strip()
        self.params = [EnvParamSpec(c.params[i]) for i in range(c.nparams)]
        self.entry_point = "rlc"
        self.nondeterministic = False

    def __repr__(self):
        return "EnvSpec(id=%r, max_episode_steps=%r, reward_threshold=%r)" % (
            self.id, self.max_episode_steps, self.reward_threshold)


def registry():
    """Every registered env id, in the registry's fixed order."""
    out = []
    for i in range(L.rlc_env_registry_count()):
        out.append(L.pystr(L.rlc_env_registry_get(i).contents.id))
    return out


def spec(env_id):
    """The EnvSpec of `env_id`; NotFoundError (with rlc's suggestion) if unknown."""
    p = L.rlc_env_registry_find(L.cstr(env_id))
    if not p:
        # let rlc_env_make produce the message with its "did you mean" suggestion
        h = ctypes.c_void_p()
        L.check(L.rlc_env_make(ctypes.byref(h), L.cstr(env_id), None))
        L.rlc_env_destroy(h)  # pragma: no cover - unreachable: the id is unknown
    return EnvSpec(p.contents)


# ---------------------------------------------------------------------------------------------
# Validation helpers shared with the vector env
# ---------------------------------------------------------------------------------------------

def format_kwargs(kwargs):
    """{"gravity": 9.8, "max_episode_steps": 100} -> "gravity=9.8,max_episode_steps=100" (None
    values are left out, meaning the default). Bad value types raise InvalidArgumentError."""
    parts = []
    for k, v in kwargs.items():
        if v is None:
            continue
        if not isinstance(k, str) or not k or any(c in k for c in ",= "):
            raise InvalidArgumentError("bad keyword argument name %r" % (k,))
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, bool):
            text = "true" if v else "false"
        elif isinstance(v, int):
            text = str(v)
        elif isinstance(v, float):
            text = repr(v)
        elif isinstance(v, str) and v and not any(c in v for c in ",="):
            text = v
        else:
            raise InvalidArgumentError("keyword argument %s=%r: expected a number or a bool"
                                       % (k, v))
        parts.append("%s=%s" % (k, text))
    return ",".join(parts)


def check_seed(seed):
    """None or a non-negative int (any size). Returns it as a Python int or None."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise InvalidArgumentError("seed must be a non-negative integer or None, got %r"
                                   % (seed,))
    seed = int(seed)
    if seed < 0:
        raise RangeError("seed must be >= 0, got %d" % seed)
    return seed


def check_options(options):
    if options:
        raise InvalidArgumentError("reset options are not supported by rlc envs (got %s)"
                                   % sorted(options) if isinstance(options, dict)
                                   else "reset options must be a dict or None, got %r"
                                   % (options,))


def action_converter(space, batch=None):
    """A function mapping a user action (or a batch of `batch` actions) to a C-contiguous array
    in the space's dtype, raising InvalidArgumentError for a wrong dtype or shape. Values are
    checked by C (range, NaN/inf). Box values beyond the float32 range become +-FLT_MAX (then
    clipped by the env) like rlc_env_step_values; NaN and inf stay, for C to refuse."""
    lead = () if batch is None else (batch,)
    shape = lead + tuple(space.shape)
    what = "actions" if batch is not None else "action"
    desc = repr(space)

    def wrong_shape(a):
        return InvalidArgumentError("%s has shape %s; %s expects %s for %s" % (
            what, a.shape, "the vector env" if batch is not None else "the env", shape, desc))

    if isinstance(space, S.Box):
        dt = space.dtype

        def conv(action):
            a = action if isinstance(action, np.ndarray) else np.asarray(action)
            if a.dtype.kind not in "fiu":
                raise InvalidArgumentError("%s has dtype %s; %s needs real numbers" % (
                    what, a.dtype, desc))
            if a.shape != shape:
                raise wrong_shape(a)
            if a.dtype == dt:
                return np.ascontiguousarray(a)
            if dt.kind == "f" and dt.itemsize == 4:
                a = a.astype(np.float64)
                with np.errstate(invalid="ignore"):
                    a = np.where(np.isfinite(a), np.clip(a, -_FLT_MAX, _FLT_MAX), a)
            return np.ascontiguousarray(a, dtype=dt)
        return conv

    def conv_int(action):
        if isinstance(action, (bool, int)) and batch is None and isinstance(space, S.Discrete):
            if not -2 ** 63 <= action <= _INT64_MAX:
                raise RangeError("action %d is out of range for %s" % (action, desc))
            return np.array(action, dtype=np.int64)
        a = action if isinstance(action, np.ndarray) else np.asarray(action)
        if a.dtype.kind == "b":
            a = a.astype(np.int64)
        if a.dtype.kind not in "iu":
            raise InvalidArgumentError("%s has dtype %s; %s needs integers" % (what, a.dtype,
                                                                              desc))
        if a.shape != shape:
            raise wrong_shape(a)
        if a.dtype.kind == "u" and a.dtype.itemsize == 8 and a.size and a.max() > _INT64_MAX:
            raise RangeError("%s value %d is out of range for %s" % (what, a.max(), desc))
        return np.ascontiguousarray(a, dtype=np.int64)
    return conv_int


def render_size(env_id):
    """Gymnasium's screen size per family, as `rlc env render` uses."""
    if env_id.startswith("Pendulum") or env_id.startswith("Acrobot"):
        return 500, 500
    return 600, 400


def render_fps(env_id):
    if env_id.startswith("CartPole"):
        return 50
    if env_id.startswith("Acrobot"):
        return 15
    return 30


# ---------------------------------------------------------------------------------------------
# Env
# ---------------------------------------------------------------------------------------------

def _ptr(a):
    return ctypes.c_void_p(a.ctypes.data)


class Env(_EnvBase):
    """One rlc environment with Gymnasium's API (made by rlc.make).

    reset(seed=None, options=None) -> (obs, info); step(action) -> (obs, reward, terminated,
    truncated, info), where info holds {"episode": {"r": return, "l": length}} on the step that
    ends an episode (Gymnasium's RecordEpisodeStatistics); render() -> uint8 array (H, W, 3);
    close() (idempotent). The time limit (max_episode_steps) and the order checks of
    Gymnasium's TimeLimit and OrderEnforcing are built in: stepping before reset or after the
    episode ended raises StateError.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 30}

    def __init__(self, id, render_mode=None, **kwargs):
        self._h = None
        if render_mode not in (None, "rgb_array"):
            raise UnsupportedError("render_mode %r is not supported (rlc envs render "
                                   "'rgb_array' frames)" % (render_mode,))
        kw = format_kwargs(kwargs)
        h = ctypes.c_void_p()
        L.check(L.rlc_env_make(ctypes.byref(h), L.cstr(id), L.cstr(kw)))
        self._h = h
        self.render_mode = render_mode
        self.id = L.pystr(L.rlc_env_id(h))
        self.kwargs = dict(kwargs)
        self.spec = spec(self.id)
        self.spec.kwargs = dict(self.spec.kwargs, **{k: v for k, v in kwargs.items()
                                                     if v is not None})
        self.metadata = {"render_modes": ["rgb_array"], "render_fps": render_fps(self.id)}
        self.max_episode_steps = int(L.rlc_env_max_episode_steps(h)) or None
        self._obs_c = L.rlc_env_obs_space(h).contents
        self._act_c = L.rlc_env_action_space(h).contents
        self._obs_space = S.from_c(self._obs_c)
        self._act_space = S.from_c(self._act_c)
        self.observation_space = S.to_gymnasium(self._obs_space)
        self.action_space = S.to_gymnasium(self._act_space)
        self._obs = np.zeros(self._obs_space.shape, self._obs_space.dtype)
        self._obs_p = _ptr(self._obs)
        self._res = L.StepResult()
        self._res_p = ctypes.byref(self._res)
        self._conv = action_converter(self._act_space)
        self._state_size = int(L.rlc_env_state_size(h))
        self._state_dim = int(L.rlc_env_state_dim(h))

    # -- life cycle ---------------------------------------------------------------------------

    def _handle(self):
        if self._h is None:
            raise StateError("the env is closed")
        return self._h

    @property
    def closed(self):
        return self._h is None

    @closed.setter
    def closed(self, value):  # Gymnasium's base classes assign it; the handle is the truth
        pass

    @property
    def unwrapped(self):
        return self

    def close(self):
        """Frees the C env. Safe to call more than once; later calls of other methods raise
        StateError."""
        h, self._h = self._h, None
        if h is not None:
            L.rlc_env_destroy(h)

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
        return "<rlc.Env %s%s>" % (self.id, " (closed)" if self._h is None else "")

    def __str__(self):
        return repr(self)

    # -- Gymnasium API ------------------------------------------------------------------------

    def reset(self, *, seed=None, options=None):
        """Starts an episode: reseeds first when `seed` is given (any non-negative int; seeds of
        2**63 and above are passed as decimal strings, as Gymnasium accepts them), else
        continues the env's RNG stream. Returns (obs, {})."""
        h = self._handle()
        seed = check_seed(seed)
        check_options(options)
        if seed is not None and seed > _INT64_MAX:
            L.check(L.rlc_env_seed_str(h, str(seed).encode()))
            seed = None
        L.check(L.rlc_env_reset(h, L.RLC_ENV_NO_SEED if seed is None else seed, self._obs_p))
        return self._obs.copy(), {}

    def step(self, action):
        """One step; `action` must lie in action_space's dtype family and shape (an int for
        Discrete, an array of shape action_space.shape for Box). Raises RangeError for an
        index outside the space or a NaN/inf Box value, StateError before reset or after the
        episode ended, InvalidArgumentError for a bad dtype or shape."""
        h = self._handle()
        a = self._conv(action)
        L.check(L.rlc_env_step(h, _ptr(a), self._obs_p, self._res_p))
        r = self._res
        term, trunc = bool(r.terminated), bool(r.truncated)
        info = {}
        if term or trunc:
            info["episode"] = {"r": r.episode_return, "l": int(r.episode_length)}
        return self._obs.copy(), r.reward, term, trunc, info

    def render(self, width=None, height=None):
        """The current state as an RGB uint8 array of shape (height, width, 3); the size defaults
        to Gymnasium's screen for the env (600x400 or 500x500). UnsupportedError for envs
        without a renderer, StateError before the first reset."""
        h = self._handle()
        w0, h0 = render_size(self.id)
        w = int(width) if width is not None else w0
        hh = int(height) if height is not None else h0
        if w <= 0 or hh <= 0 or w * hh > 1 << 26:
            raise InvalidArgumentError("render size %dx%d is out of range" % (w, hh))
        rgb = np.empty((hh, w, 3), np.uint8)
        L.check(L.rlc_env_render(h, _ptr(rgb), w, hh))
        return rgb

    # -- extras -------------------------------------------------------------------------------

    def observe(self):
        """The observation of the current state (StateError before any state)."""
        L.check(L.rlc_env_observe(self._handle(), self._obs_p))
        return self._obs.copy()

    def episode(self):
        """(return, length) of the episode in progress."""
        ret, n = ctypes.c_double(), ctypes.c_int64()
        L.rlc_env_episode(self._handle(), ctypes.byref(ret), ctypes.byref(n))
        return ret.value, n.value

    @property
    def running(self):
        """True when the env can be stepped (reset and not ended)."""
        return bool(L.rlc_env_running(self._handle()))

    def get_state(self):
        """A byte snapshot of everything that evolves (physics, RNG, time-limit counter, episode
        statistics): set_state(snapshot) reproduces the future exactly. Same build only."""
        buf = ctypes.create_string_buffer(self._state_size)
        L.check(L.rlc_env_get_state(self._handle(), buf, self._state_size))
        return buf.raw

    def set_state(self, state):
        """Restores a snapshot from get_state() of an env of the same id (InvalidArgumentError
        for anything else; the env is then unchanged)."""
        if not isinstance(state, (bytes, bytearray, memoryview)):
            raise InvalidArgumentError("state must be bytes from get_state(), got %s"
                                       % type(state).__name__)
        state = bytes(state)
        L.check(L.rlc_env_set_state(self._handle(), state, len(state)))

    @property
    def state_names(self):
        """Names of the state-vector entries (CartPole: x, x_dot, theta, theta_dot)."""
        return L.pystr(L.rlc_env_state_names(self._handle())).split(",")

    def get_state_vector(self):
        """The physical state as float64 (see docs/envs.md); StateError before any state."""
        v = np.empty(self._state_dim, np.float64)
        L.check(L.rlc_env_get_state_vector(self._handle(), _ptr(v)))
        return v

    def set_state_vector(self, v):
        """Sets the physical state (Gymnasium's env.unwrapped.state = v); starts an episode if
        none is running. InvalidArgumentError for a wrong length, RangeError for NaN/inf."""
        a = np.asarray(v)
        if a.dtype.kind not in "fiu" or a.ndim != 1:
            raise InvalidArgumentError("state vector must be a 1-D array of numbers, got %s %s"
                                       % (a.dtype, a.shape))
        a = np.ascontiguousarray(a, dtype=np.float64)
        L.check(L.rlc_env_set_state_vector(self._handle(), _ptr(a), int(a.size)))


def make(id, render_mode=None, **kwargs):
    """Creates env `id` (see rlc.registry()) with keyword arguments setting its physical
    parameters and max_episode_steps (0 = no limit), e.g.
    rlc.make("CartPole-v1", gravity=9.8, max_episode_steps=200). NotFoundError for an unknown
    id (the message suggests the closest ones), InvalidArgumentError / RangeError for an
    unknown or bad keyword argument (the message lists the known keys)."""
    return Env(id, render_mode=render_mode, **kwargs)
