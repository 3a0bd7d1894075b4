"""Event log: every kind reads as a sentence in both languages and an unreadable one still shows; the pane finds a
terminal's emergency by search, and a malformed message from the platform shows as an error while the desk runs on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from console.core.eventlog import Event
from console.core.world import World
from console.ui.colours import EMERGENCY_TEXT
from console.ui.event_text import KIND_NAMES, SENTENCES, kind_name, render, severity_of
from console.ui.i18n import Languages
from console.ui.panes.event_log import EventLogPane, EventsModel
from protocols import messages as wire
from tests.ui.conftest import RunAsync, until
from tests.ui.live_desk import LiveDesk, live_desk


def _event(kind: str, summary: Any, *, actor: str = "platform", terminal: str | None = None, data: Any = None,
           event_id: int = 1) -> Event:
    return Event(event_id, 1_700_000_000_000, actor, kind, terminal, None, "C-1", None, None, summary, data)


def _world() -> World:
    world = World()
    world.apply(wire.PresenceUpdate(terminal=wire.TerminalInfo(id="HS-001", kind="handset",
                                                               name="Station staff HS-001", name_zh="站务员 HS-001")))
    world.apply(wire.GroupUpdate(group=wire.GroupInfo(id="TG-S01", name="Qingshiqiao station", name_zh="青石桥站")))
    return world


def test_events_read_as_sentences_with_names_in_the_desk_language(languages: Languages, qtbot: QtBot) -> None:
    world = _world()
    alerted = _event("emergency_alerted", {"alert_kind": "emergency", "group": "TG-S01"}, actor="HS-001",
                     terminal="HS-001")
    command = _event("command", {"command": "ack_emergency", "outcome": "error", "code": 404, "reason": "no alert",
                                 "alert": "E-9"}, actor="chief")
    text = _event("text", {"sender": "chief", "to": "HS-001", "group": None, "text": "go to platform 2"})
    assert render(alerted, world) == "Emergency raised by Station staff HS-001 in Qingshiqiao station"
    assert render(command, world) == "chief gave the command acknowledge emergency (E-9): refused (404 no alert)"
    assert render(text, world) == "Text from chief to Station staff HS-001: “go to platform 2”"
    assert severity_of(alerted) == "emergency" and severity_of(command) == "refused"

    languages.set_language("zh_CN")
    assert render(alerted, world) == "站务员 HS-001 在 青石桥站 发起紧急呼叫"
    assert kind_name("protocol_error") == "平台错误"
    assert render(command, world) == "chief 下达指令 确认紧急呼叫 (E-9)：被拒绝（404 no alert）"


def test_every_kind_renders_and_a_summary_it_cannot_read_still_shows() -> None:
    world = _world()
    for kind in [*KIND_NAMES, *SENTENCES]:
        assert render(_event(kind, {}), world)  # missing fields never raise
        assert render(_event(kind, {"reason": "x", "instance": "A", "role": "active", "epoch": 3}), world)
    assert render(_event("brand_new_kind", {"what": "it"}), world) == "brand_new_kind: what=it"
    assert render(_event("text", "not a dict"), world).startswith("text")


def test_new_events_are_inserted_on_top_and_the_oldest_drop_off(qtbot: QtBot) -> None:
    model = EventsModel(World())
    model.show([_event("desk_connected", {}, event_id=i) for i in (3, 2, 1)])
    changes: list[str] = []
    model.rowsInserted.connect(lambda *_: changes.append("inserted"))
    model.rowsRemoved.connect(lambda *_: changes.append("removed"))
    model.modelReset.connect(lambda: changes.append("reset"))
    model.show([_event("desk_connected", {}, event_id=i) for i in (5, 4, 3)])
    assert changes == ["removed", "inserted"]
    assert [e.id for e in model.events] == [5, 4, 3] and model.rowCount() == 3


def _log_pane(live: LiveDesk) -> EventLogPane:
    pane = live.pane("event_log")
    assert isinstance(pane, EventLogPane)
    return pane


def _rows(pane: EventLogPane) -> list[tuple[str, str]]:
    model = pane.model
    return [(model.events[r].kind, model.index(r, EventsModel.TEXT).data()) for r in range(model.rowCount())]


@pytest.mark.integration
def test_the_log_pane_finds_an_emergency_by_search(
        run_async: RunAsync, qtbot: QtBot, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, "HS-001", "HS-002") as live:
            pane = _log_pane(live)
            raised = await live.fleet.terminal("HS-001").emergency()
            await until(lambda: any(kind == "emergency_alerted" for kind, _ in _rows(pane)))  # live tail
            await live.fleet.terminal("HS-002").send_text("all quiet at S01")

            live.session.actions.action("search_log").trigger()  # Ctrl+F
            assert pane.search_box.hasFocus()
            shown: list[bool] = []
            pane.shown.connect(lambda: shown.append(pane.live))
            pane.search_box.setText("HS-001")
            pane.kind_box.setCurrentIndex(pane.kind_box.findData("emergency_alerted"))
            pane.range_box.setCurrentIndex(2)  # the last hour
            qtbot.keyClick(pane.search_box, Qt.Key.Key_Return)
            await until(lambda: False in shown)  # waitSignal would block the loop the search runs on
            assert not pane.live
            rows = _rows(pane)
            assert len(rows) == 1 and rows[0][0] == "emergency_alerted"
            assert "Station staff HS-001" in rows[0][1] and "Qingshiqiao station" in rows[0][1]
            assert pane.model.events[0].alert == raised.alert
            assert pane.mode_label.text() == "Search: 1 events found"

            shown.clear()
            pane.search_box.setText("all quiet")
            pane.kind_box.setCurrentIndex(0)
            pane.search()
            await until(lambda: False in shown)
            assert [kind for kind, _ in _rows(pane)] == ["text"]
            shown.clear()
            qtbot.mouseClick(pane.live_button, Qt.MouseButton.LeftButton)
            await until(lambda: True in shown)
            assert pane.live and pane.mode_label.text().startswith("Live")
            assert any(kind == "emergency_alerted" for kind, _ in _rows(pane))

    run_async(scenario)


@pytest.mark.integration
def test_a_malformed_message_from_the_platform_shows_as_an_error_and_the_desk_carries_on(
        run_async: RunAsync, qtbot: QtBot, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, "HS-009") as live:
            pane = _log_pane(live)
            conn = next(c for c in live.platform.server.connections if c.principal == "chief")
            conn.send(wire.Snapshot(part=3, parts=2))  # decodes, yet makes no sense
            garbage = f'{{"t": "nonsense", "epoch": {live.platform.epoch}}}'
            conn.send_raw_text(garbage)  # does not decode (raw frame: the platform itself never sends one)
            await until(lambda: sum(kind == "protocol_error" for kind, _ in _rows(pane)) >= 2)
            errors = [(r, text) for r, (kind, text) in enumerate(_rows(pane)) if kind == "protocol_error"]
            texts = " | ".join(text for _, text in errors)
            assert "The platform sent something unusable" in texts
            assert "snapshot part 3 of 2" in texts and "nonsense" in texts
            first_row = errors[0][0]
            colour = pane.model.index(first_row, EventsModel.TEXT).data(Qt.ItemDataRole.ForegroundRole)
            assert colour.color().name() == EMERGENCY_TEXT

            assert live.desk.connected  # and it still works: a text goes out
            await live.desk.send_text("still here", to="HS-009")
            await until(lambda: any(t.text == "still here" for t in live.fleet.terminal("HS-009").texts))

    run_async(scenario)
