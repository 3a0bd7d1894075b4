"""Emergencies and alarms: every emergency alert (unacknowledged ones first, in red) and every alarm from equipment,
sensors and video analytics (by severity, in its colour), with Acknowledge, Take call, Cancel, Clear and Show
location. The red banner across the window (`console.ui.widgets.emergency_banner`) makes the unacknowledged
ones impossible to miss; this pane is where the dispatcher works through them.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.ui.colours import (
    ACKNOWLEDGED,
    EMERGENCY,
    MUTED_TEXT,
    SEVERITY_BACKGROUNDS,
    SEVERITY_COLOURS,
    TEXT,
    brush,
)
from console.ui.command_runner import CommandRunner
from console.ui.emergency_actions import show_location, take_call
from console.ui.panes import PaneContext, pane
from console.ui.panes.pane_parts import pane_button, prepare_rows
from console.ui.resources import icon
from console.ui.two_step import TwoStep
from console.ui.vocabulary import (
    ALARM_SOURCES,
    ALARM_STATES,
    ALERT_KINDS,
    ALERT_STATES,
    SEVERITIES,
    duration_text,
    group_name,
    location_text,
    place_name,
    terminal_label,
    word,
)

logger = logging.getLogger(__name__)

ID_ROLE = Qt.ItemDataRole.UserRole + 2
_Index = QModelIndex | QPersistentModelIndex
_SEVERITY_RANK = {"critical": 0, "major": 1, "minor": 2, "info": 3}
_ROW_HEIGHT = 44


def _bold() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


class _RecordsModel(QAbstractTableModel):
    """Rows keyed by id over one of the world's dicts; subclasses say which, in what order and how they read."""

    COLUMNS = 0

    def __init__(self, world: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.world = world
        self.ids: list[str] = []

    def records(self) -> dict[str, Any]:
        raise NotImplementedError

    def order(self, record: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    def refresh(self) -> None:
        ids = [r.id for r in sorted(self.records().values(), key=self.order)]
        if ids == self.ids:
            self.changed()
            return
        self.beginResetModel()
        self.ids = ids
        self.endResetModel()

    def changed(self) -> None:
        """Every cell may read differently (ages, language)."""
        if self.ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.ids) - 1, self.COLUMNS - 1))

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.COLUMNS - 1)
        self.changed()

    def record_at(self, row: int) -> Any:
        return self.records().get(self.ids[row]) if 0 <= row < len(self.ids) else None

    def row_of(self, record_id: str) -> int | None:
        return self.ids.index(record_id) if record_id in self.ids else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.COLUMNS

    def age(self, raised_ms: int) -> str:
        return duration_text(self.world.clock() - raised_ms / 1000) if raised_ms else ""


class AlertsModel(_RecordsModel):
    """Emergency alerts: unacknowledged first (oldest first), then acknowledged ones (newest first)."""

    STATE, TERMINAL, GROUP, WHERE, AGE = range(5)
    COLUMNS = 5

    def records(self) -> dict[str, Any]:
        return dict(self.world.alerts)

    def order(self, alert: Any) -> tuple[Any, ...]:
        active = alert.state == "active"
        return (0 if active else 1, alert.raised_ms if active else -alert.raised_ms, alert.id)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return (self.tr("Alert"), self.tr("Raised by"), self.tr("Group"), self.tr("Where"), self.tr("Age"))[section]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        alert = self.record_at(index.row()) if index.isValid() else None
        if alert is None:
            return None
        column, active = index.column(), alert.state == "active"
        if role == ID_ROLE:
            return alert.id
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(alert, column)
        if role == Qt.ItemDataRole.DecorationRole and column == self.STATE:
            return icon("emergency")
        if role == Qt.ItemDataRole.BackgroundRole:
            return brush(EMERGENCY if active else ACKNOWLEDGED)
        if role == Qt.ItemDataRole.ForegroundRole:
            return brush(TEXT)
        if role == Qt.ItemDataRole.FontRole and (active or column == self.STATE):
            return _bold()
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{self._text(alert, column)}  ({alert.id})"
        return None

    def _text(self, alert: Any, column: int) -> str:
        world = self.world
        if column == self.STATE:
            state = word(ALERT_STATES, alert.state)
            if alert.state == "acknowledged" and alert.acknowledged_by:
                state = self.tr("%1 by %2").replace("%1", state).replace("%2", alert.acknowledged_by)
            return f"{word(ALERT_KINDS, alert.kind)} · {state}"
        if column == self.TERMINAL:
            return terminal_label(world, alert.terminal)
        if column == self.GROUP:
            return group_name(world, alert.group)
        if column == self.WHERE:
            where = location_text(world, alert.location)
            info = world.terminals.get(alert.terminal)
            return where or (location_text(world, info.location) if info is not None else "")
        if column == self.AGE:
            return self.age(alert.raised_ms)
        return ""


class AlarmsModel(_RecordsModel):
    """Alarms: raised ones first, most severe first, oldest first among equals; then acknowledged ones."""

    SEVERITY, ORIGIN, ALARM, STATE, AGE = range(5)
    COLUMNS = 5

    def records(self) -> dict[str, Any]:
        return dict(self.world.alarms)

    def order(self, alarm: Any) -> tuple[Any, ...]:
        return (0 if alarm.state == "raised" else 1, _SEVERITY_RANK.get(alarm.severity, 9), alarm.raised_ms,
                alarm.id)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return (self.tr("Severity"), self.tr("From"), self.tr("Alarm"), self.tr("State"), self.tr("Age"))[section]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        alarm = self.record_at(index.row()) if index.isValid() else None
        if alarm is None:
            return None
        column, raised = index.column(), alarm.state == "raised"
        if role == ID_ROLE:
            return alarm.id
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(alarm, column)
        if role == Qt.ItemDataRole.DecorationRole and column == self.SEVERITY:
            return icon("alarm")
        if role == Qt.ItemDataRole.BackgroundRole and raised and SEVERITY_BACKGROUNDS.get(alarm.severity):
            return brush(SEVERITY_BACKGROUNDS[alarm.severity])
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.SEVERITY:
                return brush(SEVERITY_COLOURS.get(alarm.severity, TEXT))
            if not raised:
                return brush(MUTED_TEXT)
        if role == Qt.ItemDataRole.FontRole and column == self.SEVERITY:
            return _bold()
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{self._text(alarm, column)}  ({alarm.id})"
        return None

    def _text(self, alarm: Any, column: int) -> str:
        world = self.world
        if column == self.SEVERITY:
            return f"{word(SEVERITIES, alarm.severity)} · {word(ALARM_SOURCES, alarm.source)}"
        if column == self.ORIGIN:
            origin = (terminal_label(world, alarm.origin) if alarm.origin in world.terminals
                      else place_name(world, alarm.origin))
            where = location_text(world, alarm.location)
            return f"{origin} ({where})" if where else origin
        if column == self.ALARM:
            return " — ".join(p for p in (alarm.code, alarm.text) if p)
        if column == self.STATE:
            state = word(ALARM_STATES, alarm.state)
            if alarm.state == "acknowledged" and alarm.acknowledged_by:
                return self.tr("%1 by %2").replace("%1", state).replace("%2", alarm.acknowledged_by)
            return state
        if column == self.AGE:
            return self.age(alarm.raised_ms)
        return ""


def _table(parent: QWidget, name: str, model: QAbstractTableModel, stretch: int) -> QTableView:
    table = QTableView(parent)
    table.setObjectName(name)
    table.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # taking focus by Tab would select a row nobody picked
    table.setModel(model)
    prepare_rows(table, _ROW_HEIGHT)
    table.setMinimumHeight(48)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setMaximumSectionSize(170)  # a long name is elided (its tooltip has it whole), the key column stays wide
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


class EmergenciesPane(QWidget):
    """Alerts over alarms, each with its buttons (see the module docstring)."""

    def __init__(self, context: PaneContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emergenciesPane")
        self.world = context.world
        self.desk = context.desk
        self.bridge = context.bridge
        self.commands = context.commands
        self.runner = CommandRunner(context.commands, parent=self)
        self.alerts = AlertsModel(self.world, self)
        self.alarms = AlarmsModel(self.world, self)

        self.alerts_title = QLabel(self)
        self.alerts_title.setObjectName("paneHeading")
        self.alerts_table = _table(self, "alertsTable", self.alerts, AlertsModel.TERMINAL)
        self.alerts_table.setMinimumHeight(84)  # the header and one whole alert, whatever the squeeze
        self.ack_alert_button = self._button("ackAlertButton", self.acknowledge_alert)
        self.ack_alert_button.setProperty("role", "danger")
        self.take_call_button = self._button("paneTakeCallButton", self.take_call)
        self.cancel_alert_button = self._button("cancelAlertButton", self.cancel_alert)
        self.cancel_confirm = TwoStep(parent=self)
        self.cancel_confirm.changed.connect(self._show_cancel)
        self.alert_location_button = self._button("alertLocationButton", self.show_alert_location)
        self.alarms_title = QLabel(self)
        self.alarms_title.setObjectName("paneHeading")
        self.alarms_table = _table(self, "alarmsTable", self.alarms, AlarmsModel.ALARM)
        self.ack_alarm_button = self._button("ackAlarmButton", self.acknowledge_alarm)
        self.clear_alarm_button = self._button("clearAlarmButton", self.clear_alarm)
        self.alarm_location_button = self._button("alarmLocationButton", self.show_alarm_location)
        self.failure = QLabel(self)
        self.failure.setObjectName("paneFailure")
        self.failure.setWordWrap(True)
        self.failure.hide()
        self.runner.failed.connect(self._on_failed)
        self.runner.succeeded.connect(lambda *_: self.failure.hide())

        alerts = QWidget(self)
        alerts_layout = QVBoxLayout(alerts)
        alerts_layout.setContentsMargins(0, 0, 0, 0)
        alerts_layout.setSpacing(4)
        alerts_layout.addWidget(self.alerts_table, 1)
        for title in (self.alerts_title, self.alarms_title):
            # the buttons keep their whole text in a narrow pane; a long title gives way (its tooltip says it all)
            title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        alert_buttons = QHBoxLayout()  # the count and the buttons share a row: the desk is short of height
        alert_buttons.addWidget(self.alerts_title, 1)
        for button in (self.ack_alert_button, self.take_call_button, self.alert_location_button,
                       self.cancel_alert_button):
            alert_buttons.addWidget(button)
        alerts_layout.addLayout(alert_buttons)
        alarms = QWidget(self)
        alarms_layout = QVBoxLayout(alarms)
        alarms_layout.setContentsMargins(0, 0, 0, 0)
        alarms_layout.setSpacing(4)
        alarm_head = QHBoxLayout()  # title and buttons share a row: the desk is short of height, not width
        alarm_head.addWidget(self.alarms_title, 1)
        for button in (self.ack_alarm_button, self.clear_alarm_button, self.alarm_location_button):
            alarm_head.addWidget(button)
        alarms_layout.addLayout(alarm_head)
        alarms_layout.addWidget(self.alarms_table, 1)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setObjectName("emergenciesSplitter")
        splitter.addWidget(alerts)
        splitter.addWidget(alarms)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.failure)

        self.alerts_table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.alarms_table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.bridge.alertChanged.connect(self.refresh)
        self.bridge.alarmChanged.connect(self.refresh)
        self.bridge.snapshotApplied.connect(self.refresh)
        self.bridge.sessionChanged.connect(self.refresh)
        if self.commands is not None:
            self.commands.alertFocused.connect(self.select_alert)
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()
        self.retranslate()

    def _button(self, name: str, slot: Any) -> QPushButton:
        return pane_button(self, name, slot, compact=True)

    # ----- what is chosen ---------------------------------------------------------------------

    def selected_alert(self) -> Any:
        """The alert picked in the list, else the oldest unacknowledged one."""
        rows = self.alerts_table.selectionModel().selectedRows()
        if rows:
            return self.alerts.record_at(rows[0].row())
        first = self.alerts.record_at(0)
        return first if first is not None and first.state == "active" else None

    def selected_alarm(self) -> Any:
        """The alarm picked in the list, else the first raised one."""
        rows = self.alarms_table.selectionModel().selectedRows()
        if rows:
            return self.alarms.record_at(rows[0].row())
        first = self.alarms.record_at(0)
        return first if first is not None and first.state == "raised" else None

    def select_alert(self, alert_id: str) -> None:
        row = self.alerts.row_of(alert_id)
        if row is not None:
            self.alerts_table.selectRow(row)

    def select_alarm(self, alarm_id: str) -> None:
        row = self.alarms.row_of(alarm_id)
        if row is not None:
            self.alarms_table.selectRow(row)

    # ----- commands ---------------------------------------------------------------------------

    def acknowledge_alert(self) -> None:
        alert = self.selected_alert()
        if alert is not None and alert.state == "active":
            self.runner.run(self.tr("Acknowledge emergency"), self.desk.ack_emergency(alert.id))

    def take_call(self) -> None:
        alert = self.selected_alert()
        if alert is not None:
            take_call(self.world, self.desk, self.commands, self.runner, alert)

    def cancel_alert(self) -> None:
        """First click arms, a second one within 5 s on the same alert cancels it (a false alarm, or it is over)."""
        alert = self.selected_alert()
        if alert is None or not self.cancel_confirm.confirm(alert.id):
            return
        reason = self.tr("cancelled by dispatcher %1").replace("%1", self.world.me)
        self.runner.run(self.tr("Cancel emergency"), self.desk.cancel_emergency(alert.id, reason))

    def _show_cancel(self) -> None:
        armed = self.cancel_confirm.armed is not None
        self.cancel_alert_button.setText(self.tr("Click again to cancel") if armed else self.tr("Cancel alert"))
        self.cancel_alert_button.setProperty("armed", armed)
        self.cancel_alert_button.style().unpolish(self.cancel_alert_button)
        self.cancel_alert_button.style().polish(self.cancel_alert_button)

    def show_alert_location(self) -> None:
        alert = self.selected_alert()
        if alert is not None:
            show_location(self.world, self.bridge, self.commands, terminal=alert.terminal, location=alert.location)

    def acknowledge_alarm(self) -> None:
        alarm = self.selected_alarm()
        if alarm is not None and alarm.state == "raised":
            self.runner.run(self.tr("Acknowledge alarm"), self.desk.ack_alarm(alarm.id))

    def clear_alarm(self) -> None:
        alarm = self.selected_alarm()
        if alarm is not None:
            self.runner.run(self.tr("Clear alarm"), self.desk.clear_alarm(alarm.id))

    def show_alarm_location(self) -> None:
        alarm = self.selected_alarm()
        if alarm is not None:
            show_location(self.world, self.bridge, self.commands, origin=alarm.origin, location=alarm.location)

    def _on_failed(self, what: str, reason: str) -> None:
        self.failure.setText(self.tr("%1 failed: %2").replace("%1", what).replace("%2", reason))
        self.failure.show()

    # ----- showing ----------------------------------------------------------------------------

    def _keep_selection(self, table: QTableView, model: _RecordsModel) -> None:
        rows = table.selectionModel().selectedRows()
        chosen = model.ids[rows[0].row()] if rows and rows[0].row() < len(model.ids) else None
        model.refresh()
        if chosen is not None and chosen in model.ids:
            table.selectRow(model.ids.index(chosen))

    def refresh(self, *_: Any) -> None:
        self._keep_selection(self.alerts_table, self.alerts)
        self._keep_selection(self.alarms_table, self.alarms)
        self._update_titles()
        self._update_buttons()

    def _tick(self) -> None:
        self.alerts.changed()
        self.alarms.changed()

    def _update_titles(self) -> None:
        active = sum(1 for a in self.world.alerts.values() if a.state == "active")
        raised = sum(1 for a in self.world.alarms.values() if a.state == "raised")
        # "none" only when the list is empty: rows that are all acknowledged say so, not "none" above them
        if active:
            alerts_title = self.tr("Emergencies: %1 unacknowledged").replace("%1", str(active))
        elif self.alerts.ids:
            alerts_title = self.tr("Emergencies: all acknowledged")
        else:
            alerts_title = self.tr("Emergencies: none")
        self.alerts_title.setText(alerts_title)
        self.alerts_title.setToolTip(self.tr("%1 emergency alerts unacknowledged").replace("%1", str(active)))
        self.alerts_title.setProperty("state", "emergency" if active else "")
        if raised:
            alarms_title = self.tr("Alarms: %1 unacknowledged").replace("%1", str(raised))
        elif self.alarms.ids:
            alarms_title = self.tr("Alarms: all acknowledged")
        else:
            alarms_title = self.tr("Alarms: none")
        self.alarms_title.setText(alarms_title)
        self.alarms_title.setToolTip(self.tr("%1 alarms raised").replace("%1", str(raised)))
        self.alarms_title.setProperty("state", "alarm" if raised else "")
        for label in (self.alerts_title, self.alarms_title):
            label.style().unpolish(label)
            label.style().polish(label)

    def _update_buttons(self) -> None:
        alert, alarm = self.selected_alert(), self.selected_alarm()
        may_ack = "emergency_ack" in self.world.permissions or not self.world.permissions
        self.ack_alert_button.setEnabled(alert is not None and alert.state == "active" and may_ack)
        self.take_call_button.setEnabled(alert is not None and alert.group is not None)
        self.cancel_alert_button.setEnabled(alert is not None)
        self.cancel_confirm.keep_only(alert.id if alert is not None else None)
        self.alert_location_button.setEnabled(alert is not None)
        self.ack_alarm_button.setEnabled(alarm is not None and alarm.state == "raised")
        self.clear_alarm_button.setEnabled(alarm is not None)
        self.alarm_location_button.setEnabled(alarm is not None)

    def retranslate(self) -> None:
        self.ack_alert_button.setText(self.tr("Acknowledge"))
        self.take_call_button.setText(self.tr("Take call"))
        self._show_cancel()
        self.alert_location_button.setText(self.tr("Show location"))
        self.ack_alarm_button.setText(self.tr("Acknowledge alarm"))
        self.clear_alarm_button.setText(self.tr("Clear"))
        self.alarm_location_button.setText(self.tr("Show location"))
        self.alerts.retranslate()
        self.alarms.retranslate()
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


@pane("emergencies")
def create(context: PaneContext) -> QWidget:
    return EmergenciesPane(context)


__all__ = ["AlarmsModel", "AlertsModel", "EmergenciesPane"]
