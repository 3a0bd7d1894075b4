"""Video dispatch signalling on the reference platform: pull, push, quality, stop, SDP relay.

Part of `PlatformState`. The platform never touches media: in the direct media plane it relays the SDP
offer and answer between the two ends of a session (SPEC.md, "Video").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from protocols.constants import ErrorCode
from protocols.messages import (
    Error,
    MediaAnswer,
    MediaOffer,
    Notification,
    Ok,
    Request,
    VideoPull,
    VideoPush,
    VideoQualitySet,
    VideoSession,
    VideoStop,
)
from testbed.platform.model import Outbound, Principal, VideoSessionRecord

if TYPE_CHECKING:
    from testbed.platform.state import PlatformState, Result

log = logging.getLogger(__name__)

#: terminal kinds that carry a camera
VIDEO_SOURCES = frozenset({"camera", "handset", "recorder", "train", "station"})


class VideoDesk:
    """Every media session, by id."""

    def __init__(self, state: PlatformState) -> None:
        self.state = state
        self.sessions: dict[str, VideoSessionRecord] = {}

    def handlers(self) -> dict[type[Request], Callable[[Principal, Any, float], Result]]:
        return {
            VideoPull: self._pull,
            VideoPush: self._push,
            VideoStop: self._stop,
            VideoQualitySet: self._quality,
        }

    def _notice(self, session: VideoSessionRecord, reason: str = "") -> Outbound:
        message = VideoSession(session=session.id, source=session.source, sink=session.sink,
                               quality=session.quality, state=session.state, reason=reason, media=session.media)
        return Outbound(message, frozenset({session.source, session.sink}), consoles=True)

    def _source_error(self, request: Request, source: str) -> Ok | Error | None:
        record = self.state.terminals.get(source)
        if record is None:
            return Error(re=request.id, code=int(ErrorCode.NOT_FOUND), reason=f"unknown terminal {source}")
        if record.info.kind not in VIDEO_SOURCES:
            return Error(re=request.id, code=int(ErrorCode.CONFLICT), reason=f"{source} has no camera")
        principal = self.state.principals.get(source)
        if principal is None or not principal.connected or record.disabled:
            return Error(re=request.id, code=int(ErrorCode.CONFLICT), reason=f"{source} is not reachable")
        return None

    def _open(self, source: str, sink: str, quality: Any,
              media: Literal["video", "audio"] = "video") -> tuple[VideoSessionRecord, Outbound]:
        session = VideoSessionRecord(id=self.state.next_id("V"), source=source, sink=sink, quality=quality,
                                     media=media)
        self.sessions[session.id] = session
        log.info("video %s: %s -> %s (%s)", session.id, source, sink, quality)
        return session, self._notice(session)

    def _pull(self, principal: Principal, request: VideoPull, now: float) -> Result:
        if principal.is_console and "video" not in principal.permissions:
            return Error(re=request.id, code=int(ErrorCode.FORBIDDEN), reason="role lacks permission 'video'"), []
        source = request.camera or request.source
        refused = self._source_error(request, source)
        if refused is not None:
            return refused, []
        session, notice = self._open(source, principal.id, request.quality, request.media)
        return Ok(re=request.id, result={"session": session.id}), [notice]

    def _push(self, principal: Principal, request: VideoPush, now: float) -> Result:
        if not principal.is_console or "video" not in principal.permissions:
            return Error(re=request.id, code=int(ErrorCode.FORBIDDEN), reason="pushing video is for dispatchers "
                         "with permission 'video'"), []
        source = request.source
        if request.session is not None:
            existing = self.sessions.get(request.session)
            if existing is None:
                return Error(re=request.id, code=int(ErrorCode.NOT_FOUND), reason=f"no session {request.session}"), []
            source = existing.source
        if source is None:
            return Error(re=request.id, code=int(ErrorCode.BAD_MESSAGE), reason="give 'session' or 'source'"), []
        refused = self._source_error(request, source)
        if refused is not None:
            return refused, []
        targets = set(request.to)
        if request.group is not None:
            if request.group not in self.state.groups:
                return Error(re=request.id, code=int(ErrorCode.NOT_FOUND), reason=f"unknown group {request.group}"), []
            targets |= self.state.group_members(request.group)
        # neither the source nor the pushing console itself (it has the feed already: a group it monitors
        # would otherwise send the feed back to it)
        targets = {t for t in targets if t not in (source, principal.id) and t in self.state.principals
                   and self.state.principals[t].connected}
        if not targets:
            return Error(re=request.id, code=int(ErrorCode.CONFLICT), reason="no reachable receivers"), []
        ids, out = [], []
        for target in sorted(targets):
            session, notice = self._open(source, target, "thumb")
            ids.append(session.id)
            out.append(notice)
        return Ok(re=request.id, result={"sessions": ids}), out

    def _stop(self, principal: Principal, request: VideoStop, now: float) -> Result:
        session = self.sessions.get(request.session)
        if session is None:
            return Ok(re=request.id, result={"stopped": False}), []
        if principal.id not in (session.source, session.sink) and not principal.is_console:
            return Error(re=request.id, code=int(ErrorCode.FORBIDDEN), reason="not an end of this session"), []
        session.state = "stopped"
        del self.sessions[session.id]
        return Ok(re=request.id, result={"stopped": True}), [self._notice(session, f"stopped by {principal.id}")]

    def _quality(self, principal: Principal, request: VideoQualitySet, now: float) -> Result:
        session = self.sessions.get(request.session)
        if session is None:
            return Error(re=request.id, code=int(ErrorCode.NOT_FOUND), reason=f"no session {request.session}"), []
        if principal.id not in (session.source, session.sink):
            return Error(re=request.id, code=int(ErrorCode.FORBIDDEN), reason="not an end of this session"), []
        session.quality = request.quality
        return Ok(re=request.id, result={"quality": session.quality}), [self._notice(session)]

    def notification(self, principal: Principal, message: Notification, now: float) -> list[Outbound]:
        """Relay SDP between the ends of a session; the answer makes it live."""
        if not isinstance(message, MediaOffer | MediaAnswer):
            return []
        session = self.sessions.get(message.session)
        if session is None or principal.id not in (session.source, session.sink):
            return []
        other = session.sink if principal.id == session.source else session.source
        relayed = type(message)(session=message.session, sdp=message.sdp, sender=principal.id)
        session.state = "live" if isinstance(message, MediaAnswer) else "negotiating"
        return [Outbound(relayed, frozenset({other})), self._notice(session)]

    def party_lost(self, party: str, now: float) -> list[Outbound]:
        out = []
        for session in list(self.sessions.values()):
            if party in (session.source, session.sink):
                session.state = "stopped"
                del self.sessions[session.id]
                out.append(self._notice(session, f"{party} lost"))
        return out
