"""The desk's commands to the platform beyond talking: regrouping, emergencies and alarms, short data and
passenger information, terminals and video.

A mixin of `Desk` (desk.py), kept apart so that file keeps the connection, what the desk receives and the voice
commands. Every command goes through the desk's `_run` (one keyed request, recorded in the event log with its
outcome, `CommandFailed` on any failure).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from console.core.command_errors import CommandFailed
from console.core.media_desk import DeskMedia
from console.core.quality import QualityMonitor
from console.core.views import PisRecord
from console.core.world import World
from protocols import messages as wire
from protocols.constants import ErrorCode

__all__ = ["MessageSent", "PisPushed", "PlatformCommands"]


@dataclass(frozen=True)
class MessageSent:
    """A text or status message went out: its id (texts only) and how many parties it reached."""

    message: str | None
    recipients: int


@dataclass(frozen=True)
class PisPushed:
    message: str
    trains: int


class PlatformCommands:
    """The desk's platform commands other than voice (see the module docstring)."""

    world: World
    media: DeskMedia | None
    quality: QualityMonitor
    me: str
    clock: Callable[[], float]

    async def _run(self, command: str, request: wire.Request, *, record: bool = True,
                   **subjects: str | None) -> wire.Ok:
        raise NotImplementedError  # the desk's

    def _record(self, command: str, request: wire.Request | dict[str, Any], subjects: dict[str, str | None], *,
                result: dict[str, Any] | None = None, error: tuple[int, str] | None = None,
                outcome: str | None = None) -> None:
        raise NotImplementedError  # the desk's

    # ----- commands: regrouping -----------------------------------------------------------------

    async def regroup(self, name: str, terminals: Iterable[str], name_zh: str = "") -> str:
        """Gather ``terminals`` into a new temporary group; its id."""
        ok = await self._run("regroup", wire.RegroupCreate(id=0, mode="regroup", name=name, name_zh=name_zh,
                                                           terminals=list(terminals)))
        return str(ok.result["group"])

    async def patch(self, name: str, groups: Iterable[str], name_zh: str = "") -> str:
        """Join two or more groups into one; the patch's group id."""
        ok = await self._run("patch", wire.RegroupCreate(id=0, mode="patch", name=name, name_zh=name_zh,
                                                         groups=list(groups)))
        return str(ok.result["group"])

    async def dissolve(self, group: str) -> None:
        """Remove a regroup or patch."""
        await self._run("dissolve", wire.RegroupDissolve(id=0, group=group), group=group)

    # ----- commands: emergencies and alarms -----------------------------------------------------

    async def ack_emergency(self, alert: str) -> str:
        """Acknowledge an emergency alert; its state."""
        terminal = self._alert_terminal(alert)
        ok = await self._run("ack_emergency", wire.EmergencyAck(id=0, alert=alert), alert=alert, terminal=terminal)
        return str(ok.result.get("state", "acknowledged"))

    async def cancel_emergency(self, alert: str, reason: str = "") -> str:
        """Cancel an emergency alert (a false alarm, or the emergency is over); its state."""
        terminal = self._alert_terminal(alert)
        ok = await self._run("cancel_emergency", wire.EmergencyCancel(id=0, alert=alert, reason=reason),
                             alert=alert, terminal=terminal)
        return str(ok.result.get("state", "cancelled"))

    def _alert_terminal(self, alert: str) -> str | None:
        info = self.world.alerts.get(alert)
        return info.terminal if info is not None else None

    async def ack_alarm(self, alarm: str) -> str:
        """Acknowledge an alarm; its state (``cleared`` if it cleared meanwhile)."""
        if self.world.is_local_alarm(alarm):  # one of the desk's own quality warnings
            return self._local_alarm("ack_alarm", alarm, self.quality.acknowledge)
        ok = await self._run("ack_alarm", wire.AlarmAck(id=0, alarm=alarm), alarm=alarm)
        return str(ok.result.get("state", "acknowledged"))

    async def clear_alarm(self, alarm: str) -> str:
        """Clear an alarm."""
        if self.world.is_local_alarm(alarm):
            return self._local_alarm("clear_alarm", alarm, self.quality.clear)
        ok = await self._run("clear_alarm", wire.AlarmClear(id=0, alarm=alarm), alarm=alarm)
        return str(ok.result.get("state", "cleared"))

    def _local_alarm(self, command: str, alarm: str, action: Callable[[str, str], str]) -> str:
        state = action(alarm, self.me or "desk")
        self._record(command, {"alarm": alarm}, {"alarm": alarm}, result={"state": state, "local": True})
        return state

    # ----- commands: short data and passenger information ---------------------------------------

    async def send_text(self, text: str, to: str | None = None, group: str | None = None) -> MessageSent:
        """A short text to one party or a group."""
        ok = await self._run("send_text", wire.TextSend(id=0, text=text, to=to, group=group), terminal=to,
                             group=group)
        return MessageSent(str(ok.result.get("message", "")) or None, int(ok.result.get("recipients", 0)))

    async def send_status(self, code: int, to: str | None = None, group: str | None = None) -> MessageSent:
        """A pre-defined status message to one party or a group."""
        ok = await self._run("send_status", wire.StatusSend(id=0, status=code, to=to, group=group), terminal=to,
                             group=group)
        return MessageSent(None, int(ok.result.get("recipients", 0)))

    async def push_pis(self, text: str, text_en: str = "", trains: Iterable[str] = (), *, duration_s: int = 60,
                       urgent: bool = False) -> PisPushed:
        """Show a message on passenger screens of ``trains`` (running numbers; none: every train)."""
        numbers = tuple(trains)
        ok = await self._run("push_pis", wire.PisPush(id=0, text=text, text_en=text_en, trains=list(numbers),
                                                      duration_s=duration_s, urgent=urgent))
        pushed = PisPushed(str(ok.result.get("message", "")), int(ok.result.get("trains", 0)))
        self.world.record_pis(PisRecord(pushed.message, text, text_en, numbers, pushed.trains, self.clock(),
                                        urgent, duration_s))
        return pushed

    # ----- commands: terminals and video --------------------------------------------------------

    async def disable(self, terminal: str) -> None:
        """Disable a terminal remotely (a lost or stolen radio)."""
        await self._control(terminal, "disable")

    async def enable(self, terminal: str) -> None:
        await self._control(terminal, "enable")

    async def _control(self, terminal: str, action: Literal["disable", "enable"]) -> None:
        await self._run(action, wire.TerminalControl(id=0, terminal=terminal, action=action), terminal=terminal)

    async def pull_video(self, source: str, quality: wire.VideoQuality = "thumb", *,
                         camera: str | None = None, tile: int | None = None) -> str:
        """Ask for a terminal's (or one of its cameras') video; the media session id. With media, the feed
        lands on ``tile`` of the wall (default: the first free one)."""
        if self.media is not None:
            try:
                return await self.media.pull_video(source, quality, camera=camera, tile=tile)
            except ValueError as exc:  # no tile for it: the wall is full, or the tile shows another feed
                self._record("pull_video", {"source": source, "camera": camera, "tile": tile},
                             {"terminal": camera or source}, error=(int(ErrorCode.CONFLICT), str(exc)))
                raise CommandFailed(ErrorCode.CONFLICT, str(exc)) from None
        ok = await self._run("pull_video", wire.VideoPull(id=0, source=source, camera=camera, quality=quality),
                             terminal=camera or source)
        return str(ok.result["session"])

    async def push_video(self, session: str | None = None, *, source: str | None = None, to: Iterable[str] = (),
                         group: str | None = None) -> list[str]:
        """Send a feed (of a session, or of a terminal) to terminals or a group; the new sessions' ids."""
        shown = self.world.video.get(session) if session is not None else None
        ok = await self._run("push_video", wire.VideoPush(id=0, session=session, source=source, to=list(to),
                                                          group=group),
                             terminal=source or (shown.source if shown is not None else None), group=group)
        return [str(s) for s in ok.result.get("sessions", [])]

    async def stop_video(self, session: str) -> bool:
        """End a media session; False when it had already ended."""
        ok = await self._run("stop_video", wire.VideoStop(id=0, session=session))
        return bool(ok.result.get("stopped", True))
