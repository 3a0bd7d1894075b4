"""websockets' loggers without frame contents: at DEBUG websockets logs the start of every frame, and a `hello`
carries a password or terminal secret, a `welcome` a resumption token (SPEC.md §2.6, §9: never logged).

Every WebSocket this project opens or serves passes ``logger=frame_safe_logger(...)``: frames are then logged
by type and size only (``> TEXT [84 bytes]``); everything else websockets logs is kept as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

#: the messages websockets logs a frame with ("> %s" sent, "< %s" received)
_FRAME_MESSAGES = frozenset({"> %s", "< %s"})


class FrameSafeLogger(logging.LoggerAdapter[logging.Logger]):
    """A logger adapter that logs a frame's opcode and length instead of its text."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(logger, {})

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        return msg, kwargs

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        if msg in _FRAME_MESSAGES and len(args) == 1:
            args = (_frame_summary(args[0]),)
        extra: Mapping[str, object] | None = kwargs.pop("extra", None)
        kwargs.setdefault("stacklevel", 2)
        self.logger.log(level, msg, *args, extra=extra, **kwargs)


def _frame_summary(frame: object) -> str:
    opcode = getattr(frame, "opcode", None)
    data = getattr(frame, "data", b"")
    name = getattr(opcode, "name", "FRAME")
    return f"{name} [{len(data)} bytes]"


def frame_safe_logger(name: str) -> FrameSafeLogger:
    """``logging.getLogger(name)`` wrapped so that frame contents never reach a log (see the module docstring)."""
    return FrameSafeLogger(logging.getLogger(name))


__all__ = ["FrameSafeLogger", "frame_safe_logger"]
