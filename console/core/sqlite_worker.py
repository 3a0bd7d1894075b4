"""The SQLite plumbing the event log (eventlog.py) and the recordings index (recording_store.py) share.

Both keep the desk's event loop off the disk the same way: one writer thread owns its own connection and drains
a queue of work, so no commit or WAL checkpoint runs on the loop (or the GUI thread); reads run on the caller's
thread through a second connection guarded by a lock. `SqliteWorker` is that shape: queueing, `flush` (a
`threading.Event` put on the queue, set by the writer when it gets there), `close` (a `Stop` marker), and the
locked read cursor. Each store keeps its own schema, writer loop and queries.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

W = TypeVar("W")


class Stop:
    """Queue marker: finish and commit what is queued, then end the writer thread."""


def connect(path: Path, *, check_same_thread: bool) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) on the WAL journal."""
    conn = sqlite3.connect(path, check_same_thread=check_same_thread, timeout=10.0, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def where_equal(where: list[str], args: list[Any], pairs: Iterable[tuple[str, Any]]) -> None:
    """Add ``column = ?`` to ``where`` (and the value to ``args``) for every pair whose value is given."""
    for column, value in pairs:
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)


def select(sql: str, where: list[str], order: str, args: list[Any], limit: int) -> str:
    """``sql`` with its WHERE clause (when any), ORDER BY ``order`` and a LIMIT (appended to ``args``)."""
    if where:
        sql += " WHERE " + " AND ".join(where)
    args.append(limit)
    return f"{sql} ORDER BY {order} LIMIT ?"


class SqliteWorker(Generic[W]):
    """A store in one SQLite file with a writer thread (see the module docstring). Subclasses call `_open` then
    `_start`, and implement `_write_loop` (which ends when it takes a `Stop`)."""

    #: how long `flush` waits by default, in seconds
    flush_timeout = 5.0

    def _open(self, db: Path, closed_message: str) -> sqlite3.Connection:
        """Open the reading connection (``closed_message``: the error of a read after `close`)."""
        self._db = db
        self._closed_message = closed_message
        self._reader = connect(db, check_same_thread=False)
        self._read_lock = threading.Lock()
        self._queue: queue.SimpleQueue[W | threading.Event | Stop] = queue.SimpleQueue()
        self._closed = False
        return self._reader

    def _start(self, thread_name: str) -> None:
        self._writer = threading.Thread(target=self._run_writer, name=thread_name, daemon=True)
        self._writer.start()

    def _run_writer(self) -> None:
        conn = connect(self._db, check_same_thread=True)
        try:
            self._write_loop(conn)
        finally:
            conn.close()

    def _write_loop(self, conn: sqlite3.Connection) -> None:
        """Drain the queue into ``conn`` (the writer thread's own connection) until a `Stop`."""
        raise NotImplementedError

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is on disk; False if that took longer than ``timeout``."""
        if self._closed:
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(self.flush_timeout if timeout is None else timeout)

    def close(self) -> None:
        """Finish and commit what is queued, stop the writer and close the file (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(Stop())
        self._writer.join()
        with self._read_lock:
            self._reader.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[sqlite3.Cursor]:
        if self._closed:
            raise RuntimeError(self._closed_message)
        with self._read_lock:
            cur = self._reader.cursor()
            try:
                yield cur
            finally:
                cur.close()


__all__ = ["SqliteWorker", "Stop", "connect", "select", "where_equal"]
