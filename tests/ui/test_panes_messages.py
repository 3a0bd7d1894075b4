"""Messages: the feed over a real World, and texts, status messages and passenger-screen messages sent from the
pane reaching simulated terminals through the real platform."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from console.core.views import PisRecord
from console.core.world import World
from console.ui.actions import DeskActions
from console.ui.bridge import DeskBridge
from console.ui.i18n import Languages
from console.ui.panes import PaneContext
from console.ui.panes.messages import FeedModel, MessagesPane
from console.ui.pickers import Picker
from protocols import messages as wire
from tests.ui.conftest import RunAsync, until
from tests.ui.live_desk import LiveDesk, live_desk


def _messages_pane(live: LiveDesk) -> MessagesPane:
    pane = live.pane("messages")
    assert isinstance(pane, MessagesPane)
    return pane


def test_the_feed_lists_texts_statuses_and_pis_newest_first_and_keeps_rows_on_insert(qtbot: QtBot) -> None:
    world = World()
    world.me = "chief"
    world.apply(wire.TextMessage(message="m1", sender="HS-003", text="on my way", group="TG-S02", sent_ms=1_000))
    world.apply(wire.StatusMessage(sender="HS-004", status=12, to="chief", sent_ms=2_000))
    model = FeedModel(world)
    assert [model.index(r, FeedModel.MESSAGE).data() for r in range(2)] == ["Status 12", "on my way"]
    assert model.index(0, FeedModel.TO).data() == "you (chief)"
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    world.record_pis(PisRecord("P-1", "列车临时停车", "Short stop", ("1910",), 1, 3.0, urgent=True))
    model.refresh()
    assert inserted == [(0, 0)]  # on top, without a reset
    assert model.index(0, FeedModel.MESSAGE).data() == "URGENT on passenger screens: 列车临时停车 / Short stop"
    assert model.index(0, FeedModel.TO).data() == "trains 1910"


def test_sending_without_text_or_target_says_what_is_missing(qtbot: QtBot) -> None:
    world = World()
    bridge = DeskBridge(world)
    pane = MessagesPane(PaneContext(bridge=bridge, world=world, desk=None, actions=DeskActions()))
    qtbot.addWidget(pane)
    pane.send_text()
    assert pane.outcome.text() == "Write the message first" and pane.outcome.property("error") is True
    pane.text.setText("hello")
    pane.send_text()
    assert pane.outcome.text() == "Choose a terminal or a group to send to"
    pane.all_trains.setChecked(False)
    pane.pis_text.setText("列车临时停车")
    pane.send_pis()
    assert pane.outcome.text() == "Choose the trains, or All trains"
    bridge.close()


@pytest.mark.integration
def test_texts_and_status_from_the_pane_reach_terminals_and_replies_come_back(
        run_async: RunAsync, qtbot: QtBot, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, "HS-009", "HS-010") as live:
            pane = _messages_pane(live)
            handset = live.fleet.terminal("HS-009")
            pane.address(terminal="HS-009")
            pane.text.setText("站台积水，请巡查")
            qtbot.mouseClick(pane.send_text_button, Qt.MouseButton.LeftButton)
            await until(lambda: any(t.text == "站台积水，请巡查" and t.to == "HS-009" for t in handset.texts))
            await until(lambda: pane.outcome.text() == "Sent to 1 recipients")
            assert pane.text.text() == ""

            pane.address(group="TG-S05")
            pane.text.setText("S05 all staff to the platform")
            qtbot.keyClick(pane.text, Qt.Key.Key_Return)
            other = live.fleet.terminal("HS-010")
            await until(lambda: any(t.text == "S05 all staff to the platform" for t in other.texts))

            pane.address(terminal="HS-010")
            pane.status_code.setValue(7)
            qtbot.mouseClick(pane.send_status_button, Qt.MouseButton.LeftButton)
            await until(lambda: any(s.status == 7 for s in other.statuses))

            await handset.send_text("water cleared", to="chief")
            await until(lambda: pane.model.rowCount() > 0
                        and pane.model.index(0, FeedModel.MESSAGE).data() == "water cleared")
            assert pane.model.index(0, FeedModel.SENDER).data() == "Station staff HS-009"
            pane.address(group="TG-S05")
            pane._reply(pane.model.index(0, 0))  # what a double-click does
            assert pane.to_terminal.isChecked() and pane.chosen_terminal() == "HS-009"

    run_async(scenario)


@pytest.mark.integration
def test_a_passenger_message_goes_to_the_chosen_train_in_both_languages(
        run_async: RunAsync, qtbot: QtBot, tmp_path: Path, languages: Languages, settings: QSettings) -> None:
    async def scenario() -> None:
        async with live_desk(tmp_path, languages, settings, "TR1910", "TR1911") as live:
            pane = _messages_pane(live)
            pane.tabs.setCurrentIndex(1)
            dialog = pane.choose_trains()
            picker = dialog.findChild(Picker, "trainPicker")
            assert picker is not None and "1910" in picker.model.ids()  # trains by running number
            picker.choose(["1910"])
            dialog.accept()
            assert not pane.all_trains.isChecked() and pane.trains == ["1910"]
            assert pane.trains_button.text() == "Trains: 1910"
            pane.pis_text.setText("列车临时停车，请耐心等候")
            pane.pis_text_en.setText("Short stop, thank you for waiting")
            pane.urgent.setChecked(True)
            qtbot.mouseClick(pane.send_pis_button, Qt.MouseButton.LeftButton)
            chosen, other = live.fleet.terminal("TR1910"), live.fleet.terminal("TR1911")
            await until(lambda: any(m.text == "列车临时停车，请耐心等候" for m in chosen.pis_showing()))
            shown = next(m for m in chosen.pis_showing() if m.text == "列车临时停车，请耐心等候")
            assert shown.text_en == "Short stop, thank you for waiting" and shown.urgent
            assert not other.pis_showing()
            await until(lambda: pane.outcome.text() == "Shown on 1 trains")
            await until(lambda: "列车临时停车" in (pane.model.index(0, FeedModel.MESSAGE).data() or ""))

    run_async(scenario)
