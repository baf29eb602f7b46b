"""The ctypes layer: finds and loads librlc.so, mirrors the public C structs, declares the
prototypes of the functions the bindings call, checks the struct layouts against the library
(rlc_py_abi) and turns a failing rlc_status into the matching RlcError subclass.

Library search order: $RLC_LIB (a file, or a folder holding librlc.so), then librlc.so next to
this package (what `pip install ./python` puts there), then build/release/librlc.so of the
repository the package sits in.
"""

import ctypes
import os
from ctypes import (POINTER, Structure, c_char_p, c_double, c_float, c_int, c_int64, c_size_t,
                    c_uint8, c_uint64, c_void_p)

from .errors import raise_status

_HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.normpath(os.path.join(_HERE, "..", ".."))


def _find_library():
    env = os.environ.get("RLC_LIB")
    if env:
        path = os.path.join(env, "librlc.so") if os.path.isdir(env) else env
        if not os.path.isfile(path):
            raise ImportError("RLC_LIB=%r: no such file (set it to the librlc.so of a build, "
                              "e.g. build/release/librlc.so)" % env)
        return path
    tried = [os.path.join(_HERE, "librlc.so"),
             os.path.join(REPO_ROOT, "build", "release", "librlc.so")]
    for path in tried:
        if os.path.isfile(path):
            return path
    raise ImportError("librlc.so not found (looked at $RLC_LIB, %s); build it with `make` or "
                      "set RLC_LIB to its path" % ", ".join(tried))


LIB_PATH = _find_library()
try:
    lib = ctypes.CDLL(LIB_PATH)
except OSError as e:  # pragma: no cover - depends on the system
    raise ImportError("cannot load %s: %s" % (LIB_PATH, e)) from None


# ---------------------------------------------------------------------------------------------
# Status codes and errors
# ---------------------------------------------------------------------------------------------

RLC_OK = 0
RLC_ENV_NO_SEED = -1

lib.rlc_last_error.restype = c_char_p
lib.rlc_last_error.argtypes = []
lib.rlc_clear_error.restype = None
lib.rlc_clear_error.argtypes = []


def last_error():
    """rlc_last_error() of this thread, as str."""
    return lib.rlc_last_error().decode("utf-8", "replace")


def check(status, what=None):
    """Raises the RlcError subclass of `status` with rlc_last_error()'s message when status != 0."""
    if status:
        msg = last_error() or (what or "rlc call failed")
        raise_status(status, msg)
    return status


# ---------------------------------------------------------------------------------------------
# Struct mirrors (checked against the library by rlc_py_abi below)
# ---------------------------------------------------------------------------------------------

SPACE_BOX, SPACE_DISCRETE, SPACE_MULTI_DISCRETE = 1, 2, 3
SPACE_DTYPES = {0: "float32", 1: "float64", 2: "int64", 3: "int32", 4: "uint8"}


class Space(Structure):
    _rlc_name_ = "rlc_space"
    _fields_ = [("kind", c_int), ("dtype", c_int), ("ndim", c_int), ("shape", c_int64 * 4),
                ("size", c_int64), ("low", POINTER(c_double)), ("high", POINTER(c_double)),
                ("n", c_int64), ("start", c_int64), ("nvec", POINTER(c_int64)),
                ("nstart", POINTER(c_int64))]


class StepResult(Structure):
    _rlc_name_ = "rlc_step_result"
    _fields_ = [("reward", c_double), ("terminated", c_int), ("truncated", c_int),
                ("episode_return", c_double), ("episode_length", c_int64)]


class EnvParam(Structure):
    _rlc_name_ = "rlc_env_param"
    _fields_ = [("name", c_char_p), ("type", c_int), ("default_value", c_double),
                ("lo", c_double), ("hi", c_double), ("lo_open", c_int), ("doc", c_char_p)]


class EnvSpecC(Structure):
    _rlc_name_ = "rlc_env_spec"
    _fields_ = [("id", c_char_p), ("summary", c_char_p), ("max_episode_steps", c_int64),
                ("reward_threshold", c_double), ("kwargs", c_char_p), ("nparams", c_int),
                ("params", POINTER(EnvParam))]


class VecEnvOptions(Structure):
    _rlc_name_ = "rlc_vec_env_options"
    _fields_ = [("num_threads", c_int), ("autoreset", c_int), ("wrap", c_void_p),
                ("wrap_user", c_void_p)]


class VecEpisodeStats(Structure):
    _rlc_name_ = "rlc_vec_episode_stats"
    _fields_ = [("episodes", c_int64), ("mean_return", c_double), ("mean_length", c_double),
                ("min_return", c_double), ("max_return", c_double)]


class VecEnvC(Structure):
    _rlc_name_ = "rlc_vec_env"
    _fields_ = [("num_envs", c_int), ("num_threads", c_int), ("autoreset_mode", c_int),
                ("obs_space", POINTER(Space)), ("action_space", POINTER(Space)),
                ("obs_size", c_int64), ("obs_bytes", c_size_t), ("action_bytes", c_size_t),
                ("obs", c_void_p), ("obs_f32", POINTER(c_float)), ("final_obs", c_void_p),
                ("final_obs_f32", POINTER(c_float)), ("rewards", POINTER(c_double)),
                ("terminated", POINTER(c_uint8)), ("truncated", POINTER(c_uint8)),
                ("autoreset", POINTER(c_uint8)), ("episode_return", POINTER(c_double)),
                ("episode_length", POINTER(c_int64)), ("actions", c_void_p),
                ("total_steps", c_int64), ("impl", c_void_p)]


CONFIG_REAL, CONFIG_INT, CONFIG_BOOL, CONFIG_STRING, CONFIG_ENUM = range(5)


class ConfigField(Structure):
    _rlc_name_ = "rlc_config_field"
    _fields_ = [("name", c_char_p), ("type", c_int), ("offset", c_size_t), ("def", c_double),
                ("def_str", c_char_p), ("lo", c_double), ("hi", c_double),
                ("choices", c_char_p), ("doc", c_char_p)]


class ConfigTable(Structure):
    _rlc_name_ = "rlc_config_table"
    _fields_ = [("name", c_char_p), ("fields", POINTER(ConfigField)), ("n_fields", c_int),
                ("size", c_size_t)]


class TrainOptions(Structure):
    _rlc_name_ = "rlc_train_options"
    _fields_ = [("total_steps", c_int64), ("log_interval", c_int64), ("logger", c_void_p),
                ("progress", c_void_p), ("print", c_void_p), ("stop_return", c_double)]


class TrainResult(Structure):
    _rlc_name_ = "rlc_train_result"
    _fields_ = [("steps", c_int64), ("episodes", c_int64), ("updates", c_int64),
                ("mean_return", c_double), ("seconds", c_double)]


_MIRRORS = [Space, StepResult, EnvParam, EnvSpecC, VecEnvOptions, VecEpisodeStats, VecEnvC,
            ConfigField, ConfigTable, TrainOptions, TrainResult]


def _check_abi():
    """Compares every mirror's size and field offsets with the library's own (rlc_py_abi)."""
    try:
        fn = lib.rlc_py_abi
    except AttributeError:  # a library built without src/py: nothing to compare with
        return
    fn.restype = ctypes.c_longlong
    fn.argtypes = [c_char_p, c_char_p]
    bad = []
    for cls in _MIRRORS:
        name = cls._rlc_name_.encode()
        got = fn(name, b"")
        if got >= 0 and got != ctypes.sizeof(cls):
            bad.append("sizeof(%s) = %d in C, %d in Python" % (cls._rlc_name_, got,
                                                                 ctypes.sizeof(cls)))
        for fname, _ in cls._fields_:
            off = fn(name, fname.encode())
            if off >= 0 and off != getattr(cls, fname).offset:
                bad.append("%s.%s at %d in C, %d in Python" % (cls._rlc_name_, fname, off,
                                                                getattr(cls, fname).offset))
    if bad:
        raise ImportError("%s does not match the rlc Python bindings: %s" % (LIB_PATH,
                                                                             "; ".join(bad)))


_check_abi()


# ---------------------------------------------------------------------------------------------
# Prototypes
# ---------------------------------------------------------------------------------------------

def _proto(name, restype, *argtypes, optional=False):
    try:
        f = getattr(lib, name)
    except AttributeError:
        if optional:
            return None
        raise ImportError("%s lacks %s (an older or partial build?)" % (LIB_PATH, name))
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


P = c_void_p
SpaceP = POINTER(Space)
ST = c_int  # rlc_status

# core
rlc_status_name = _proto("rlc_status_name", c_char_p, c_int)
rlc_free = _proto("rlc_free", None, P)
rlc_data_find = _proto("rlc_data_find", ST, c_char_p, c_char_p, c_size_t, optional=True)

# spaces
rlc_space_describe = _proto("rlc_space_describe", c_int, SpaceP, c_char_p, c_size_t)

# env
rlc_env_make = _proto("rlc_env_make", ST, POINTER(P), c_char_p, c_char_p)
rlc_env_destroy = _proto("rlc_env_destroy", None, P)
rlc_env_id = _proto("rlc_env_id", c_char_p, P)
rlc_env_obs_space = _proto("rlc_env_obs_space", SpaceP, P)
rlc_env_action_space = _proto("rlc_env_action_space", SpaceP, P)
rlc_env_max_episode_steps = _proto("rlc_env_max_episode_steps", c_int64, P)
rlc_env_seed_str = _proto("rlc_env_seed_str", ST, P, c_char_p)
rlc_env_reset = _proto("rlc_env_reset", ST, P, c_int64, P)
rlc_env_step = _proto("rlc_env_step", ST, P, P, P, POINTER(StepResult))
rlc_env_observe = _proto("rlc_env_observe", ST, P, P)
rlc_env_episode = _proto("rlc_env_episode", None, P, POINTER(c_double), POINTER(c_int64))
rlc_env_running = _proto("rlc_env_running", c_int, P)
rlc_env_state_size = _proto("rlc_env_state_size", c_size_t, P)
rlc_env_get_state = _proto("rlc_env_get_state", ST, P, P, c_size_t)
rlc_env_set_state = _proto("rlc_env_set_state", ST, P, c_char_p, c_size_t)
rlc_env_state_dim = _proto("rlc_env_state_dim", c_int, P)
rlc_env_state_names = _proto("rlc_env_state_names", c_char_p, P)
rlc_env_get_state_vector = _proto("rlc_env_get_state_vector", ST, P, P)
rlc_env_set_state_vector = _proto("rlc_env_set_state_vector", ST, P, P, c_int)
rlc_env_render = _proto("rlc_env_render", ST, P, P, c_int, c_int)
rlc_env_registry_count = _proto("rlc_env_registry_count", c_int)
rlc_env_registry_get = _proto("rlc_env_registry_get", POINTER(EnvSpecC), c_int)
rlc_env_registry_find = _proto("rlc_env_registry_find", POINTER(EnvSpecC), c_char_p)

# vector env
rlc_vec_env_create = _proto("rlc_vec_env_create", ST, POINTER(POINTER(VecEnvC)), c_char_p,
                            c_char_p, c_int, POINTER(VecEnvOptions))
rlc_vec_env_destroy = _proto("rlc_vec_env_destroy", None, POINTER(VecEnvC))
rlc_vec_env_reset = _proto("rlc_vec_env_reset", ST, POINTER(VecEnvC), c_int64)
rlc_vec_env_step = _proto("rlc_vec_env_step", ST, POINTER(VecEnvC), P)
rlc_vec_env_get = _proto("rlc_vec_env_get", P, POINTER(VecEnvC), c_int)
rlc_vec_env_pop_stats = _proto("rlc_vec_env_pop_stats", None, POINTER(VecEnvC),
                               POINTER(VecEpisodeStats))

# safetensors (used by tests to cross-check the pure-Python reader and writer)
rlc_st_load = _proto("rlc_st_load", ST, c_char_p, POINTER(P))
rlc_st_file_destroy = _proto("rlc_st_file_destroy", None, P)
rlc_st_count = _proto("rlc_st_count", c_int, P)
rlc_st_meta = _proto("rlc_st_meta", c_char_p, P, c_char_p)

# config tables
rlc_config_defaults = _proto("rlc_config_defaults", None, POINTER(ConfigTable), P)
rlc_config_set = _proto("rlc_config_set", ST, POINTER(ConfigTable), P, c_char_p, c_char_p)
rlc_config_get = _proto("rlc_config_get", ST, POINTER(ConfigTable), P, c_char_p, c_char_p,
                        c_size_t)
rlc_config_apply_env_defaults = _proto("rlc_config_apply_env_defaults", ST,
                                       POINTER(ConfigTable), P, c_char_p, c_char_p,
                                       POINTER(c_int))

# agents (optional: a library built before the agent layer still serves envs)
rlc_algo_count = _proto("rlc_algo_count", c_int, optional=True)
HAVE_AGENTS = rlc_algo_count is not None
if HAVE_AGENTS:
    rlc_algo_name = _proto("rlc_algo_name", c_char_p, c_int)
    rlc_algo_config_table = _proto("rlc_algo_config_table", POINTER(ConfigTable), c_char_p)
    rlc_agent_create = _proto("rlc_agent_create", ST, POINTER(P), c_char_p, c_char_p,
                              c_char_p, P, c_uint64)
    rlc_agent_destroy = _proto("rlc_agent_destroy", None, P)
    rlc_agent_algo = _proto("rlc_agent_algo", c_char_p, P)
    rlc_agent_env_id = _proto("rlc_agent_env_id", c_char_p, P)
    rlc_agent_env_kwargs = _proto("rlc_agent_env_kwargs", c_char_p, P)
    rlc_agent_config_table = _proto("rlc_agent_config_table", POINTER(ConfigTable), P)
    rlc_agent_config = _proto("rlc_agent_config", P, P)
    rlc_agent_num_envs = _proto("rlc_agent_num_envs", c_int, P)
    rlc_agent_act = _proto("rlc_agent_act", ST, P, P, c_int, P, c_int)
    rlc_agent_add_transition = _proto("rlc_agent_add_transition", ST, P, P, P, c_double, P,
                                      c_int, c_int)
    rlc_agent_train = _proto("rlc_agent_train", ST, P, c_uint64, POINTER(TrainOptions),
                             POINTER(TrainResult))
    rlc_agent_evaluate = _proto("rlc_agent_evaluate", ST, P, c_int, c_uint64, c_int, P, P,
                                c_int, c_int)
    rlc_agent_save = _proto("rlc_agent_save", ST, P, c_char_p)
    rlc_agent_load = _proto("rlc_agent_load", ST, POINTER(P), c_char_p, c_uint64)


def cstr(s):
    """str -> bytes for a const char * argument (None stays None)."""
    if s is None:
        return None
    if isinstance(s, bytes):
        return s
    return str(s).encode("utf-8")


def pystr(b):
    return None if b is None else b.decode("utf-8", "replace")
