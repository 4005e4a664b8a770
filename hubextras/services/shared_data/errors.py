"""Errors that reach a person: each says what happened and what to do, and carries the HTTP status it means."""


class SharedDataError(Exception):
    """Base of every refusal of the shared-data service; `str(error)` is the message a person reads."""

    status = 400


class UnsafePath(SharedDataError):
    """A path that would leave the shared folder, or a name the service refuses."""


class NotFound(SharedDataError):
    status = 404


class AlreadyExists(SharedDataError):
    status = 409


class Busy(SharedDataError):
    """Someone else is changing the same thing right now."""

    status = 409


class NotYours(SharedDataError):
    """Someone acting on another person's upload."""

    status = 403


class QuotaExceeded(SharedDataError):
    status = 413


class UnsafeArchive(SharedDataError):
    """An archive that would write outside its folder, link out, or is a decompression bomb."""


class PullFailed(SharedDataError):
    """A git or URL pull that did not complete (bad URL, unreachable server, unknown branch)."""

    status = 502
