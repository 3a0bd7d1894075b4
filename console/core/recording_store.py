"""The desk's recordings on disk: one Ogg Opus file per talk burst, and their index in SQLite, in one folder.

The folder holds ``recordings.sqlite`` (the index: every segment, and who held each call's floor from when to
when) and a sub-folder per day of ``.ogg`` files; it is all a restarted desk needs to find every recording
again. Everything that touches the disk or encodes runs on one writer thread: the desk's event loop only
queues work (`open_segment`, `append`, `close_segment`, `hold_started`, `hold_ended`), so neither Opus
encoding, file writes nor commits ever run on it (or on the GUI thread). Reads (`segments`, `holds`, `read`)
run on the caller's thread; callers on the event loop use `asyncio.to_thread`.

Retention: at start and then every `PRUNE_EVERY` seconds the writer deletes the segments (files and rows) and
floor holds older than ``keep_days``, and any stray ``.ogg`` file older than that. A segment still being written
when the desk stopped (a crash, a kill) is found at the next start, measured, and kept as ``interrupted``.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from console.core.sqlite_worker import SqliteWorker, Stop, select, where_equal
from media.audio import AUDIO_RATE, Pcm
from media.recording import OggOpusWriter, RecordingError, read_ogg_opus

logger = logging.getLogger(__name__)

__all__ = ["INDEX_NAME", "PRUNE_EVERY", "FloorHold", "RecordingStore", "Segment"]

INDEX_NAME = "recordings.sqlite"
#: seconds between two retention passes (the first runs at start)
PRUNE_EVERY = 24 * 3600.0
_DAY_MS = 24 * 3600 * 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS segments (
    id TEXT PRIMARY KEY,
    call TEXT NOT NULL,
    grp TEXT,
    call_kind TEXT NOT NULL,
    talker TEXT NOT NULL,
    started_ms INTEGER NOT NULL,
    ended_ms INTEGER,
    samples INTEGER NOT NULL DEFAULT 0,
    file TEXT NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS segments_grp ON segments (grp, started_ms);
CREATE INDEX IF NOT EXISTS segments_started ON segments (started_ms);
CREATE TABLE IF NOT EXISTS floor_holds (
    id INTEGER PRIMARY KEY,
    call TEXT NOT NULL,
    grp TEXT,
    holder TEXT NOT NULL,
    priority TEXT NOT NULL,
    from_ms INTEGER NOT NULL,
    to_ms INTEGER
);
CREATE INDEX IF NOT EXISTS floor_holds_call ON floor_holds (call, from_ms);
CREATE INDEX IF NOT EXISTS floor_holds_grp ON floor_holds (grp, from_ms);
"""
_SEGMENT_COLUMNS = "id, call, grp, call_kind, talker, started_ms, ended_ms, samples, file, state"
_HOLD_COLUMNS = "call, grp, holder, priority, from_ms, to_ms"


@dataclass(frozen=True)
class Segment:
    """One recorded talk burst (or a chunk of a long one): who talked in which call, from when, how long.

    ``state``: ``recording`` (being written), ``done``, ``interrupted`` (the desk stopped while writing; the
    file holds what was written), ``failed`` (the file could not be written) or ``damaged`` (unreadable).
    ``file`` is relative to the store's folder.
    """

    id: str
    call: str
    group: str | None
    call_kind: str
    talker: str
    started_ms: int
    ended_ms: int | None = None
    samples: int = 0
    file: str = ""
    state: str = "recording"

    @property
    def seconds(self) -> float:
        return self.samples / AUDIO_RATE


@dataclass(frozen=True)
class FloorHold:
    """``holder`` held the floor of ``call`` from ``from_ms`` to ``to_ms`` (None: still holds, or unknown)."""

    call: str
    group: str | None
    holder: str
    priority: str
    from_ms: int
    to_ms: int | None = None


# ----- what the writer thread is asked to do ----------------------------------------------------------------


@dataclass(frozen=True)
class _Open:
    segment: Segment


@dataclass(frozen=True)
class _Append:
    segment: str
    pcm: Pcm


@dataclass(frozen=True)
class _Close:
    segment: str
    ended_ms: int


@dataclass(frozen=True)
class _HoldStart:
    hold: FloorHold


@dataclass(frozen=True)
class _HoldEnd:
    call: str
    to_ms: int


@dataclass(frozen=True)
class _Prune:
    done: threading.Event
    result: list[int]


_Work = _Open | _Append | _Close | _HoldStart | _HoldEnd | _Prune | threading.Event | Stop


class RecordingStore(SqliteWorker[_Work]):
    """Segments and floor holds in ``folder`` (see the module docstring); ``keep_days`` of them are kept."""

    flush_timeout = 10.0

    def __init__(self, folder: str | Path, *, keep_days: float = 30.0, clock: Callable[[], float] = time.time,
                 prune_every: float = PRUNE_EVERY) -> None:
        if keep_days <= 0:
            raise ValueError(f"keep_days must be above 0 (got {keep_days})")
        self.folder = Path(folder)
        self.keep_days = keep_days
        self.clock = clock
        self.prune_every = prune_every
        #: segments whose file could not be written (disk full, folder removed, ...)
        self.write_errors = 0
        self.folder.mkdir(parents=True, exist_ok=True)
        self.index = self.folder / INDEX_NAME
        self._open(self.index, f"the recordings in {self.folder} are closed").executescript(_SCHEMA)
        self._start(f"recordings-{self.folder.name}")

    # ----- queued work (any thread, never blocks) ---------------------------------------------------------

    def open_segment(self, segment: Segment) -> Segment:
        """Start a segment's file (its ``file`` is chosen here when empty); the segment as it will be indexed."""
        if not segment.file:
            segment = replace(segment, file=self._file_of(segment))
        self._put(_Open(segment))
        return segment

    def append(self, segment: str, pcm: Pcm) -> None:
        """Mono 48 kHz int16 samples for an open segment (encoded on the writer thread)."""
        if len(pcm):
            self._put(_Append(segment, pcm))

    def close_segment(self, segment: str, ended_ms: int) -> None:
        self._put(_Close(segment, ended_ms))

    def hold_started(self, hold: FloorHold) -> None:
        self._put(_HoldStart(hold))

    def hold_ended(self, call: str, to_ms: int) -> None:
        """The floor hold of ``call`` that is still open (if any) ended at ``to_ms``."""
        self._put(_HoldEnd(call, to_ms))

    def prune(self, timeout: float = 30.0) -> int:
        """Apply retention now (on the writer thread); the number of files deleted."""
        if self._closed:
            return 0
        job = _Prune(threading.Event(), [])
        self._queue.put(job)
        job.done.wait(timeout)
        return job.result[0] if job.result else 0

    def _put(self, work: _Work) -> None:
        if self._closed:
            logger.warning("recordings in %s are closed: %s dropped", self.folder, type(work).__name__)
            return
        self._queue.put(work)

    def _file_of(self, segment: Segment) -> str:
        when = datetime.fromtimestamp(segment.started_ms / 1000)
        label = "-".join(_safe(part) for part in (segment.group or segment.call, segment.talker))
        return f"{when:%Y-%m-%d}/{when:%H%M%S}-{label}-{_safe(segment.id)}.ogg"

    # ----- reading (caller's thread) ----------------------------------------------------------------------

    def segment(self, segment_id: str) -> Segment | None:
        rows = self._query(f"SELECT {_SEGMENT_COLUMNS} FROM segments WHERE id = ?", [segment_id])
        return _segment(rows[0]) if rows else None

    def segments(self, *, group: str | None = None, call: str | None = None, talker: str | None = None,
                 since_ms: int | None = None, finished: bool = False, limit: int = 200) -> list[Segment]:
        """Indexed segments matching every filter, newest first; ``finished``: only ones whose file is complete."""
        where: list[str] = []
        args: list[Any] = []
        where_equal(where, args, (("grp", group), ("call", call), ("talker", talker)))
        if since_ms is not None:
            where.append("started_ms >= ?")
            args.append(since_ms)
        if finished:
            where.append("state IN ('done', 'interrupted')")
        sql = select(f"SELECT {_SEGMENT_COLUMNS} FROM segments", where, "started_ms DESC, rowid DESC", args, limit)
        return [_segment(row) for row in self._query(sql, args)]

    def holds(self, *, call: str | None = None, group: str | None = None, since_ms: int | None = None,
              limit: int = 500) -> list[FloorHold]:
        """Who held the floor from when to when (oldest first)."""
        where: list[str] = []
        args: list[Any] = []
        where_equal(where, args, (("call", call), ("grp", group)))
        if since_ms is not None:
            where.append("coalesce(to_ms, from_ms) >= ?")
            args.append(since_ms)
        sql = select(f"SELECT {_HOLD_COLUMNS} FROM floor_holds", where, "from_ms, id", args, limit)
        return [FloorHold(*row) for row in self._query(sql, args)]

    def path_of(self, segment: Segment) -> Path:
        return self.folder / segment.file

    def read(self, segment: Segment | str) -> Pcm:
        """A finished segment's audio (mono 48 kHz int16); `RecordingError` saying why when it cannot be had."""
        found = self.segment(segment) if isinstance(segment, str) else segment
        if found is None:
            raise RecordingError(f"no recording {segment} in {self.folder} (pruned, or never made)")
        if found.state == "recording":
            raise RecordingError(f"the recording {found.id} is still being made")
        if found.state == "failed":
            raise RecordingError(f"the recording {found.id} could not be written")
        return read_ogg_opus(self.path_of(found), expected=found.samples)

    def _query(self, sql: str, args: list[Any]) -> list[tuple[Any, ...]]:
        with self._cursor() as cur:
            return list(cur.execute(sql, args).fetchall())

    # ----- the writer thread ------------------------------------------------------------------------------

    def _write_loop(self, conn: sqlite3.Connection) -> None:
        writers: dict[str, tuple[Segment, OggOpusWriter | None]] = {}
        try:
            self._recover(conn)
            self._prune(conn, writers)
        except (sqlite3.Error, OSError):
            logger.exception("recordings in %s: recovery or retention at start failed", self.folder)
        next_prune = time.monotonic() + self.prune_every
        while True:
            try:
                work = self._queue.get(timeout=max(0.0, next_prune - time.monotonic()))
            except queue.Empty:
                try:
                    self._prune(conn, writers)
                except (sqlite3.Error, OSError):
                    logger.exception("recordings in %s: retention failed", self.folder)
                next_prune = time.monotonic() + self.prune_every
                continue
            if isinstance(work, Stop):
                for name in list(writers):
                    self._finish(conn, writers, name, None)
                return
            try:
                self._do(conn, writers, work)
            except (sqlite3.Error, OSError):
                logger.exception("recordings index %s: %s not written", self.index, type(work).__name__)

    def _do(self, conn: sqlite3.Connection, writers: dict[str, tuple[Segment, OggOpusWriter | None]],
            work: _Work) -> None:
        if isinstance(work, threading.Event):
            work.set()
        elif isinstance(work, _Append):
            entry = writers.get(work.segment)
            if entry is not None and entry[1] is not None:
                try:
                    entry[1].write(work.pcm)
                except RecordingError as exc:
                    self._failed(conn, writers, work.segment, exc)
        elif isinstance(work, _Open):
            segment = work.segment
            writer: OggOpusWriter | None = None
            state = "recording"
            try:
                writer = OggOpusWriter(self.path_of(segment), tags=_tags(segment))
            except RecordingError as exc:
                logger.error("%s", exc)
                self.write_errors += 1
                state = "failed"
            writers[segment.id] = (segment, writer)
            conn.execute(f"INSERT OR REPLACE INTO segments ({_SEGMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (segment.id, segment.call, segment.group, segment.call_kind, segment.talker,
                          segment.started_ms, None, 0, segment.file, state))
        elif isinstance(work, _Close):
            self._finish(conn, writers, work.segment, work.ended_ms)
        elif isinstance(work, _HoldStart):
            h = work.hold
            conn.execute(f"INSERT INTO floor_holds ({_HOLD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                         (h.call, h.group, h.holder, h.priority, h.from_ms, h.to_ms))
        elif isinstance(work, _HoldEnd):
            conn.execute("UPDATE floor_holds SET to_ms = ? WHERE call = ? AND to_ms IS NULL", (work.to_ms, work.call))
        elif isinstance(work, _Prune):
            try:
                work.result.append(self._prune(conn, writers))
            finally:
                work.done.set()

    def _finish(self, conn: sqlite3.Connection, writers: dict[str, tuple[Segment, OggOpusWriter | None]],
                name: str, ended_ms: int | None) -> None:
        entry = writers.pop(name, None)
        if entry is None:
            return
        segment, writer = entry
        if writer is None:
            return
        try:
            samples = writer.close()
        except RecordingError as exc:
            writers[name] = entry
            self._failed(conn, writers, name, exc)
            return
        ended = ended_ms if ended_ms is not None else segment.started_ms + samples * 1000 // AUDIO_RATE
        conn.execute("UPDATE segments SET ended_ms = ?, samples = ?, state = 'done' WHERE id = ?",
                     (ended, samples, name))

    def _failed(self, conn: sqlite3.Connection, writers: dict[str, tuple[Segment, OggOpusWriter | None]],
                name: str, exc: RecordingError) -> None:
        logger.error("%s", exc)
        self.write_errors += 1
        entry = writers.pop(name, None)
        if entry is not None and entry[1] is not None:
            with contextlib.suppress(RecordingError):
                entry[1].close()
        conn.execute("UPDATE segments SET state = 'failed' WHERE id = ?", (name,))

    def _recover(self, conn: sqlite3.Connection) -> None:
        """Segments left ``recording`` by a desk that stopped while writing: measure what their files hold."""
        rows = conn.execute(f"SELECT {_SEGMENT_COLUMNS} FROM segments WHERE state = 'recording'").fetchall()
        for row in rows:
            segment = _segment(row)
            try:
                samples = len(read_ogg_opus(self.path_of(segment)))
            except RecordingError as exc:
                logger.warning("recording %s left unfinished and unreadable: %s", segment.id, exc)
                conn.execute("UPDATE segments SET state = 'damaged' WHERE id = ?", (segment.id,))
                continue
            conn.execute("UPDATE segments SET state = 'interrupted', samples = ?, ended_ms = ? WHERE id = ?",
                         (samples, segment.started_ms + samples * 1000 // AUDIO_RATE, segment.id))
            logger.info("recording %s was interrupted: %.1f s kept", segment.id, samples / AUDIO_RATE)

    def _prune(self, conn: sqlite3.Connection, writers: dict[str, tuple[Segment, OggOpusWriter | None]]) -> int:
        """Delete what is older than ``keep_days``; the number of files deleted."""
        cutoff = int(self.clock() * 1000 - self.keep_days * _DAY_MS)
        deleted = 0
        rows = conn.execute("SELECT id, file FROM segments WHERE coalesce(ended_ms, started_ms) < ?",
                            (cutoff,)).fetchall()
        for name, file in rows:
            if name in writers:
                continue
            with contextlib.suppress(FileNotFoundError):
                (self.folder / file).unlink()
                deleted += 1
            conn.execute("DELETE FROM segments WHERE id = ?", (name,))
        conn.execute("DELETE FROM floor_holds WHERE coalesce(to_ms, from_ms) < ?", (cutoff,))
        open_files = {str(self.path_of(segment)) for segment, _writer in writers.values()}
        for stray in self.folder.glob("*/*.ogg"):
            try:
                if str(stray) not in open_files and stray.stat().st_mtime * 1000 < cutoff:
                    stray.unlink()
                    deleted += 1
            except FileNotFoundError:
                continue
        for day in self.folder.iterdir():
            if day.is_dir():
                with contextlib.suppress(OSError):
                    day.rmdir()  # only when empty
        if deleted or rows:
            logger.info("recordings older than %g days pruned: %d files, %d segments", self.keep_days, deleted,
                        len(rows))
        return deleted


def _segment(row: tuple[Any, ...]) -> Segment:
    return Segment(*row)


def _tags(segment: Segment) -> dict[str, str]:
    tags = {"title": f"{segment.talker} in {segment.group or segment.call}", "artist": segment.talker,
            "trunkdesk_call": segment.call, "trunkdesk_call_kind": segment.call_kind,
            "date": datetime.fromtimestamp(segment.started_ms / 1000).isoformat(timespec="milliseconds")}
    if segment.group:
        tags["trunkdesk_group"] = segment.group
    return tags


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text)[:40] or "_"
