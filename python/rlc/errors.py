"""Exceptions of the rlc bindings: RlcError (a RuntimeError) and one subclass per rlc_status code,
also deriving from the matching built-in exception (ValueError, LookupError, OSError, ...), so
callers can catch either. The message is rlc_last_error()'s text, or the bindings' own for
checks done in Python before calling C."""

RLC_ERR_INVALID = -1
RLC_ERR_NOMEM = -2
RLC_ERR_IO = -3
RLC_ERR_FORMAT = -4
RLC_ERR_NOT_FOUND = -5
RLC_ERR_STATE = -6
RLC_ERR_UNSUPPORTED = -7
RLC_ERR_RANGE = -8

STATUS_NAMES = {
    0: "RLC_OK", RLC_ERR_INVALID: "RLC_ERR_INVALID", RLC_ERR_NOMEM: "RLC_ERR_NOMEM",
    RLC_ERR_IO: "RLC_ERR_IO", RLC_ERR_FORMAT: "RLC_ERR_FORMAT",
    RLC_ERR_NOT_FOUND: "RLC_ERR_NOT_FOUND", RLC_ERR_STATE: "RLC_ERR_STATE",
    RLC_ERR_UNSUPPORTED: "RLC_ERR_UNSUPPORTED", RLC_ERR_RANGE: "RLC_ERR_RANGE",
}


class RlcError(RuntimeError):
    """A failing rlc call. `status` is the rlc_status code (negative int), `status_name` its
    name ("RLC_ERR_RANGE"), and str(e) the message."""

    status = None

    def __init__(self, message, status=None):
        super().__init__(message)
        if status is not None:
            self.status = status

    @property
    def status_name(self):
        return STATUS_NAMES.get(self.status, "RLC_ERR_%s" % self.status)

    @property
    def message(self):
        return str(self)


class InvalidArgumentError(RlcError, ValueError):
    """RLC_ERR_INVALID: a bad argument or value (unknown kwarg, bad action shape or dtype)."""
    status = RLC_ERR_INVALID


class RangeError(InvalidArgumentError):
    """RLC_ERR_RANGE: a number outside its range, NaN or inf (action index, seed, kwarg)."""
    status = RLC_ERR_RANGE


class FormatError(RlcError, ValueError):
    """RLC_ERR_FORMAT: a malformed file or string (e.g. a corrupt safetensors header)."""
    status = RLC_ERR_FORMAT


class NotFoundError(RlcError, LookupError):
    """RLC_ERR_NOT_FOUND: unknown env id, algorithm, key or file."""
    status = RLC_ERR_NOT_FOUND


class StateError(RlcError):
    """RLC_ERR_STATE: a call out of order (step before reset, after the episode ended, or on a
    closed env)."""
    status = RLC_ERR_STATE


class UnsupportedError(RlcError, NotImplementedError):
    """RLC_ERR_UNSUPPORTED: not built in or not applicable (e.g. render of a MuJoCo env)."""
    status = RLC_ERR_UNSUPPORTED


class RlcIOError(RlcError, OSError):
    """RLC_ERR_IO: open/read/write failed."""
    status = RLC_ERR_IO

    def __str__(self):  # OSError's own __str__ would add errno formatting
        return self.args[0] if self.args else ""


class RlcMemoryError(RlcError, MemoryError):
    """RLC_ERR_NOMEM: an allocation failed."""
    status = RLC_ERR_NOMEM


_BY_STATUS = {
    RLC_ERR_INVALID: InvalidArgumentError, RLC_ERR_RANGE: RangeError,
    RLC_ERR_FORMAT: FormatError, RLC_ERR_NOT_FOUND: NotFoundError, RLC_ERR_STATE: StateError,
    RLC_ERR_UNSUPPORTED: UnsupportedError, RLC_ERR_IO: RlcIOError,
    RLC_ERR_NOMEM: RlcMemoryError,
}


def error_class(status):
    return _BY_STATUS.get(status, RlcError)


def raise_status(status, message):
    cls = error_class(status)
    raise cls(message, status)
