"""The desk window: it builds from the pane registry, switches language live, and keeps its layout."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QWidget
from pytestqt.qtbot import QtBot

from console.ui import panes
from console.ui.i18n import Languages
from console.ui.main_window import DeskWindow
from console.ui.panes import LAYOUT, PaneContext
from console.ui.panes.placeholder import PlaceholderPane
from console.ui.session import DeskSession


def test_window_has_a_dock_per_planned_pane_and_fits_1920x1080(session: DeskSession, qtbot: QtBot) -> None:
    window = session.window
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert set(window.docks) == set(LAYOUT)
    for name, dock in window.docks.items():
        assert dock.objectName() == name
        assert dock.windowTitle()  # titled
        assert dock.isVisible() or window.tabifiedDockWidgets(dock)  # shown, or a tab behind its group
    assert window.width() <= 1920 and window.height() <= 1080
    # the line diagram spans the top; the three columns sit side by side below it
    top = window.docks["vehicles"].geometry()
    left, middle, right = (window.docks[n].geometry() for n in ("groups", "emergencies", "stations"))
    assert top.width() > 0.9 * window.width()
    assert left.right() < middle.left() < middle.right() < right.left()
    assert min(left.top(), middle.top(), right.top()) >= top.bottom()
    assert window.dockWidgetArea(window.docks["vehicles"]) == Qt.DockWidgetArea.TopDockWidgetArea
    assert window.docks["handsets"] in window.tabifiedDockWidgets(window.docks["stations"])
    assert window.docks["event_log"] in window.tabifiedDockWidgets(window.docks["messages"])


def test_a_pane_not_built_yet_shows_a_placeholder_and_a_registered_one_its_widget(
        desk: object, languages: Languages, settings: QSettings, qtbot: QtBot) -> None:
    made: list[PaneContext] = []

    def make_calls_pane(context: PaneContext) -> QWidget:
        made.append(context)
        return QLabel("calls here")

    saved = dict(panes._registry)
    panes._registry.pop("calls", None)
    panes.register("calls", make_calls_pane)
    try:
        session = DeskSession(desk, languages, settings=settings, install_ptt=False)
        qtbot.addWidget(session.window)
        calls = session.window.pane("calls")
        assert isinstance(calls, QLabel) and calls.text() == "calls here"
        assert made and made[0].desk is desk and made[0].bridge is session.bridge
        assert made[0].actions is session.actions and made[0].commands is session.commands
        assert session.window.docks["calls"].windowTitle() == "Calls"  # the title comes from LAYOUT
        if "stations" not in saved:
            assert isinstance(session.window.pane("stations"), PlaceholderPane)
        session.detach()
    finally:
        panes._registry.clear()
        panes._registry.update(saved)


def test_a_pane_that_fails_to_build_leaves_a_placeholder(desk: object, languages: Languages, settings: QSettings,
                                                         qtbot: QtBot) -> None:
    def broken(_context: PaneContext) -> QWidget:
        raise RuntimeError("pane bug")

    saved = dict(panes._registry)
    panes.register("messages", broken)
    try:
        session = DeskSession(desk, languages, settings=settings, install_ptt=False)
        qtbot.addWidget(session.window)
        assert isinstance(session.window.pane("messages"), PlaceholderPane)
        session.detach()
    finally:
        panes._registry.clear()
        panes._registry.update(saved)


def test_switching_language_retranslates_menus_docks_status_and_placeholders(session: DeskSession,
                                                                              languages: Languages,
                                                                              qtbot: QtBot) -> None:
    window = session.window
    qtbot.addWidget(window)
    window.show()
    # every planned pane exists now; a pane that fails to load shows this placeholder instead
    placeholder = PlaceholderPane("missing")
    qtbot.addWidget(placeholder)
    assert window.file_menu.title() == "&File"
    assert window.docks["stations"].windowTitle() == "Stations"
    assert window.context.actions.action("ack_emergency").text() == "Acknowledge emergency"

    window.language_actions["zh_CN"].trigger()
    qtbot.waitUntil(lambda: window.file_menu.title() == "文件(&F)")
    assert languages.language == "zh_CN"
    assert window.windowTitle() == "trunkdesk — 调度台"
    assert window.docks["stations"].windowTitle() == "车站"
    assert window.docks["emergencies"].windowTitle() == "紧急呼叫与告警"
    assert window.context.actions.action("ack_emergency").text() == "确认紧急呼叫"
    assert window.context.actions.action("select_group_3").text() == "选择监听组 3"
    assert window.status.dispatcher_label.text() == "未登录"
    assert window.status.badges["A"].state_text() == "正在连接"
    assert placeholder.text() == "此版本未包含该面板。"
    assert window.language_actions["zh_CN"].isChecked()
    assert window.settings.value("ui/language") == "zh_CN"

    window.language_actions["en"].trigger()
    qtbot.waitUntil(lambda: window.file_menu.title() == "&File")
    assert window.docks["stations"].windowTitle() == "Stations"
    assert window.language_actions["en"].isChecked()


def test_dock_layout_and_geometry_survive_a_restart(desk: object, languages: Languages, settings: QSettings,
                                                    qtbot: QtBot) -> None:
    first = DeskSession(desk, languages, settings=settings, install_ptt=False)
    window = first.window
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.docks["calls"].hide()
    window.docks["messages"].setFloating(True)
    window.tabifyDockWidget(window.docks["groups"], window.docks["emergencies"])
    window.close()  # saves
    first.detach()
    QCoreApplication.processEvents()
    assert settings.contains("window/state") and settings.contains("window/geometry")

    second = DeskSession(desk, languages, settings=settings, install_ptt=False)
    again = second.window
    qtbot.addWidget(again)
    assert again.restore_layout()
    again.show()
    qtbot.waitExposed(again)
    assert not again.docks["calls"].isVisible()
    assert again.docks["messages"].isFloating()
    assert again.docks["emergencies"] in again.tabifiedDockWidgets(again.docks["groups"])

    again.reset_layout()
    assert again.docks["calls"].isVisible()
    assert not again.docks["messages"].isFloating()
    assert again.docks["emergencies"] not in again.tabifiedDockWidgets(again.docks["groups"])
    second.detach()


def test_a_layout_saved_by_another_version_is_ignored(desk: object, languages: Languages, settings: QSettings,
                                                      qtbot: QtBot) -> None:
    settings.setValue("window/state", b"not a dock state")
    session = DeskSession(desk, languages, settings=settings, install_ptt=False)
    qtbot.addWidget(session.window)
    assert not session.window.restore_layout()
    assert all(not d.isFloating() for d in session.window.findChildren(QDockWidget))
    session.detach()


def test_view_menu_toggles_every_dock_and_the_menus_are_complete(session: DeskSession, qtbot: QtBot) -> None:
    window: DeskWindow = session.window
    qtbot.addWidget(window)
    window.show()
    toggles = {a.text() for a in window.view_menu.actions() if a.isCheckable()}
    assert {window.docks[n].windowTitle() for n in LAYOUT} <= toggles
    window.docks["stations"].toggleViewAction().trigger()
    assert not window.docks["stations"].isVisible()
    window.raise_pane("stations")
    assert window.docks["stations"].isVisible()
    titles = [m.title() for m in (window.file_menu, window.dispatch_menu, window.view_menu, window.language_menu,
                                  window.help_menu)]
    assert titles == ["&File", "&Dispatch", "&View", "&Language", "&Help"]
    assert [a.text() for a in window.language_menu.actions()] == ["中文", "English"]
    assert window.context.actions.action("ack_emergency").shortcut().toString() == "F2"
