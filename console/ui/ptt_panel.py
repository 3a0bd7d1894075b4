"""The big on-screen push-to-talk button, the Override button, the PTT state in colour and the talk-time countdown.

The button gives the same commands as Space and the foot pedal (`DeskCommands.ptt_down` / ``ptt_up``), so a
press by mouse and a press by key are one and the same PTT. The state shown follows the desk's floor participant
(``Desk.ptt_state``) and the shell's ``pttChanged``: idle, requesting, talking (green), queued #n (amber), denied
(red, for a few seconds). Override is press-and-hold too: it takes the floor whoever holds it, until let go.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from console.ui.bridge import DeskBridge
from console.ui.command_runner import CommandRunner
from console.ui.shortcuts import key_of
from console.ui.vocabulary import duration_text, group_name

logger = logging.getLogger(__name__)

#: how long a denial stays on screen, seconds
DENIED_SHOWN_S = 4.0
#: below this many seconds of talk time left the countdown turns amber
TALK_TIME_WARNING_S = 15.0
#: refresh of the countdown and the state while PTT is in use, ms
TICK_MS = 200


def _repolish(widget: QWidget) -> None:
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


class PttPanel(QWidget):
    """PTT button, Override, state and countdown for the selected group (see the module docstring)."""

    def __init__(self, world: Any, desk: Any, bridge: DeskBridge, commands: Any, runner: CommandRunner, *,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pttPanel")
        self.world = world
        self.desk = desk
        self.commands = commands
        self.runner = runner
        #: the last state the shell's commands reported, and when
        self._reported = "idle"
        self._reported_at = 0.0
        self._denied_reason = ""
        self._override: asyncio.Future[Any] | None = None
        self.state = "idle"

        self.button = QPushButton(self)
        self.button.setObjectName("pttButton")
        self.button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.button.setMinimumHeight(96)
        self.button.setAutoDefault(False)
        self.button.pressed.connect(self.press)
        self.button.released.connect(self.release)
        self.override_button = QPushButton(self)
        self.override_button.setObjectName("pttOverrideButton")
        self.override_button.setMinimumHeight(96)
        self.override_button.setAutoDefault(False)
        self.override_button.pressed.connect(self.press_override)
        self.override_button.released.connect(self.release_override)
        self.state_label = QLabel(self)
        self.state_label.setObjectName("pttState")
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.state_label.setWordWrap(True)
        self.talk_time_label = QLabel(self)
        self.talk_time_label.setObjectName("talkTime")
        self.talk_time_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        buttons = QHBoxLayout()
        buttons.addWidget(self.button, 3)
        buttons.addWidget(self.override_button, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.state_label)
        layout.addWidget(self.talk_time_label)
        layout.addLayout(buttons)

        if commands is not None:
            commands.pttChanged.connect(self._on_reported)
            commands.commandFailed.connect(self._on_failed)
        for signal in (bridge.floorChanged, bridge.affiliationChanged, bridge.sessionChanged):
            signal.connect(self.refresh)
        bridge.callEnded.connect(lambda *_: self.refresh())
        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self.refresh)
        self._ticker.start()
        self.retranslate()

    # ----- pressing ---------------------------------------------------------------------------

    def press(self) -> None:
        """PTT down (the same command as Space and the pedal)."""
        if self.commands is None:
            return
        self.commands.ptt_down()
        self.refresh()

    def release(self) -> None:
        if self.commands is None:
            return
        self.commands.ptt_up()
        self.refresh()

    def press_override(self) -> None:
        """Take the floor of the selected group whoever holds it, until `release_override`."""
        if self._override is not None and not self._override.done():
            return
        self._on_reported("pending")
        self._override = self.runner.run(self.tr("Override"), self.desk.ptt_override(), done=self._overridden)

    def _overridden(self, result: Any) -> None:
        outcome = getattr(result, "outcome", "failed")
        self._on_reported({"granted": "granted", "queued": "queued"}.get(outcome, "denied"))
        if outcome in ("denied", "failed"):
            self._denied_reason = str(getattr(result, "reason", "") or outcome)

    def release_override(self) -> None:
        pending, self._override = self._override, None
        self.runner.run(self.tr("Release PTT"), self._release_after(pending), done=lambda _r: self._on_reported("idle"))

    async def _release_after(self, pending: asyncio.Future[Any] | None) -> None:
        if pending is not None:
            with contextlib.suppress(Exception):
                await pending
        await self.desk.ptt_release()

    # ----- showing ----------------------------------------------------------------------------

    def _on_reported(self, state: str) -> None:
        self._reported, self._reported_at = state, time.monotonic()
        if state != "denied":
            self._denied_reason = ""
        self.refresh()

    def _on_failed(self, command: str, reason: str) -> None:
        if command == "ptt_press":
            self._denied_reason = reason

    def queue_position(self) -> int | None:
        """Our place in the selected group's floor queue, as the platform lists it to consoles."""
        selected = self.world.selected
        call = self.world.call_of_group(selected) if selected is not None else None
        if call is None:
            return None
        return next((q.position for q in call.queue if q.party == self.world.me), None)

    def current_state(self) -> str:
        """idle, pending, granted, queued or denied: what the dispatcher's PTT does now."""
        floor = self.desk.ptt_state
        if floor == "has_permission":
            return "granted"
        if floor == "queued":
            return "queued"
        if floor == "pending_request":
            return "pending"
        recent = time.monotonic() - self._reported_at
        if self._reported == "denied" and recent < DENIED_SHOWN_S:
            return "denied"
        if self._reported == "pending":
            return "pending"
        if self._reported in ("granted", "queued") and (self.button.isDown() or self.override_button.isDown()):
            return "pending"  # reported, but our participant has not caught up yet
        return "idle"

    def refresh(self) -> None:
        state = self.current_state()
        selected = self.world.selected
        can_talk = selected is not None and self.commands is not None
        self.button.setEnabled(can_talk or self.button.isDown())
        may_override = "override" in self.world.permissions and selected is not None
        self.override_button.setEnabled(may_override or self.override_button.isDown())
        group = group_name(self.world, selected)
        if state == "granted":
            text = self.tr("TALKING in %1").replace("%1", group)
        elif state == "queued":
            position = self.queue_position()
            text = (self.tr("Queued #%1 — wait for the floor").replace("%1", str(position)) if position
                    else self.tr("Queued — wait for the floor"))
        elif state == "pending":
            text = self.tr("Requesting the floor…")
        elif state == "denied":
            reason = self._denied_reason
            text = self.tr("Denied: %1").replace("%1", reason) if reason else self.tr("Denied")
        elif selected is None:
            text = self.tr("Select a talk group to talk")
        else:
            text = self.tr("Idle — hold to talk in %1").replace("%1", group)
        self.state_label.setText(text)
        left = self.desk.talk_time_left if state == "granted" else None
        warning = left is not None and left <= TALK_TIME_WARNING_S
        self.talk_time_label.setText(self.tr("Talk time left %1").replace("%1", duration_text(left))
                                     if left is not None else "")
        self.talk_time_label.setVisible(left is not None)
        if self.talk_time_label.property("warning") != warning:
            self.talk_time_label.setProperty("warning", warning)
            _repolish(self.talk_time_label)
        if state != self.state:
            logger.debug("ptt state %s → %s (group %s)", self.state, state, selected)
            self.state = state
            for widget in (self.button, self.state_label):
                widget.setProperty("state", state)
                _repolish(widget)

    def retranslate(self) -> None:
        keys = " · ".join(k.toString(k.SequenceFormat.NativeText) for k in (key_of("ptt"), key_of("ptt_pedal")))
        self.button.setText(self.tr("PUSH TO TALK\nhold · %1").replace("%1", keys))
        self.override_button.setText(self.tr("Override\n(hold)"))
        self.override_button.setToolTip(self.tr("Take the floor from whoever holds it, while held"))
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


__all__ = ["PttPanel"]
