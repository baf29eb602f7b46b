"""Spaces with Gymnasium's interface and sampling (Box, Discrete, MultiDiscrete): shape, dtype,
bounds, seed(), sample() drawn from a numpy Generator exactly as gymnasium.spaces does,
contains(), batching for vector envs, and conversion from the C rlc_space and, when
Gymnasium is importable, to gymnasium.spaces objects."""

import numpy as np

try:  # optional: only used to hand out gymnasium.spaces objects when Gymnasium is installed
    import gymnasium as _gym
    import gymnasium.spaces as _gym_spaces
except Exception:  # pragma: no cover - Gymnasium is not installable here
    _gym = None
    _gym_spaces = None


class Space:
    """Base class: shape, dtype, a lazily seeded numpy Generator `np_random`."""

    def __init__(self, shape, dtype, seed=None):
        self._shape = None if shape is None else tuple(int(d) for d in shape)
        self.dtype = None if dtype is None else np.dtype(dtype)
        self._np_random = None
        if seed is not None:
            self.seed(seed)

    @property
    def shape(self):
        return self._shape

    @property
    def np_random(self):
        if self._np_random is None:
            self.seed()
        return self._np_random

    def seed(self, seed=None):
        """Seeds the space's generator like Gymnasium (numpy.random.default_rng(seed)); returns
        [seed] (the entropy that was used when seed is None)."""
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                                 or seed < 0):
            raise ValueError("seed must be a non-negative integer or None, got %r" % (seed,))
        ss = np.random.SeedSequence(None if seed is None else int(seed))
        self._np_random = np.random.Generator(np.random.PCG64(ss))
        return [int(seed) if seed is not None else ss.entropy]

    def __contains__(self, x):
        return self.contains(x)

    @property
    def is_np_flattenable(self):
        return True


class Box(Space):
    """A (possibly unbounded) array of `shape` with elementwise bounds low <= x <= high."""

    def __init__(self, low, high, shape=None, dtype=np.float32, seed=None):
        dtype = np.dtype(dtype)
        if shape is None:
            shape = np.shape(low) if np.ndim(low) else np.shape(high)
        shape = tuple(int(d) for d in shape)
        self.low = np.broadcast_to(np.asarray(low, dtype=np.float64), shape).astype(dtype)
        self.high = np.broadcast_to(np.asarray(high, dtype=np.float64), shape).astype(dtype)
        if np.any(self.low > self.high):
            raise ValueError("Box low must be <= high")
        super().__init__(shape, dtype, seed)
        self.bounded_below = -np.inf < self.low.astype(np.float64)
        self.bounded_above = np.inf > self.high.astype(np.float64)

    def is_bounded(self, manner="both"):
        below, above = bool(np.all(self.bounded_below)), bool(np.all(self.bounded_above))
        if manner == "both":
            return below and above
        if manner == "below":
            return below
        if manner == "above":
            return above
        raise ValueError("manner is not in {'below', 'above', 'both'}")

    def sample(self, mask=None):
        """Gymnasium's Box.sample: uniform where bounded, exponential where half-bounded, normal
        where unbounded; integer dtypes floor the draw."""
        if mask is not None:
            raise ValueError("Box.sample cannot be masked")
        high = self.high if self.dtype.kind == "f" else self.high.astype("int64") + 1
        sample = np.empty(self.shape)
        unbounded = ~self.bounded_below & ~self.bounded_above
        upp = ~self.bounded_below & self.bounded_above
        low = self.bounded_below & ~self.bounded_above
        both = self.bounded_below & self.bounded_above
        rng = self.np_random
        sample[unbounded] = rng.normal(size=unbounded[unbounded].shape)
        sample[low] = rng.exponential(size=low[low].shape) + self.low[low]
        sample[upp] = -rng.exponential(size=upp[upp].shape) + high[upp]
        sample[both] = rng.uniform(low=self.low[both], high=high[both], size=both[both].shape)
        if self.dtype.kind in "iub":
            sample = np.floor(sample)
        return sample.astype(self.dtype)

    def contains(self, x):
        if not isinstance(x, np.ndarray):
            try:
                x = np.asarray(x, dtype=self.dtype)
            except (ValueError, TypeError):
                return False
        return bool(np.can_cast(x.dtype, self.dtype) and x.shape == self.shape
                    and np.all(x >= self.low) and np.all(x <= self.high))

    def __repr__(self):
        def fmt(a):
            if a.size and np.all(a == a.flat[0]):
                return str(a.flat[0])
            return np.array2string(a, separator=" ")
        return "Box(%s, %s, %s, %s)" % (fmt(self.low), fmt(self.high), self.shape, self.dtype)

    def __eq__(self, other):
        return (isinstance(other, Box) and self.shape == other.shape
                and self.dtype == other.dtype and np.array_equal(self.low, other.low)
                and np.array_equal(self.high, other.high))

    __hash__ = None


class Discrete(Space):
    """One integer in {start, ..., start + n - 1} (an int64 scalar)."""

    def __init__(self, n, start=0, seed=None):
        if int(n) <= 0:
            raise ValueError("Discrete n must be positive, got %r" % (n,))
        self.n = np.int64(n)
        self.start = np.int64(start)
        super().__init__((), np.int64, seed)

    def sample(self, mask=None):
        """start + np_random.integers(n), or a uniform choice among the allowed actions of
        `mask` (an int8 array of n ones and zeros; start when none is allowed)."""
        if mask is not None:
            mask = np.asarray(mask)
            if mask.shape != (int(self.n),):
                raise ValueError("mask must have shape (%d,), got %s" % (self.n, mask.shape))
            valid = np.where(mask)[0]
            if valid.size == 0:
                return self.start
            return self.start + self.np_random.choice(valid)
        return self.start + self.np_random.integers(self.n)

    def contains(self, x):
        if isinstance(x, (bool, int)):
            v = np.int64(x)
        elif isinstance(x, (np.generic, np.ndarray)) and np.issubdtype(x.dtype, np.integer) \
                and x.shape == ():
            v = np.int64(x)
        else:
            return False
        return bool(self.start <= v < self.start + self.n)

    def __repr__(self):
        if self.start:
            return "Discrete(%d, start=%d)" % (self.n, self.start)
        return "Discrete(%d)" % self.n

    def __eq__(self, other):
        return isinstance(other, Discrete) and self.n == other.n and self.start == other.start

    __hash__ = None


class MultiDiscrete(Space):
    """Integers x[i] in {start[i], ..., start[i] + nvec[i] - 1}; nvec may have any shape."""

    def __init__(self, nvec, dtype=np.int64, seed=None, start=None):
        self.nvec = np.array(nvec, dtype=dtype, copy=True)
        self.start = (np.zeros_like(self.nvec) if start is None
                      else np.broadcast_to(np.asarray(start, dtype=dtype), self.nvec.shape).copy())
        if np.any(self.nvec <= 0):
            raise ValueError("MultiDiscrete nvec must be positive")
        super().__init__(self.nvec.shape, dtype, seed)

    def sample(self, mask=None):
        if mask is not None:
            raise ValueError("MultiDiscrete.sample masks are not supported by rlc")
        return (self.np_random.random(self.nvec.shape) * self.nvec).astype(self.dtype) + self.start

    def contains(self, x):
        if isinstance(x, (list, tuple)):
            x = np.array(x)
        if not isinstance(x, np.ndarray) or x.shape != self.shape or x.dtype.kind not in "iu":
            return False
        return bool(np.all(self.start <= x) and np.all(x - self.start < self.nvec))

    def __repr__(self):
        if np.any(self.start != 0):
            return "MultiDiscrete(%s, start=%s)" % (self.nvec, self.start)
        return "MultiDiscrete(%s)" % self.nvec

    def __eq__(self, other):
        return (isinstance(other, MultiDiscrete) and np.array_equal(self.nvec, other.nvec)
                and np.array_equal(self.start, other.start))

    __hash__ = None


def from_c(sp):
    """An rlc Space from a C rlc_space (the struct, not a pointer)."""
    from ._lib import SPACE_BOX, SPACE_DISCRETE, SPACE_DTYPES
    if sp.kind == SPACE_DISCRETE:
        return Discrete(int(sp.n), int(sp.start))
    size = int(sp.size)
    if sp.kind == SPACE_BOX:
        shape = tuple(int(sp.shape[i]) for i in range(sp.ndim))
        low = np.ctypeslib.as_array(sp.low, (size,)).copy().reshape(shape)
        high = np.ctypeslib.as_array(sp.high, (size,)).copy().reshape(shape)
        return Box(low, high, shape, SPACE_DTYPES[sp.dtype])
    nvec = np.ctypeslib.as_array(sp.nvec, (size,)).copy()
    start = np.ctypeslib.as_array(sp.nstart, (size,)).copy() if sp.nstart else None
    return MultiDiscrete(nvec, start=start)


def batch_space(space, n):
    """The space of n stacked values (Gymnasium's batch_space): Box -> Box of shape (n, ...),
    Discrete -> MultiDiscrete of n, MultiDiscrete -> MultiDiscrete of shape (n, ...)."""
    if isinstance(space, Box):
        reps = (n,) + (1,) * len(space.shape)
        return Box(np.tile(space.low, reps), np.tile(space.high, reps), (n,) + space.shape,
                   space.dtype)
    if isinstance(space, Discrete):
        return MultiDiscrete(np.full(n, space.n, np.int64), start=np.full(n, space.start, np.int64))
    reps = (n,) + (1,) * space.nvec.ndim
    return MultiDiscrete(np.tile(space.nvec, reps), start=np.tile(space.start, reps))


def to_gymnasium(space):
    """The equivalent gymnasium.spaces object, or `space` itself when Gymnasium is absent."""
    if _gym_spaces is None:
        return space
    if isinstance(space, Box):
        return _gym_spaces.Box(space.low, space.high, space.shape, space.dtype)
    if isinstance(space, Discrete):
        return _gym_spaces.Discrete(int(space.n), start=int(space.start))
    return _gym_spaces.MultiDiscrete(space.nvec, start=space.start)


def have_gymnasium():
    return _gym is not None
