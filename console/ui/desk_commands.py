"""What the shell's keys do to the core `Desk`: PTT, acknowledge the oldest emergency or worst alarm, answer,
end, select a monitored group. Panes add their own, richer ways to give the same commands.

Commands are coroutines on the qasync loop; a refused command is reported through ``commandFailed`` (the
status bar shows it) and never raised into Qt. PTT presses and releases are kept in order: a release waits
for the press before it, so a quick tap never leaves a floor request behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal

from console.core.desk import CommandFailed
from console.ui.actions import DeskActions
from console.ui.ptt_keys import PttKeys

logger = logging.getLogger(__name__)

_SEVERITY_RANK = {"critical": 0, "major": 1, "minor": 2, "info": 3}

Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Future[Any]"]


class DeskCommands(QObject):
    """Connects the central actions and the PTT keys to the desk's commands."""

    #: command name, reason (the platform's code and reason, or what went wrong locally)
    commandFailed = Signal(str, str)
    #: the alert the dispatcher stepped to with "next alert" (the emergencies pane selects it)
    alertFocused = Signal(str)
    #: a pane should come to the front (dock name)
    paneWanted = Signal(str)
    #: the PTT state changed: "idle", "pending", "granted", "queued", "denied"
    pttChanged = Signal(str)

    def __init__(self, desk: Any, actions: DeskActions, ptt: PttKeys | None = None, *,
                 spawn: Spawn | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self._spawn: Spawn = spawn or asyncio.ensure_future
        self._press: asyncio.Future[Any] | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._focused_alert: str | None = None
        actions.triggered.connect(self.trigger)
        if ptt is not None:
            ptt.pressed.connect(lambda _source: self.ptt_down())
            ptt.released.connect(lambda _source: self.ptt_up())

    @property
    def world(self) -> Any:
        return self.desk.world

    # ----- running commands ---------------------------------------------------------------------

    def _run(self, name: str, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Future[Any]:
        future = self._spawn(self._guarded(name, coroutine))
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)
        return future

    async def _guarded(self, name: str, coroutine: Coroutine[Any, Any, Any]) -> Any:
        try:
            return await coroutine
        except CommandFailed as exc:
            logger.info("command %s refused: %s", name, exc)
            self.commandFailed.emit(name, f"{exc.code} {exc.reason}")
        except (ConnectionError, TimeoutError) as exc:
            logger.warning("command %s failed: %r", name, exc)
            self.commandFailed.emit(name, str(exc) or type(exc).__name__)
        return None

    async def wait_idle(self) -> None:
        """Wait until every command started so far has finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def trigger(self, name: str) -> None:
        """Run the shell's command for central action ``name`` (from `DeskActions.triggered`)."""
        if name.startswith("select_group_"):
            self.select_group(int(name.rsplit("_", 1)[1]))
            return
        handlers: dict[str, Callable[[], None]] = {
            "ack_emergency": self.ack_emergency,
            "next_alert": self.next_alert,
            "ack_alarm": self.ack_alarm,
            "answer_call": self.answer_call,
            "end_call": self.end_call,
            "search_log": lambda: self.paneWanted.emit("event_log"),
        }
        handler = handlers.get(name)
        if handler is not None:
            handler()

    # ----- PTT --------------------------------------------------------------------------------

    def ptt_down(self) -> None:
        if self._press is not None and not self._press.done():
            return
        self.pttChanged.emit("pending")
        self._press = self._run("ptt_press", self._ptt_press())

    async def _ptt_press(self) -> None:
        result = await self.desk.ptt_press()
        self.pttChanged.emit({"granted": "granted", "queued": "queued"}.get(result.outcome, "denied"))
        if result.outcome in ("denied", "failed"):
            self.commandFailed.emit("ptt_press", result.reason or result.outcome)

    def ptt_up(self) -> None:
        self._run("ptt_release", self._ptt_release(self._press))
        self._press = None

    async def _ptt_release(self, press: asyncio.Future[Any] | None) -> None:
        if press is not None:
            with contextlib.suppress(Exception):
                await press
        await self.desk.ptt_release()
        self.pttChanged.emit("idle")

    # ----- alerts, alarms, calls, groups ---------------------------------------------------------

    def active_alerts(self) -> list[Any]:
        """Unacknowledged emergency alerts, oldest first."""
        alerts = [a for a in self.world.alerts.values() if a.state == "active"]
        return sorted(alerts, key=lambda a: (a.raised_ms, a.id))

    def ack_emergency(self) -> None:
        """Acknowledge the focused alert if it is still active, else the oldest active one."""
        active = self.active_alerts()
        if not active:
            return
        chosen = next((a for a in active if a.id == self._focused_alert), active[0])
        self._run("ack_emergency", self.desk.ack_emergency(chosen.id))

    def next_alert(self) -> None:
        """Step to the next unacknowledged alert (wrapping round) and bring the emergencies pane forward."""
        active = self.active_alerts()
        self.paneWanted.emit("emergencies")
        if not active:
            return
        ids = [a.id for a in active]
        index = ids.index(self._focused_alert) + 1 if self._focused_alert in ids else 0
        self._focused_alert = ids[index % len(ids)]
        self.alertFocused.emit(self._focused_alert)

    def ack_alarm(self) -> None:
        """Acknowledge the most severe raised alarm (oldest first among equals)."""
        raised = [a for a in self.world.alarms.values() if a.state == "raised"]
        if raised:
            worst = min(raised, key=lambda a: (_SEVERITY_RANK.get(a.severity, 9), a.raised_ms, a.id))
            self._run("ack_alarm", self.desk.ack_alarm(worst.id))

    def answer_call(self) -> None:
        """Answer the private call that has rung longest."""
        if self.world.incoming:
            self._run("answer", self.desk.answer(next(iter(self.world.incoming))))

    def end_call(self) -> None:
        """End the newest private call this desk is in."""
        me = self.world.me
        mine = [c for c in self.world.calls.values() if c.kind == "private" and me in c.parties]
        if mine:
            newest = max(mine, key=lambda c: (c.started_ms, c.id))
            self._run("end_call", self.desk.end_call(newest.id))

    def select_group(self, n: int) -> None:
        """Talk in the n-th monitored group (1-based, in the order the groups pane lists them)."""
        groups = list(self.world.affiliations)
        if 1 <= n <= len(groups):
            self._run("select", self.desk.select(groups[n - 1]))
