"""Log files and the recent log lines: one `setup_logging` for every `trunkdesk` program (desk, headless,
testbed, platform, witness).

Each program writes its own rotating file in the user's log folder (``user_log_dir("trunkdesk")``, 5 MB x 5):
``desk.log``, ``testbed.log``, ``platform-A.log``... and keeps its last lines in memory for diagnostics.
``TRUNKDESK_LOG_DIR`` moves the files elsewhere; set to ``-`` it turns them off.
"""

from __future__ import annotations

import collections
import logging
import logging.handlers
import os
import sys
import threading
from pathlib import Path

from platformdirs import user_log_dir

logger = logging.getLogger(__name__)

#: bytes per log file before it rotates, and how many rotated files are kept
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5
#: lines kept in memory for `recent_log_lines`
RECENT_LINES = 200
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_ENV = "TRUNKDESK_LOG_DIR"


class RecentLines(logging.Handler):
    """Keeps the last formatted log lines in memory (for the diagnostics a dispatcher copies)."""

    def __init__(self, size: int = RECENT_LINES) -> None:
        super().__init__(logging.DEBUG)
        self.lines: collections.deque[str] = collections.deque(maxlen=size)
        self._guard = threading.Lock()
        self.setFormatter(logging.Formatter(FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # a bad format string in someone's log call must not break logging
            self.handleError(record)
            return
        with self._guard:
            self.lines.append(line)

    def snapshot(self) -> list[str]:
        with self._guard:
            return list(self.lines)


def log_directory(configured: Path | None = None) -> Path | None:
    """Where log files go: ``TRUNKDESK_LOG_DIR``, else ``configured``, else the user's log folder; None: no files."""
    env = os.environ.get(_ENV)
    if env is not None:
        return None if env in ("", "-") else Path(env)
    return configured or Path(user_log_dir("trunkdesk"))


def setup_logging(program: str, *, level: int = logging.WARNING, file_level: int = logging.INFO,
                  directory: Path | None = None, console: bool = True) -> Path | None:
    """Configure the root logger for ``program``: stderr at ``level``, ``{program}.log`` (rotating) at
    ``file_level`` in `log_directory` (``directory``), the recent lines in memory; the log file's path.

    Replaces the handlers a previous call installed (so tests and re-entrant starts do not stack them).
    A log folder that cannot be made costs the file only, with a warning on stderr."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_trunkdesk", False):
            root.removeHandler(handler)
            handler.close()
    formatter = logging.Formatter(FORMAT)
    handlers: list[logging.Handler] = [RecentLines()]
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setLevel(level)
        stream.setFormatter(formatter)
        handlers.append(stream)
    path: Path | None = None
    folder = log_directory(directory)
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{_safe(program)}.log"
            rotating = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                            encoding="utf-8", delay=True)
        except OSError as exc:
            print(f"trunkdesk: no log file in {folder}: {exc}", file=sys.stderr)  # noqa: T201 - logging is not up
            path = None
        else:
            rotating.setLevel(file_level)
            rotating.setFormatter(formatter)
            handlers.append(rotating)
    for handler in handlers:
        handler._trunkdesk = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(min(level, file_level))
    # websockets' frames are logged without their contents (protocols/aio/wirelog.py), but its handshake
    # chatter at DEBUG drowns everything else: keep it at INFO unless the program asks for debug everywhere
    logging.getLogger("websockets").setLevel(logging.DEBUG if level <= logging.DEBUG else logging.INFO)
    logger.info("%s logging to %s", program, path or "stderr only")
    return path


def recent_log_lines(n: int = RECENT_LINES) -> list[str]:
    """The last ``n`` lines logged by this process (empty before `setup_logging`)."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, RecentLines):
            return handler.snapshot()[-n:]
    return []


def level_named(name: str, default: int = logging.INFO) -> int:
    """The logging level called ``name`` (``DEBUG``, ``INFO``...), else ``default``."""
    value = logging.getLevelName(name.upper())
    return value if isinstance(value, int) else default


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name) or "trunkdesk"


__all__ = ["BACKUPS", "MAX_BYTES", "RecentLines", "level_named", "log_directory", "recent_log_lines",
           "setup_logging"]
