"""Groups and PTT: the dispatcher's monitored groups with activity lights, the talk group, who holds its floor and
who waits in its queue, and the big push-to-talk button.

A click on a group makes it the talk group (``Desk.select``); "Monitored groups…" picks which of the groups the
role allows the desk listens to (``Desk.monitor``); "Replay" (and a right click on a group) plays its last seconds
under the live audio (replay.py). The rows are numbered like the Ctrl+1…9 keys that select them.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, QPoint, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.core.views import GroupActivity
from console.ui.colours import CALL, EMERGENCY, EMERGENCY_TEXT, GRANTED, IDLE, TEXT, WAITING, brush, light
from console.ui.command_runner import CommandRunner
from console.ui.panes import PaneContext, pane
from console.ui.panes.replay import ReplayControl
from console.ui.pickers import Picker, group_choices
from console.ui.ptt_panel import PttPanel
from console.ui.vocabulary import PRIORITIES, group_name, party_name, word

logger = logging.getLogger(__name__)

ID_ROLE = Qt.ItemDataRole.UserRole + 2
ACTIVITY_ROLE = Qt.ItemDataRole.UserRole + 3
_Index = QModelIndex | QPersistentModelIndex
_ROW_HEIGHT = 42
_SELECTED_BACKGROUND = "#173a66"
_LIGHTS = {"idle": IDLE, "call": CALL, "floor": GRANTED, "emergency": EMERGENCY}


def activity_of(row: GroupActivity) -> str:
    """The lamp of a monitored group: emergency, floor (someone talks), call (a call runs), idle."""
    if row.emergency:
        return "emergency"
    if row.holder is not None:
        return "floor"
    if row.call is not None:
        return "call"
    return "idle"


class GroupsModel(QAbstractTableModel):
    """The monitored groups (``World.monitored_groups``): key number and lamp, name, floor holder, queue."""

    KEY, GROUP, FLOOR, QUEUE = range(4)

    def __init__(self, world: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.world = world
        self.rows: list[GroupActivity] = []
        self.refresh()

    def refresh(self) -> None:
        rows = self.world.monitored_groups()
        if [r.group.id for r in rows] == [r.group.id for r in self.rows]:
            self.rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, self.QUEUE))
            return
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.QUEUE)
        self.refresh()

    def row_of(self, group_id: str) -> int | None:
        return next((i for i, r in enumerate(self.rows) if r.group.id == group_id), None)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 4

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return (self.tr("Key"), self.tr("Group"), self.tr("Floor"), self.tr("Queue"))[section]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row, column = self.rows[index.row()], index.column()
        activity = activity_of(row)
        if role == ID_ROLE:
            return row.group.id
        if role == ACTIVITY_ROLE:
            return activity
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(index.row(), row, column)
        if role == Qt.ItemDataRole.DecorationRole and column == self.KEY:
            return light(_LIGHTS[activity], ring="#ffffff" if row.selected else "")
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._activity_text(activity)
        if role == Qt.ItemDataRole.BackgroundRole:
            if activity == "emergency":
                return brush("#4a0d11")
            if row.selected:
                return brush(_SELECTED_BACKGROUND)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.FLOOR and row.holder is not None:
                if row.holder_priority in ("emergency", "imminent_peril"):
                    return brush(EMERGENCY_TEXT)
                return brush(GRANTED)
            if column == self.QUEUE and row.queue:
                return brush(WAITING)
            return brush(TEXT)
        if role == Qt.ItemDataRole.FontRole and (row.selected or column == self.KEY):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{group_name(self.world, row.group.id)}: {self._activity_text(activity)}"
        return None

    def _text(self, number: int, row: GroupActivity, column: int) -> str:
        if column == self.KEY:
            return str(number + 1) if number < 9 else ""
        if column == self.GROUP:
            name = group_name(self.world, row.group.id)
            return self.tr("%1 (talk group)").replace("%1", name) if row.selected else name
        if column == self.FLOOR:
            if row.holder is None:
                return self.tr("free") if row.call is not None else ""
            return party_name(self.world, row.holder)
        if column == self.QUEUE:
            return self.tr("%1 waiting").replace("%1", str(len(row.queue))) if row.queue else ""
        return ""

    def _activity_text(self, activity: str) -> str:
        return {"idle": self.tr("No call"), "call": self.tr("Call running, floor free"),
                "floor": self.tr("Someone holds the floor"), "emergency": self.tr("EMERGENCY")}[activity]


class QueueModel(QAbstractTableModel):
    """The floor queue of the talk group's call: position, party, priority."""

    def __init__(self, world: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.world = world
        self.entries: list[Any] = []

    def refresh(self) -> None:
        selected = self.world.selected
        call = self.world.call_of_group(selected) if selected is not None else None
        self.beginResetModel()
        self.entries = sorted(call.queue, key=lambda q: q.position) if call is not None else []
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 1

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.entries):
            return None
        entry = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"#{entry.position}  {party_name(self.world, entry.party)}  ·  {word(PRIORITIES, entry.priority)}"
        if role == Qt.ItemDataRole.ForegroundRole and entry.party == self.world.me:
            return brush(WAITING)
        return None


class MonitorDialog(QDialog):
    """Choose which of the groups the role allows the desk monitors."""

    def __init__(self, world: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("monitorDialog")
        self.resize(520, 620)
        self.picker = Picker(lambda: group_choices(world, world.allowed_groups), multi=True, parent=self)
        self.picker.choose(world.affiliations)
        self.heading = QLabel(self)
        self.heading.setObjectName("dialogHeading")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.picker)
        layout.addWidget(self.buttons)
        self.setWindowTitle(self.tr("Monitored groups"))
        self.heading.setText(self.tr("Listen to these groups"))

    def groups(self) -> list[str]:
        return self.picker.chosen()


class GroupsPane(QWidget):
    """Monitored groups, the talk group's floor and queue, and PTT (see the module docstring)."""

    def __init__(self, context: PaneContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("groupsPane")
        self.world = context.world
        self.desk = context.desk
        self.bridge = context.bridge
        self.runner = CommandRunner(context.commands, parent=self)
        self.model = GroupsModel(self.world, self)
        self.queue_model = QueueModel(self.world, self)
        self._emergencies_seen: set[str] = set()
        self._selected_seen: str | None = None

        self.title = QLabel(self)
        self.title.setObjectName("paneHeading")
        self.monitor_button = QPushButton(self)
        self.monitor_button.setObjectName("monitorButton")
        self.monitor_button.setProperty("compact", True)
        self.monitor_button.clicked.connect(self.edit_monitored)
        self.table = QTableView(self)
        self.table.setObjectName("groupsTable")
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space must stay PTT, never a row click
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(_ROW_HEIGHT)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(GroupsModel.KEY, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(GroupsModel.KEY, 64)
        header.setSectionResizeMode(GroupsModel.GROUP, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(GroupsModel.FLOOR, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(GroupsModel.QUEUE, QHeaderView.ResizeMode.ResizeToContents)
        self.table.clicked.connect(self._on_clicked)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        self.replay = ReplayControl(self.world, self.desk, self.runner, self)

        self.talk_group = QFrame(self)
        self.talk_group.setObjectName("talkGroupBox")
        self.talk_group_label = QLabel(self.talk_group)
        self.talk_group_label.setObjectName("talkGroupName")
        self.holder_label = QLabel(self.talk_group)
        self.holder_label.setObjectName("floorHolder")
        self.holder_label.setWordWrap(True)
        self.queue_title = QLabel(self.talk_group)
        self.queue_title.setObjectName("queueTitle")
        self.queue_view = QListView(self.talk_group)
        self.queue_view.setObjectName("queueList")
        self.queue_view.setModel(self.queue_model)
        self.queue_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.queue_view.setMaximumHeight(120)
        box = QVBoxLayout(self.talk_group)
        box.setContentsMargins(8, 6, 8, 6)
        box.setSpacing(2)
        box.addWidget(self.talk_group_label)
        box.addWidget(self.holder_label)
        box.addWidget(self.queue_title)
        box.addWidget(self.queue_view)

        self.ptt = PttPanel(self.world, self.desk, self.bridge, context.commands, self.runner, parent=self)
        self.failure = QLabel(self)
        self.failure.setObjectName("paneFailure")
        self.failure.setWordWrap(True)
        self.failure.hide()
        self.runner.failed.connect(self._on_failed)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.replay.button)
        top.addWidget(self.monitor_button)
        self.table.setMinimumHeight(100)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.talk_group)
        layout.addWidget(self.replay.line)
        layout.addWidget(self.failure)
        layout.addWidget(self.ptt)

        bridge = self.bridge
        for signal in (bridge.groupsChanged, bridge.callChanged, bridge.floorChanged, bridge.alertChanged):
            signal.connect(self.refresh)
        for plain in (bridge.affiliationChanged, bridge.sessionChanged):
            plain.connect(self.refresh)
        bridge.callEnded.connect(lambda *_: self.refresh())
        self.retranslate()

    # ----- commands ---------------------------------------------------------------------------

    def _on_clicked(self, index: QModelIndex) -> None:
        group = index.data(ID_ROLE)
        if group is not None:
            self.select(str(group))

    def _on_context_menu(self, where: QPoint) -> None:
        group = self.table.indexAt(where).data(ID_ROLE)
        if group is not None:
            self.replay.show_menu_for(str(group), self.table.viewport().mapToGlobal(where), self.table)

    def select(self, group: str) -> None:
        """Make ``group`` the talk group."""
        if group == self.world.selected:
            return
        self.runner.run(self.tr("Select talk group"), self.desk.select(group))

    def edit_monitored(self) -> None:
        dialog = MonitorDialog(self.world, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.monitor(dialog.groups()))
        dialog.open()

    def monitor(self, groups: list[str]) -> None:
        """Listen to exactly ``groups``."""
        self.runner.run(self.tr("Monitor groups"), self.desk.monitor(groups))

    def _on_failed(self, what: str, reason: str) -> None:
        self.failure.setText(self.tr("%1 failed: %2").replace("%1", what).replace("%2", reason))
        self.failure.show()

    # ----- showing ----------------------------------------------------------------------------

    def refresh(self, *_: Any) -> None:
        self.model.refresh()
        self.queue_model.refresh()
        self._reveal()
        world = self.world
        selected = world.selected
        if selected is None:
            self.talk_group_label.setText(self.tr("No talk group selected"))
            self.holder_label.setText(self.tr("Click a group above to talk in it."))
        else:
            self.talk_group_label.setText(self.tr("Talk group: %1").replace("%1", group_name(world, selected)))
            call = world.call_of_group(selected)
            if call is None:
                self.holder_label.setText(self.tr("No call — PTT starts one"))
                state = "idle"
            elif call.holder is None:
                self.holder_label.setText(self.tr("Floor free"))
                state = "idle"
            elif call.holder == world.me:
                self.holder_label.setText(self.tr("You hold the floor"))
                state = "granted"
            else:
                text = self.tr("%1 is talking (%2)").replace("%1", party_name(world, call.holder))
                self.holder_label.setText(text.replace("%2", word(PRIORITIES, call.holder_priority)))
                state = "emergency" if call.holder_priority in ("emergency", "imminent_peril") else "taken"
            if self.holder_label.property("floor") != state:
                self.holder_label.setProperty("floor", state)
                self.holder_label.style().unpolish(self.holder_label)
                self.holder_label.style().polish(self.holder_label)
        count = len(self.queue_model.entries)
        self.queue_title.setText(self.tr("Queue: %1 waiting").replace("%1", str(count)) if count
                                 else self.tr("Queue: nobody waiting"))
        self.queue_view.setVisible(count > 0)
        self.monitor_button.setEnabled(bool(world.allowed_groups))

    def _reveal(self) -> None:
        """Keep in sight a group whose emergency just began, and the talk group when it changes."""
        rows = self.model.rows
        emergencies = {r.group.id for r in rows if r.emergency}
        new = emergencies - self._emergencies_seen
        self._emergencies_seen = emergencies
        target = next((r.group.id for r in rows if r.group.id in new), None)
        if target is None and self.world.selected != self._selected_seen:
            target = self.world.selected
        self._selected_seen = self.world.selected
        row = self.model.row_of(target) if target is not None else None
        if row is not None:  # centred: it stays in sight when the banner's arrival shrinks the pane
            self.table.scrollTo(self.model.index(row, GroupsModel.GROUP), QAbstractItemView.ScrollHint.PositionAtCenter)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Monitored groups"))
        self.monitor_button.setText(self.tr("Monitored groups…"))
        self.monitor_button.setToolTip(self.tr("Choose the groups this desk listens to"))
        self.replay.retranslate()
        self.model.retranslate()
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


@pane("groups")
def create(context: PaneContext) -> QWidget:
    return GroupsPane(context)


__all__ = ["ACTIVITY_ROLE", "ID_ROLE", "GroupsModel", "GroupsPane", "MonitorDialog", "QueueModel", "activity_of"]
