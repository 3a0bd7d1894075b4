"""The desk's record of everything that happened: calls, floor grants, messages, alarms, acknowledgements
and dispatcher actions, in SQLite (stdlib sqlite3, WAL).

Each event keeps data, not language: a ``kind``, the ids it concerns, a ``summary`` of the fields the UI
renders in Chinese or English, and the full ``data`` as JSON. `record` only encodes and queues; a writer
thread commits in batches (every ``batch_seconds`` or ``batch_rows``), so neither a commit nor a WAL
checkpoint ever runs on the asyncio loop; `asearch` and `arecent` keep reading off it too. `search` uses
FTS5 with the trigram tokenizer when the SQLite build has it (substring search that works for Chinese
text), else LIKE.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from console.core.sqlite_worker import SqliteWorker, Stop, select, where_equal

logger = logging.getLogger(__name__)

#: Longest text kept in the search body of one event.
_BODY_LIMIT = 4000
#: Shortest search term the trigram index can find; shorter ones use LIKE.
_TRIGRAM = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    terminal TEXT,
    grp TEXT,
    call TEXT,
    alert TEXT,
    alarm TEXT,
    summary TEXT NOT NULL,
    data TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_at ON events (at_ms);
CREATE INDEX IF NOT EXISTS events_kind ON events (kind, at_ms);
CREATE INDEX IF NOT EXISTS events_terminal ON events (terminal, at_ms);
CREATE INDEX IF NOT EXISTS events_grp ON events (grp, at_ms);
"""
_FTS = "CREATE VIRTUAL TABLE events_fts USING fts5(body, content='events', content_rowid='id', tokenize='trigram')"
_COLUMNS = "id, at_ms, actor, kind, terminal, grp, call, alert, alarm, summary, data"
_INSERT = ("INSERT INTO events (at_ms, actor, kind, terminal, grp, call, alert, alarm, summary, data, body) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")

_encoder = msgspec.json.Encoder()


@dataclass(frozen=True)
class Event:
    """One logged event. ``at_ms`` is unix time in milliseconds; ``actor`` who did it (a dispatcher, a
    terminal id, ``platform``)."""

    id: int
    at_ms: int
    actor: str
    kind: str
    terminal: str | None
    group: str | None
    call: str | None
    alert: str | None
    alarm: str | None
    summary: dict[str, Any]
    data: Any


@dataclass(frozen=True)
class _Row:
    at_ms: int
    actor: str
    kind: str
    terminal: str | None
    group: str | None
    call: str | None
    alert: str | None
    alarm: str | None
    summary: bytes
    data: bytes


class EventLog(SqliteWorker[_Row]):
    """An append-only, searchable event log in one SQLite file; reopen the file to find everything again."""

    def __init__(self, path: str | Path, *, batch_rows: int = 200, batch_seconds: float = 0.1,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.batch_rows = batch_rows
        self.batch_seconds = batch_seconds
        self.clock = clock
        #: rows lost because a batch could not be written (disk full, file removed, ...)
        self.write_errors = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fts = _prepare(self._open(self.path, f"event log {self.path} is closed"))
        self._start(f"eventlog-{self.path.name}")

    # ----- writing ----------------------------------------------------------------------------

    def record(self, kind: str, *, actor: str = "", at_ms: int | None = None, terminal: str | None = None,
               group: str | None = None, call: str | None = None, alert: str | None = None,
               alarm: str | None = None, summary: Mapping[str, Any] | None = None, data: Any = None) -> None:
        """Queue one event (encoded now: later changes to ``data`` do not reach the log)."""
        if self._closed:
            logger.warning("event log %s is closed: %s not recorded", self.path, kind)
            return
        when = at_ms if at_ms is not None else int(self.clock() * 1000)
        row = _Row(when, actor, kind, terminal, group, call, alert, alarm,
                   _encoder.encode(dict(summary or {})), _encoder.encode(data))
        self._queue.put(row)

    def _write_loop(self, conn: sqlite3.Connection) -> None:
        while True:
            batch, waiters, stop = self._take_batch()
            if batch:
                self._write(conn, batch)
            for waiter in waiters:
                waiter.set()
            if stop:
                return

    def _take_batch(self) -> tuple[list[_Row], list[threading.Event], bool]:
        """Block for the first item, then gather more for up to ``batch_seconds`` or ``batch_rows``."""
        batch: list[_Row] = []
        waiters: list[threading.Event] = []
        item = self._queue.get()
        deadline = time.monotonic() + self.batch_seconds
        while True:
            if isinstance(item, Stop):
                return batch, waiters, True
            if isinstance(item, threading.Event):
                waiters.append(item)
                return batch, waiters, False  # someone waits: commit now
            batch.append(item)
            remaining = deadline - time.monotonic()
            if len(batch) >= self.batch_rows or remaining <= 0:
                return batch, waiters, False
            try:
                item = self._queue.get(timeout=remaining)
            except queue.Empty:
                return batch, waiters, False

    def _write(self, conn: sqlite3.Connection, batch: list[_Row]) -> None:
        rows = [(r.at_ms, r.actor, r.kind, r.terminal, r.group, r.call, r.alert, r.alarm,
                 r.summary.decode(), r.data.decode(), _body(r)) for r in batch]
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                last = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
                conn.executemany(_INSERT, rows)
                if self.fts:
                    conn.execute("INSERT INTO events_fts (rowid, body) SELECT id, body FROM events WHERE id > ?",
                                 (last,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.Error:
            self.write_errors += len(rows)
            logger.exception("event log %s: %d events could not be written", self.path, len(rows))

    # ----- reading ----------------------------------------------------------------------------

    def search(self, text: str | None = None, *, kind: str | None = None, terminal: str | None = None,
               group: str | None = None, call: str | None = None, alert: str | None = None,
               alarm: str | None = None, since: int | None = None, until: int | None = None,
               limit: int = 200) -> list[Event]:
        """Events matching every given filter, newest first. ``text`` matches (case-insensitively, as
        substrings) every whitespace-separated word against the event's kind, actor, ids, summary and data;
        ``since``/``until`` are unix milliseconds (inclusive)."""
        self.flush()
        where: list[str] = []
        args: list[Any] = []
        where_equal(where, args, (("kind", kind), ("terminal", terminal), ("grp", group), ("call", call),
                                  ("alert", alert), ("alarm", alarm)))
        if since is not None:
            where.append("at_ms >= ?")
            args.append(since)
        if until is not None:
            where.append("at_ms <= ?")
            args.append(until)
        terms = (text or "").split()
        indexed = [t for t in terms if self.fts and len(t) >= _TRIGRAM]
        if indexed:
            where.append("id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)")
            args.append(" AND ".join('"' + t.replace('"', '""') + '"' for t in indexed))
        for term in terms:
            if term not in indexed:
                where.append("body LIKE ? ESCAPE '\\'")
                args.append("%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        return self._query(select(f"SELECT {_COLUMNS} FROM events", where, "at_ms DESC, id DESC", args, limit),
                           args)

    async def asearch(self, text: str | None = None, **filters: Any) -> list[Event]:
        """`search` in a worker thread, for callers on the asyncio loop (the search box of the desk)."""
        return await asyncio.to_thread(self.search, text, **filters)

    async def arecent(self, n: int = 50) -> list[Event]:
        """`recent` in a worker thread."""
        return await asyncio.to_thread(self.recent, n)

    def recent(self, n: int = 50) -> list[Event]:
        """The last ``n`` events recorded, newest first."""
        self.flush()
        return self._query(f"SELECT {_COLUMNS} FROM events ORDER BY id DESC LIMIT ?", [n])

    def count(self) -> int:
        """How many events the file holds (after committing what is queued)."""
        self.flush()
        with self._cursor() as cur:
            return int(cur.execute("SELECT count(*) FROM events").fetchone()[0])

    def _query(self, sql: str, args: list[Any]) -> list[Event]:
        with self._cursor() as cur:
            rows = cur.execute(sql, args).fetchall()
        return [Event(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], msgspec.json.decode(r[9]),
                      msgspec.json.decode(r[10])) for r in rows]


def _prepare(conn: sqlite3.Connection) -> bool:
    """Create the tables if needed; True when the full-text index is there (built now if it was not)."""
    conn.executescript(_SCHEMA)
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'events_fts'").fetchone() is not None
    if exists:
        return True
    try:
        conn.execute(_FTS)
        conn.execute("INSERT INTO events_fts (events_fts) VALUES ('rebuild')")
    except sqlite3.OperationalError as exc:  # no FTS5, or no trigram tokenizer (SQLite < 3.34)
        logger.info("event log: full-text search unavailable (%s); searching with LIKE", exc)
        return False
    return True


def _body(row: _Row) -> str:
    """The searchable text of an event: kind, actor, ids and every scalar of its summary and data."""
    parts = [row.kind, row.actor]
    parts += [v for v in (row.terminal, row.group, row.call, row.alert, row.alarm) if v is not None]
    for blob in (row.summary, row.data):
        _scalars(msgspec.json.decode(blob), parts)
    return " ".join(parts)[:_BODY_LIMIT]


def _scalars(value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _scalars(item, out)
    elif isinstance(value, list):
        for item in value:
            _scalars(item, out)
    elif isinstance(value, str):
        out.append(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out.append(str(value))


__all__ = ["Event", "EventLog"]
