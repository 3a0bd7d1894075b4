"""The event log: SQLite records that survive a restart and can be searched (FTS5 trigram, or LIKE)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from console.core import eventlog
from console.core.eventlog import EventLog
from protocols import messages as wire


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "desk" / "events.db"


def fill(log: EventLog) -> None:
    log.record("text", actor="HS-001", at_ms=1000, terminal="HS-001", group="TG-S01",
               summary={"text": "站台积水，请巡查 / water on platform"})
    log.record("emergency_alerted", actor="HS-002", at_ms=2000, terminal="HS-002", group="TG-S01", alert="E-1",
               summary={"alert_kind": "emergency"})
    log.record("command", actor="chief", at_ms=3000, alert="E-1",
               summary={"command": "ack_emergency", "outcome": "ok"})
    log.record("alarm_raised", actor="ST-S05-1", at_ms=4000, alarm="AL-2", terminal="ST-S05-1",
               summary={"code": "ESC_3", "text": "escalator 3 stopped 100%"})


def kinds(events: list[eventlog.Event]) -> list[str]:
    return [e.kind for e in events]


def test_search_by_words_kind_ids_and_time_newest_first(path: Path) -> None:
    with EventLog(path) as log:
        assert log.fts
        fill(log)
        assert kinds(log.search("water")) == ["text"]
        assert kinds(log.search("积水")) == ["text"]  # two characters: below the trigram, found by LIKE
        assert kinds(log.search("请巡查")) == ["text"]  # Chinese inside a longer run of characters
        assert kinds(log.search("ESCALATOR stopped")) == ["alarm_raised"]  # every word, any case
        assert kinds(log.search("water escalator")) == []
        assert kinds(log.search("E-1")) == ["command", "emergency_alerted"]
        assert kinds(log.search(kind="command")) == ["command"]
        assert kinds(log.search(terminal="HS-002")) == ["emergency_alerted"]
        assert kinds(log.search(group="TG-S01")) == ["emergency_alerted", "text"]
        assert kinds(log.search(alert="E-1", kind="command")) == ["command"]
        assert kinds(log.search(since=2000, until=3000)) == ["command", "emergency_alerted"]
        assert kinds(log.search(limit=2)) == ["alarm_raised", "command"]
        # search syntax and LIKE wildcards in the text are taken literally
        assert kinds(log.search('"100%"')) == []
        assert kinds(log.search("100%")) == ["alarm_raised"]
        assert kinds(log.search("ESC_3")) == ["alarm_raised"]
        assert kinds(log.search("ESC%3")) == []


def test_everything_is_found_again_after_reopening_the_file(path: Path) -> None:
    with EventLog(path) as log:
        fill(log)
    with EventLog(path) as log:
        assert log.count() == 4
        recent = log.recent(2)
        assert kinds(recent) == ["alarm_raised", "command"]
        assert recent[1].summary == {"command": "ack_emergency", "outcome": "ok"}
        assert recent[1].actor == "chief" and recent[1].alert == "E-1" and recent[1].at_ms == 3000
        log.record("text", actor="chief", summary={"text": "after restart"})
        assert kinds(log.search("water")) == ["text"]
        assert log.recent(1)[0].id == 5
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_data_is_kept_as_recorded_even_if_the_object_changes_later(path: Path) -> None:
    alert = wire.AlertInfo(id="E-3", terminal="HS-231", group="G-S07")
    with EventLog(path) as log:
        log.record("emergency_alerted", actor="HS-231", alert="E-3", data=alert)
        alert.state = "cancelled"
        (event,) = log.recent(1)
    assert event.data["id"] == "E-3" and "state" not in event.data  # the default "active" is omitted
    assert event.summary == {}


def test_writes_are_batched_and_all_committed_by_flush(path: Path) -> None:
    with EventLog(path, batch_rows=50, batch_seconds=10.0) as log:
        for n in range(420):
            log.record("status", actor=f"HS-{n:03d}", summary={"status": n})
        assert log.flush()
        conn = sqlite3.connect(path)  # another reader sees every committed row
        try:
            assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 420
        finally:
            conn.close()
        assert kinds(log.search("HS-419")) == ["status"]


def test_without_full_text_search_it_searches_with_like_and_builds_the_index_later(
        path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eventlog, "_FTS", "CREATE VIRTUAL TABLE events_fts USING no_such_module(body)")
    with EventLog(path) as log:
        assert not log.fts
        fill(log)
        assert kinds(log.search("water platform")) == ["text"]
        assert kinds(log.search("请巡查")) == ["text"]
    monkeypatch.undo()
    with EventLog(path) as log:  # a build with FTS5 indexes what was written without it
        assert log.fts
        assert kinds(log.search("escalator")) == ["alarm_raised"]


def test_recording_after_close_loses_the_event_without_failing(path: Path) -> None:
    log = EventLog(path)
    log.record("text", actor="a")
    log.close()
    log.close()
    log.record("text", actor="b")
    with EventLog(path) as again:
        assert [e.actor for e in again.recent(5)] == ["a"]


async def test_searching_from_the_event_loop_runs_off_it(path: Path) -> None:
    with EventLog(path) as log:
        fill(log)
        assert kinds(await log.asearch("escalator", kind="alarm_raised")) == ["alarm_raised"]
        assert kinds(await log.arecent(1)) == ["alarm_raised"]
