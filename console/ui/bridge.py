"""The bridge between the core `World` and Qt: typed signals, coalesced so bursts never flood the views.

`World` calls its observers on the asyncio loop's thread, which under qasync is the GUI thread; a change from
any other thread is handed over through a queued signal. The first change after a quiet spell goes out at
once; changes arriving within the next ``interval_ms`` (50 ms) are gathered and emitted together, terminals
merged into one id list, repeated state changes of the same call, alert, alarm or link sent once. A line
reporting 500 updates a second thus costs the views at most 20 batches a second.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from console.core import changes as core

logger = logging.getLogger(__name__)

#: changes that are events, not states: every one is delivered
_EVENTS = (core.MessageReceived, core.ProtocolProblem, core.PisSent)


@dataclass
class BridgeStats:
    """How much the bridge received and how often it emitted (for tests and the about box)."""

    changes: int = 0
    batches: int = 0
    terminal_ids: int = 0


class DeskBridge(QObject):
    """Re-emits the world's changes as Qt signals; panes connect to the signals they draw."""

    #: terminal ids added, changed or dropped since the last batch (look them up in ``world.terminals``)
    terminalsChanged = Signal(list)
    groupsChanged = Signal(list)
    callChanged = Signal(str)
    #: call id, reason
    callEnded = Signal(str, str)
    floorChanged = Signal(str)
    incomingCall = Signal(str)
    alertChanged = Signal(str)
    alarmChanged = Signal(str)
    linkChanged = Signal(str)
    videoChanged = Signal(str)
    #: a `console.core.changes.MessageReceived` (kind, sender, message id); the text is in ``world.texts``
    messageReceived = Signal(object)
    pisSent = Signal(str)
    affiliationChanged = Signal()
    sessionChanged = Signal()
    #: True when every part of the snapshot arrived
    snapshotApplied = Signal(bool)
    protocolProblem = Signal(str)
    #: after each batch, once every signal of it went out
    batchDone = Signal()
    #: the dispatcher asked to see a terminal ("show location" on an alert or alarm): the panes that show it
    #: select and reveal it. Emitted by panes, not by the world.
    selectTerminal = Signal(str)
    #: the dispatcher asked to see a station (its code), as `selectTerminal`
    selectStation = Signal(str)

    _arrived = Signal(object)

    def __init__(self, world: Any, *, interval_ms: int = 50, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.world = world
        self.stats = BridgeStats()
        self._pending: list[core.Change] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_quiet_over)
        # direct on the GUI thread, queued from any other thread
        self._arrived.connect(self._take)
        self._unsubscribe: Callable[[], None] | None = world.subscribe(self._observe)
        self._dispatch: dict[type[core.Change], Callable[[Any], None]] = {
            core.CallChanged: lambda c: self.callChanged.emit(c.call_id),
            core.CallEnded: lambda c: self.callEnded.emit(c.call_id, c.reason),
            core.FloorChanged: lambda c: self.floorChanged.emit(c.call_id),
            core.IncomingCall: lambda c: self.incomingCall.emit(c.call_id),
            core.AlertChanged: lambda c: self.alertChanged.emit(c.alert_id),
            core.AlarmChanged: lambda c: self.alarmChanged.emit(c.alarm_id),
            core.LinkChanged: lambda c: self.linkChanged.emit(c.instance),
            core.VideoChanged: lambda c: self.videoChanged.emit(c.session),
            core.MessageReceived: self.messageReceived.emit,
            core.PisSent: lambda c: self.pisSent.emit(c.message_id),
            core.AffiliationChanged: lambda c: self.affiliationChanged.emit(),
            core.SessionChanged: lambda c: self.sessionChanged.emit(),
            core.SnapshotApplied: lambda c: self.snapshotApplied.emit(c.complete),
            core.ProtocolProblem: lambda c: self.protocolProblem.emit(c.text),
        }

    def close(self) -> None:
        """Stop listening to the world (pending changes are dropped)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._timer.stop()
        self._pending.clear()

    def flush(self) -> None:
        """Emit what is pending now instead of at the end of the quiet interval (tests, shutdown)."""
        self._timer.stop()
        self._emit_pending()

    # ----- receiving --------------------------------------------------------------------------

    def _observe(self, changes: list[core.Change]) -> None:
        self._arrived.emit(changes)

    @Slot(object)
    def _take(self, changes: list[core.Change]) -> None:
        self.stats.changes += len(changes)
        self._pending.extend(changes)
        if not self._timer.isActive():
            self._emit_pending()  # leading edge: the first change after a quiet spell goes out at once
            self._timer.start()

    @Slot()
    def _on_quiet_over(self) -> None:
        if self._pending:
            self._emit_pending()
            self._timer.start()

    # ----- emitting ---------------------------------------------------------------------------

    def _emit_pending(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        self.stats.batches += 1
        terminals: dict[str, None] = {}
        groups: dict[str, None] = {}
        last = {c: i for i, c in enumerate(batch) if not isinstance(c, _EVENTS)}
        ordered: list[core.Change] = []
        for i, change in enumerate(batch):
            if isinstance(change, core.TerminalChanged):
                terminals.update(dict.fromkeys(change.ids))
            elif isinstance(change, core.GroupsChanged):
                groups.update(dict.fromkeys(change.ids))
            elif isinstance(change, _EVENTS) or last[change] == i:
                ordered.append(change)
        if terminals:
            self.stats.terminal_ids += len(terminals)
            self.terminalsChanged.emit(sorted(terminals))
        if groups:
            self.groupsChanged.emit(sorted(groups))
        for change in ordered:
            emit = self._dispatch.get(type(change))
            if emit is None:
                logger.debug("no signal for %s", type(change).__name__)
                continue
            emit(change)
        self.batchDone.emit()
