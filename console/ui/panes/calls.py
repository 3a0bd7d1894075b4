"""Calls: every call in progress (group, private, broadcast, emergency) with its parties, floor holder and duration;
private calls ringing at this desk with Accept and Reject; End, Force release; and the dialogs that start private
calls and broadcasts, regroup terminals, patch groups and dissolve them.

Emergency calls sort first and show in red. Durations tick once a second from the calls' start times.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.ui.call_dialogs import (
    BroadcastDialog,
    DissolveDialog,
    PatchDialog,
    PrivateCallDialog,
    RegroupDialog,
    temporary_groups,
)
from console.ui.colours import EMERGENCY_TEXT, GRANTED, TEXT, WAITING, brush
from console.ui.command_runner import CommandRunner
from console.ui.panes import PaneContext, pane
from console.ui.panes.pane_parts import pane_button, prepare_rows
from console.ui.resources import icon
from console.ui.two_step import TwoStep
from console.ui.vocabulary import CALL_KINDS, DUPLEX_SHORT, duration_text, group_name, party_name, word

logger = logging.getLogger(__name__)

ID_ROLE = Qt.ItemDataRole.UserRole + 2
_Index = QModelIndex | QPersistentModelIndex
_EMERGENCY_KINDS = ("emergency", "imminent_peril")
_ROW_HEIGHT = 44


def call_order(call: Any) -> tuple[int, int, str]:
    """Emergencies first, then the oldest call first."""
    return (0 if call.kind in _EMERGENCY_KINDS else 1, call.started_ms, call.id)


class CallsModel(QAbstractTableModel):
    """The calls in ``World.calls``: kind, group or parties, floor holder, duration."""

    KIND, WHO, FLOOR, DURATION = range(4)

    def __init__(self, world: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.world = world
        self.ids: list[str] = []
        self.refresh()

    def refresh(self) -> None:
        ids = [c.id for c in sorted(self.world.calls.values(), key=call_order)]
        if ids == self.ids:
            if ids:
                self.dataChanged.emit(self.index(0, 0), self.index(len(ids) - 1, self.DURATION))
            return
        self.beginResetModel()
        self.ids = ids
        self.endResetModel()

    def tick(self) -> None:
        """Durations moved on a second."""
        if self.ids:
            self.dataChanged.emit(self.index(0, self.DURATION), self.index(len(self.ids) - 1, self.DURATION),
                                  [Qt.ItemDataRole.DisplayRole])

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.DURATION)
        if self.ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.ids) - 1, self.DURATION))

    def call_at(self, row: int) -> Any:
        return self.world.calls.get(self.ids[row]) if 0 <= row < len(self.ids) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 4

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return (self.tr("Call"), self.tr("Group / parties"), self.tr("Floor"), self.tr("Duration"))[section]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        call = self.call_at(index.row())
        if call is None:
            return None
        column = index.column()
        emergency = call.kind in _EMERGENCY_KINDS
        if role == ID_ROLE:
            return call.id
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(call, column)
        if role == Qt.ItemDataRole.DecorationRole and column == self.KIND:
            return icon("emergency" if emergency else "call")
        if role == Qt.ItemDataRole.BackgroundRole and emergency:
            return brush("#4a0d11")
        if role == Qt.ItemDataRole.ForegroundRole:
            if emergency and column == self.KIND:
                return brush(EMERGENCY_TEXT)
            if column == self.FLOOR and call.holder is not None:
                return brush(GRANTED)
            return brush(TEXT)
        if role == Qt.ItemDataRole.FontRole and (emergency or column == self.KIND):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return call.id
        return None

    def _text(self, call: Any, column: int) -> str:
        world = self.world
        if column == self.KIND:
            kind = word(CALL_KINDS, call.kind)
            full = call.kind == "private" and call.duplex == "full"
            return f"{kind} · {word(DUPLEX_SHORT, 'full')}" if full else kind
        if column == self.WHO:
            if call.kind == "private" or (call.group is None and len(call.parties) <= 3):
                return " ↔ ".join(party_name(world, p) for p in call.parties) or call.initiator
            if call.group is not None:
                return group_name(world, call.group)
            return self.tr("%1 parties").replace("%1", str(len(call.parties)))
        if column == self.FLOOR:
            if call.holder is None:
                return ""
            waiting = f"  (+{len(call.queue)})" if call.queue else ""
            return party_name(world, call.holder) + waiting
        if column == self.DURATION:
            return duration_text(world.clock() - call.started_ms / 1000) if call.started_ms else ""
        return ""


class IncomingModel(QAbstractTableModel):
    """Private calls ringing at this desk (``World.incoming``), the longest ringing first."""

    def __init__(self, world: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.world = world
        self.ids: list[str] = []

    def refresh(self) -> None:
        self.beginResetModel()
        self.ids = list(self.world.incoming)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 1

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.ids):
            return None
        call_id = self.ids[index.row()]
        ringing = self.world.incoming.get(call_id)
        if ringing is None:
            return None
        if role == ID_ROLE:
            return call_id
        if role == Qt.ItemDataRole.DisplayRole:
            return (self.tr("%1 is calling you (%2)").replace("%1", party_name(self.world, ringing.caller))
                    .replace("%2", word(DUPLEX_SHORT, ringing.duplex)))
        if role == Qt.ItemDataRole.DecorationRole:
            return icon("call")
        if role == Qt.ItemDataRole.ForegroundRole:
            return brush(WAITING)
        return None


class CallsPane(QWidget):
    """Calls in progress, ringing calls, and the call commands (see the module docstring)."""

    def __init__(self, context: PaneContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callsPane")
        self.world = context.world
        self.desk = context.desk
        self.commands = context.commands
        self.runner = CommandRunner(context.commands, parent=self)
        self.model = CallsModel(self.world, self)
        self.incoming_model = IncomingModel(self.world, self)

        self.incoming_box = QFrame(self)
        self.incoming_box.setObjectName("incomingBox")
        self.incoming_view = QListView(self.incoming_box)
        self.incoming_view.setObjectName("incomingList")
        self.incoming_view.setModel(self.incoming_model)
        self.incoming_view.setUniformItemSizes(True)
        self.incoming_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.incoming_view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.accept_button = QPushButton(self.incoming_box)
        self.accept_button.setObjectName("acceptButton")
        self.accept_button.setProperty("role", "accept")
        self.accept_button.setProperty("compact", True)
        self.accept_button.clicked.connect(lambda: self.answer(True))
        self.reject_button = QPushButton(self.incoming_box)
        self.reject_button.setObjectName("rejectButton")
        self.reject_button.setProperty("compact", True)
        self.reject_button.clicked.connect(lambda: self.answer(False))
        incoming = QHBoxLayout(self.incoming_box)
        incoming.setContentsMargins(6, 4, 6, 4)
        incoming.addWidget(self.incoming_view, 1)
        incoming.addWidget(self.accept_button)
        incoming.addWidget(self.reject_button)

        self.table = QTableView(self)
        self.table.setObjectName("callsTable")
        # no focus by Tab or at start: a view taking focus selects its first row, and Force release must never act
        # on a call nobody picked
        self.table.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.table.setModel(self.model)
        prepare_rows(self.table, _ROW_HEIGHT, word_wrap=True)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(CallsModel.KIND, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CallsModel.WHO, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CallsModel.FLOOR, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CallsModel.DURATION, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.empty_label = QLabel(self)
        self.empty_label.setObjectName("emptyNote")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.end_button = self._button("endCallButton", self.end_selected)
        self.force_button = self._button("forceReleaseButton", self.force_release_selected)
        self.force_button.setProperty("role", "danger")
        self.force_confirm = TwoStep(parent=self)
        self.force_confirm.changed.connect(self.retranslate_force)
        self.private_button = self._button("privateCallButton", self.open_private_call)
        self.broadcast_button = self._button("broadcastButton", self.open_broadcast)
        # regroup, patch and dissolve share one button's menu: the pane is short of height, and they are rare
        self.regroup_button = QPushButton(self)
        self.regroup_button.setObjectName("regroupButton")
        self.regroup_button.setProperty("compact", True)
        self.regroup_menu = QMenu(self.regroup_button)
        self.regroup_action = self.regroup_menu.addAction("", self.open_regroup)
        self.patch_action = self.regroup_menu.addAction("", self.open_patch)
        self.regroup_menu.addSeparator()
        self.dissolve_action = self.regroup_menu.addAction("", self.open_dissolve)
        self.regroup_button.setMenu(self.regroup_menu)
        self.failure = QLabel(self)
        self.failure.setObjectName("paneFailure")
        self.failure.setWordWrap(True)
        self.failure.hide()
        self.runner.failed.connect(self._on_failed)
        self.runner.succeeded.connect(lambda *_: self.failure.hide())

        buttons = QHBoxLayout()
        for button in (self.end_button, self.force_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        for button in (self.private_button, self.broadcast_button, self.regroup_button):
            buttons.addWidget(button)
        self.table.setMinimumHeight(48)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.incoming_box)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addWidget(self.failure)
        layout.addLayout(buttons)

        bridge = context.bridge
        for signal in (bridge.callChanged, bridge.floorChanged, bridge.incomingCall, bridge.groupsChanged):
            signal.connect(self.refresh)
        for plain in (bridge.sessionChanged, bridge.snapshotApplied):
            plain.connect(self.refresh)
        bridge.callEnded.connect(lambda *_: self.refresh())
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self.model.tick)
        self._ticker.start()
        self.retranslate()

    def _button(self, name: str, slot: Any) -> QPushButton:
        return pane_button(self, name, slot, compact=True)

    # ----- what is chosen ---------------------------------------------------------------------

    def selected_call(self) -> Any:
        """The call picked in the table, if it still runs."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.call_at(rows[0].row()) if rows else None

    def select_call(self, call_id: str) -> None:
        if call_id in self.model.ids:
            self.table.selectRow(self.model.ids.index(call_id))

    def _mine(self, call: Any) -> bool:
        me = self.world.me
        return bool(me) and (me in call.parties or call.initiator == me)

    # ----- commands ---------------------------------------------------------------------------

    def answer(self, accept: bool) -> None:
        """Accept or reject the selected ringing call (the longest ringing when none is picked)."""
        rows = self.incoming_view.selectionModel().selectedRows()
        ids = self.incoming_model.ids
        call_id = ids[rows[0].row()] if rows and rows[0].row() < len(ids) else (ids[0] if ids else None)
        if call_id is None:
            return
        what = self.tr("Accept call") if accept else self.tr("Reject call")
        self.runner.run(what, self.desk.answer(call_id, accept))

    def end_selected(self) -> None:
        call = self.selected_call()
        if call is not None:
            self.runner.run(self.tr("End call"), self.desk.end_call(call.id))

    def force_release_selected(self) -> None:
        """First click arms, a second one within 5 s on the same call ends it for everyone in it."""
        call = self.selected_call()
        if call is None:
            return
        if not self.force_confirm.confirm(call.id):
            return
        reason = self.tr("force-released by dispatcher %1").replace("%1", self.world.me)
        self.runner.run(self.tr("Force release"), self.desk.force_release(call.id, reason))

    def retranslate_force(self) -> None:
        armed = self.force_confirm.armed is not None
        self.force_button.setText(self.tr("Click again to force-release") if armed else self.tr("Force release"))
        self.force_button.setProperty("armed", armed)
        self.force_button.style().unpolish(self.force_button)
        self.force_button.style().polish(self.force_button)

    def open_private_call(self) -> PrivateCallDialog:
        dialog = PrivateCallDialog(self.world, self)
        self._open(dialog, lambda: self.runner.run(self.tr("Private call"),
                                                   self.desk.call_private(*dialog.choice())))
        return dialog

    def open_broadcast(self) -> BroadcastDialog:
        dialog = BroadcastDialog(self.world, self)
        self._open(dialog, lambda: self.runner.run(self.tr("Broadcast"), self.desk.broadcast(*dialog.choice())))
        return dialog

    def open_regroup(self) -> RegroupDialog:
        dialog = RegroupDialog(self.world, self)
        self._open(dialog, lambda: self._regroup(*dialog.choice()))
        return dialog

    def _regroup(self, name: str, name_zh: str, terminals: list[str]) -> None:
        self.runner.run(self.tr("Regroup"), self.desk.regroup(name, terminals, name_zh))

    def open_patch(self) -> PatchDialog:
        dialog = PatchDialog(self.world, self)
        self._open(dialog, lambda: self._patch(*dialog.choice()))
        return dialog

    def _patch(self, name: str, name_zh: str, groups: list[str]) -> None:
        self.runner.run(self.tr("Patch"), self.desk.patch(name, groups, name_zh))

    def open_dissolve(self) -> DissolveDialog:
        call = self.selected_call()
        temporary = temporary_groups(self.world)
        preselect = call.group if call is not None and call.group in temporary else None
        dialog = DissolveDialog(self.world, self, preselect=preselect)
        self._open(dialog, lambda: self.runner.run(self.tr("Dissolve"), self.desk.dissolve(dialog.choice())))
        return dialog

    def _open(self, dialog: QDialog, on_accept: Any) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(on_accept)
        dialog.open()

    def _on_failed(self, what: str, reason: str) -> None:
        self.failure.setText(self.tr("%1 failed: %2").replace("%1", what).replace("%2", reason))
        self.failure.show()

    # ----- showing ----------------------------------------------------------------------------

    def refresh(self, *_: Any) -> None:
        chosen = self.selected_call()
        self.model.refresh()
        if chosen is not None and chosen.id in self.model.ids:
            self.select_call(chosen.id)
        self.incoming_model.refresh()
        ringing = len(self.incoming_model.ids)
        self.incoming_box.setVisible(ringing > 0)
        if ringing:  # as high as its rows (two at most): the calls below keep the room
            row = max(self.incoming_view.sizeHintForRow(0), 32)
            self.incoming_view.setFixedHeight(row * min(ringing, 2) + 2 * self.incoming_view.frameWidth() + 2)
        self.empty_label.setVisible(not self.model.ids)
        self.table.setVisible(bool(self.model.ids))  # the note takes the table's place
        self._update_buttons()

    def _update_buttons(self) -> None:
        call = self.selected_call()
        permissions = self.world.permissions
        self.force_confirm.keep_only(call.id if call is not None else None)  # another call picked, or it ended
        self.end_button.setEnabled(call is not None and self._mine(call))
        self.force_button.setEnabled(call is not None and "force_release" in permissions)
        self.broadcast_button.setEnabled("broadcast" in permissions)
        self.regroup_button.setEnabled("regroup" in permissions)
        self.regroup_action.setEnabled("regroup" in permissions)
        self.patch_action.setEnabled("regroup" in permissions)
        self.dissolve_action.setEnabled("regroup" in permissions and bool(temporary_groups(self.world)))

    def retranslate(self) -> None:
        self.accept_button.setText(self.tr("Accept"))
        self.reject_button.setText(self.tr("Reject"))
        self.end_button.setText(self.tr("End call"))
        self.retranslate_force()
        self.force_button.setToolTip(self.tr("End the selected call for everyone in it"))
        self.private_button.setText(self.tr("Private call…"))
        self.broadcast_button.setText(self.tr("Broadcast…"))
        self.regroup_button.setText(self.tr("Regroup"))
        self.regroup_action.setText(self.tr("Regroup…"))
        self.patch_action.setText(self.tr("Patch…"))
        self.dissolve_action.setText(self.tr("Dissolve…"))
        self.empty_label.setText(self.tr("No calls in progress"))
        self.model.retranslate()
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


@pane("calls")
def create(context: PaneContext) -> QWidget:
    return CallsPane(context)


__all__ = ["CallsModel", "CallsPane", "IncomingModel", "call_order"]
