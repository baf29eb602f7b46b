"""rlc: Python bindings (ctypes, no compile step) over librlc.so.

    import rlc
    env = rlc.make("CartPole-v1")                      # Gymnasium-style Env
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(0)
    venv = rlc.make_vec("CartPole-v1", num_envs=64)    # VectorEnv, stepped in C
    ck = rlc.load_safetensors("final.safetensors")     # dict of numpy arrays + .metadata
    agent = rlc.train("CartPole-v1", "ppo", steps=50_000, seed=1)
    action = agent.predict(obs)

Every failing call raises an RlcError subclass carrying rlc's own message.
"""

from . import _lib
from .agent import Agent, algorithms, load, train
from .agent import create as create_agent
from .dataset import Dataset, load_dataset
from .env import Env, EnvSpec, make, registry, spec
from .env_checker import check_env
from .errors import (FormatError, InvalidArgumentError, NotFoundError, RangeError, RlcError,
                     RlcIOError, RlcMemoryError, StateError, UnsupportedError)
from .safetensors import Checkpoint, load_safetensors, save_safetensors
from .spaces import Box, Discrete, MultiDiscrete, Space
from .vector import VectorEnv, make_vec

__version__ = "0.1.0"
LIB_PATH = _lib.LIB_PATH


__all__ = [
    "make", "make_vec", "Env", "VectorEnv", "EnvSpec", "registry", "spec", "check_env",
    "Box", "Discrete", "MultiDiscrete", "Space",
    "load_safetensors", "save_safetensors", "Checkpoint",
    "train", "load", "Agent", "algorithms", "create_agent",
    "Dataset", "load_dataset",
    "RlcError", "InvalidArgumentError", "RangeError", "FormatError", "NotFoundError",
    "StateError", "UnsupportedError", "RlcIOError", "RlcMemoryError",
    "LIB_PATH", "__version__",
]
