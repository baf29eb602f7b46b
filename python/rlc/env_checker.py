"""check_env: the checks of Gymnasium's env_checker applied to an rlc env (valid spaces, reset
and step return types, dtypes and shapes, seeding determinism, seeded space sampling,
snapshots, render, idempotent close), raising AssertionError with what failed."""

import numpy as np

from .env import Env
from .errors import StateError, UnsupportedError


def _check_space(sp, what):
    assert sp is not None, "%s is missing" % what
    shape = sp.shape
    assert isinstance(shape, tuple), "%s.shape must be a tuple, got %r" % (what, shape)
    if hasattr(sp, "low") and hasattr(sp, "high"):  # Box
        assert sp.low.shape == shape and sp.high.shape == shape, \
            "%s: low/high shapes %s/%s differ from shape %s" % (what, sp.low.shape,
                                                               sp.high.shape, shape)
        assert sp.low.dtype == sp.dtype and sp.high.dtype == sp.dtype, \
            "%s: low/high dtypes differ from %s" % (what, sp.dtype)
        assert np.all(sp.low <= sp.high), "%s: low > high somewhere" % what
        assert not np.any(np.isnan(sp.low)) and not np.any(np.isnan(sp.high)), \
            "%s: NaN bounds" % what
    elif hasattr(sp, "nvec"):  # MultiDiscrete
        assert np.all(sp.nvec > 0), "%s: nvec must be positive" % what
        assert sp.nvec.shape == shape, "%s: nvec shape differs from shape" % what
    else:  # Discrete
        assert int(sp.n) > 0, "%s: n must be positive" % what
        assert shape == (), "%s: a Discrete space has shape ()" % what
        assert sp.dtype == np.int64, "%s: Discrete dtype must be int64" % what


def _check_obs(obs, sp, where):
    assert isinstance(obs, np.ndarray), "%s: obs must be a numpy array, got %s" % (
        where, type(obs).__name__)
    assert obs.dtype == sp.dtype, "%s: obs dtype %s, space dtype %s" % (where, obs.dtype,
                                                                        sp.dtype)
    assert obs.shape == sp.shape, "%s: obs shape %s, space shape %s" % (where, obs.shape,
                                                                        sp.shape)


def _same(a, b):
    return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)


def check_env(env, seed=123, steps=40, check_render=True):
    """Checks `env` (an rlc Env, or an env id to make) like gymnasium.utils.env_checker
    .check_env, plus rlc's snapshots. Raises AssertionError naming the first failed check;
    returns None when all pass. A second env of the same id and kwargs is made for the
    determinism checks; both are closed at the end (twice, to check close is idempotent)."""
    if isinstance(env, str):
        env = Env(env)
    assert isinstance(env, Env), "check_env needs an rlc Env, got %s" % type(env).__name__
    other = Env(env.id, **env.kwargs)
    try:
        _check(env, other, seed, steps, check_render)
    finally:
        other.close()
    env.close()
    env.close()
    try:
        env.reset()
    except StateError:
        pass
    else:
        raise AssertionError("reset after close must raise StateError")


def _check(env, other, seed, steps, check_render):
    obs_sp, act_sp = env.observation_space, env.action_space
    _check_space(obs_sp, "observation_space")
    _check_space(act_sp, "action_space")

    # reset: types, containment, determinism
    out = env.reset(seed=seed)
    assert isinstance(out, tuple) and len(out) == 2, "reset must return (obs, info)"
    obs, info = out
    _check_obs(obs, obs_sp, "reset")
    assert isinstance(info, dict), "reset info must be a dict"
    assert obs_sp.contains(obs), "reset obs %s is not in %r" % (obs, obs_sp)
    obs_b, _ = other.reset(seed=seed)
    assert _same(obs, obs_b), "reset(seed=%d) differs between two envs" % seed
    again, _ = env.reset(seed=seed)
    assert _same(obs, again), "reset(seed=%d) twice gives different obs" % seed
    cont_a, _ = env.reset()
    cont_b, _ = other.reset()
    assert _same(cont_a, cont_b), "reset() after the same seed differs between two envs"
    env.reset(seed=seed)
    state_a = env.get_state()
    other.reset(seed=seed + 1)
    assert other.get_state() != state_a, "reset with another seed gives the same RNG state"
    env.reset(options={})  # options accepted (empty)
    env.reset(seed=seed)
    other.reset(seed=seed)

    # space sampling: seeded and contained
    act_sp.seed(seed)
    first = [act_sp.sample() for _ in range(5)]
    act_sp.seed(seed)
    second = [act_sp.sample() for _ in range(5)]
    assert all(_same(a, b) for a, b in zip(first, second)), "action_space.sample() is not " \
        "deterministic after seed()"
    assert all(act_sp.contains(a) for a in first), "action_space.sample() not in the space"
    obs_sp.seed(seed)
    assert obs_sp.contains(obs_sp.sample()) or not hasattr(obs_sp, "low"), \
        "observation_space.sample() not in the space"

    # step: types and determinism between the two envs
    act_sp.seed(seed)
    snap = None
    for t in range(steps):
        a = act_sp.sample()
        r1 = env.step(a)
        r2 = other.step(a)
        assert isinstance(r1, tuple) and len(r1) == 5, "step must return a 5-tuple"
        o, rew, term, trunc, inf = r1
        _check_obs(o, obs_sp, "step")
        assert isinstance(rew, float) and np.isfinite(rew), "reward must be a finite float, got " \
            "%r" % (rew,)
        assert isinstance(term, bool) and isinstance(trunc, bool), \
            "terminated/truncated must be bool"
        assert isinstance(inf, dict), "step info must be a dict"
        assert _same(o, r2[0]) and rew == r2[1] and term == r2[2] and trunc == r2[3], \
            "step %d differs between two envs seeded alike" % t
        if term or trunc:
            ep = inf.get("episode")
            assert ep is not None and "r" in ep and "l" in ep, \
                "the last step of an episode must report info['episode'] = {'r', 'l'}"
            env.reset()
            other.reset()
        elif t == steps // 2:
            snap = (env.get_state(), a)

    # snapshots reproduce the future
    if snap is not None:
        state, _ = snap
        env.set_state(state)
        other.set_state(state)
        act_sp.seed(seed + 7)
        for _ in range(5):
            a = act_sp.sample()
            x, y = env.step(a), other.step(a)
            assert _same(x[0], y[0]) and x[1] == y[1], "set_state does not reproduce the future"
            if x[2] or x[3]:
                break

    # render
    if check_render:
        env.reset(seed=seed)
        try:
            frame = env.render()
        except UnsupportedError:
            frame = None
        if frame is not None:
            assert isinstance(frame, np.ndarray) and frame.dtype == np.uint8 and \
                frame.ndim == 3 and frame.shape[2] == 3, "render must give uint8 (H, W, 3)"


__all__ = ["check_env"]
