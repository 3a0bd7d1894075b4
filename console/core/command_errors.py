"""The error every dispatcher command raises when refused or not carried out (kept apart from desk.py so that
the modules holding some of the desk's commands can raise it too)."""

from __future__ import annotations

__all__ = ["CommandFailed"]


class CommandFailed(Exception):
    """A dispatcher command was refused or could not be carried out; ``code`` is an `ErrorCode` value."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = reason
