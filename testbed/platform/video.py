"""Video dispatch signalling on the reference platform: pull, push, quality, pause, stop, SDP relay.

Part of `PlatformState`. The platform never touches media: in the direct media plane it relays the SDP
offer and answer between the two ends of a session (SPEC.md, "Video").

In the SFU media plane (SPEC §5.14.9) every session involves the pseudo-principal `SFU` (the Janus broker beside
the server, testbed/platform/janus_plane.py): a terminal *publishes* each of its feeds once (a session whose sink
is the SFU, opened when a first sink wants the feed and stopped when the last one is gone), and each sink
*subscribes* (a session from the terminal to the sink, which the SFU offers to). SDP goes between the session's
media end and the SFU. Everything here stays deterministic and replicated; the broker does the Janus I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from protocols.constants import VIDEO_SETUP_TIMEOUT, ErrorCode
from protocols.messages import (
    AlarmInfo,
    AlarmUpdate,
    Error,
    MediaAnswer,
    MediaOffer,
    MediaPlane,
    Notification,
    Ok,
    Request,
    VideoPause,
    VideoPull,
    VideoPush,
    VideoQualitySet,
    VideoSession,
    VideoStop,
)
from testbed.platform.model import SFU, Outbound, Principal, VideoSessionRecord

if TYPE_CHECKING:
    from testbed.platform.state import PlatformState, Result

log = logging.getLogger(__name__)

#: terminal kinds that carry a camera
VIDEO_SOURCES = frozenset({"camera", "handset", "recorder", "train", "station"})
#: the alarm the platform raises while its SFU is unreachable (SPEC §5.14.9)
MEDIA_PLANE_DOWN = "media_plane_down"
#: warm talk (SPEC §5.14.9): the groups of a console whose members are subscribed to its voice ahead, the selected
#: group first, then the other monitored ones in id order
WARM_TALK_GROUPS = 4
#: warm talk: at most this many listeners subscribed ahead per console (an all-call group has thousands of members)
WARM_TALK_LISTENERS = 64


class VideoDesk:
    """Every media session, by id; ``plane`` is the media plane new sessions use."""

    def __init__(self, state: PlatformState, plane: MediaPlane = "direct") -> None:
        self.state = state
        self.plane: MediaPlane = plane
        self.sessions: dict[str, VideoSessionRecord] = {}
        #: the raised "media plane down" alarm, while the SFU is unreachable
        self.sfu_alarm: str | None = None
        #: consoles whose voice publication failed to come up: not published again until they stop talking
        self.talk_failed: set[str] = set()
        #: consoles whose voice publication failed to come up: not published warm again until one of theirs comes up
        #: (when they talk) or they leave (a desk without media would otherwise be asked every 10 s)
        self.warm_failed: set[str] = set()
        #: warm talk's bounds (0 groups: no warm publications, the voice is set up when the console first talks)
        self.warm_groups = WARM_TALK_GROUPS
        self.warm_listeners = WARM_TALK_LISTENERS

    def handlers(self) -> dict[type[Request], Callable[[Principal, Any, float], Result]]:
        return {
            VideoPull: self._pull,
            VideoPush: self._push,
            VideoStop: self._stop,
            VideoQualitySet: self._quality,
            VideoPause: self._pause,
        }

    def _notice(self, session: VideoSessionRecord, reason: str = "") -> Outbound:
        message = VideoSession(session=session.id, source=session.source, sink=session.sink,
                               quality=session.quality, state=session.state, reason=reason, media=session.media,
                               plane=session.plane, paused=session.paused)
        if session.plane == "sfu":  # one publication serves every sink: a subscription is not its source's business
            ends = frozenset({session.media_end, SFU})
        else:
            ends = frozenset({session.source, session.sink})
        return Outbound(message, ends, consoles=True)

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

    def _open(self, source: str, sink: str, quality: Any, now: float, media: Literal["video", "audio"] = "video",
              *, paused: bool = False) -> tuple[VideoSessionRecord, list[Outbound]]:
        """A new session from ``source`` to ``sink``; in the SFU plane a subscription, after the publication of
        the source's feed if it has none yet. Each fails unless it is live `VIDEO_SETUP_TIMEOUT` seconds on."""
        out: list[Outbound] = []
        deadline = now + VIDEO_SETUP_TIMEOUT
        if self.plane == "sfu" and self.publication_of(source, media) is None:
            published = VideoSessionRecord(id=self.state.next_id("V"), source=source, sink=SFU, quality="thumb",
                                           media=media, plane="sfu", deadline=deadline)
            self.sessions[published.id] = published
            log.info("video %s: %s publishes %s into the SFU", published.id, source, media)
            out.append(self._notice(published))
        session = VideoSessionRecord(id=self.state.next_id("V"), source=source, sink=sink, quality=quality,
                                     media=media, plane=self.plane, paused=paused, deadline=deadline)
        self.sessions[session.id] = session
        log.info("video %s: %s -> %s (%s, %s plane)", session.id, source, sink, quality, self.plane)
        out.append(self._notice(session))
        return session, out + self._publication_quality(source, media)

    # ----- the SFU plane: publications follow their subscriptions ------------------------------------

    def publication_of(self, source: str, media: str) -> VideoSessionRecord | None:
        """The session publishing ``source``'s ``media`` into the SFU, if any."""
        return next((s for s in self.sessions.values()
                     if s.publication and s.source == source and s.media == media), None)

    def subscriptions_of(self, source: str, media: str) -> list[VideoSessionRecord]:
        """The SFU-plane sessions that take ``source``'s published ``media``."""
        return [s for s in self.sessions.values()
                if s.plane == "sfu" and not s.publication and s.source == source and s.media == media]

    def _publication_quality(self, source: str, media: str) -> list[Outbound]:
        """A publication sends HD only while a sink that is not paused watches it in HD (the uplink is finite)."""
        published = self.publication_of(source, media)
        if published is None:
            return []
        wanted = "hd" if any(s.quality == "hd" and not s.paused for s in self.subscriptions_of(source, media)) \
            else "thumb"
        if published.quality == wanted:
            return []
        published.quality = wanted  # type: ignore[assignment]
        return [self._notice(published)]

    def _end(self, session: VideoSessionRecord, state: Literal["stopped", "failed"], reason: str) -> list[Outbound]:
        """End a session; a publication takes its subscriptions along, and the last subscription its publication."""
        if self.sessions.pop(session.id, None) is None:
            return []
        session.state = state
        out = [self._notice(session, reason)]
        if session.plane != "sfu":
            return out
        if session.publication:  # a publication that failed fails its subscriptions (their tiles say why)
            why = f"{session.source}'s feed failed: {reason}" if state == "failed" else \
                f"{session.source} stopped publishing"
            for subscription in self.subscriptions_of(session.source, session.media):
                out += self._end(subscription, state, why)
            return out
        published = self.publication_of(session.source, session.media)
        if published is not None and not self.subscriptions_of(session.source, session.media):
            out += self._end(published, "stopped", "nobody watches")
        return out + self._publication_quality(session.source, session.media)

    # ----- the SFU plane: consoles talk through the SFU (SPEC §5.14.9, "Consoles talk") ----------------

    def _present(self, party: str) -> bool:
        principal = self.state.principals.get(party)
        return principal is not None and (principal.connected or party in self.state.pending_detach)

    def _is_console(self, party: str) -> bool:
        principal = self.state.principals.get(party)
        return principal is not None and principal.is_console

    def talk_subscriptions(self) -> list[VideoSessionRecord]:
        """The SFU-plane subscriptions that relay a console's voice to a party of its calls."""
        return [s for s in self.sessions.values() if s.plane == "sfu" and not s.publication and s.media == "audio"
                and self._is_console(s.source)]

    def warm_groups_of(self, console: str) -> list[str]:
        """The groups whose members a console's voice is subscribed to ahead: its selected group, then the other
        groups it monitors in id order, at most `warm_groups`."""
        principal = self.state.principals.get(console)
        if principal is None or self.warm_groups <= 0:
            return []
        selected = [principal.selected] if principal.selected in principal.affiliations else []
        rest = sorted(g for g in principal.affiliations if g not in selected)
        return [*selected, *rest][:self.warm_groups]

    def _warm_pairs(self) -> list[tuple[str, str]]:
        """(console, listener) for the warm subscriptions: every present console (unless its publication failed to
        come up) to the present members of its warm groups, the selected group's first, at most `warm_listeners`."""
        consoles = sorted(p.id for p in self.state.principals.values()
                          if p.is_console and self._present(p.id) and p.id not in self.warm_failed)
        members: dict[str, list[str]] = {}
        pairs: list[tuple[str, str]] = []
        for console in consoles:
            listeners: list[str] = []
            for group in self.warm_groups_of(console):
                if group not in members:
                    members[group] = sorted(m for m in self.state.group_members(group) if self._present(m))
                listeners += [m for m in members[group] if m != console and m not in listeners]
            pairs += [(console, listener) for listener in listeners[:self.warm_listeners]]
        return pairs

    def follow_talkers(self, now: float) -> list[Outbound]:
        """Bring the consoles' voice sessions in line with the calls and the groups (the SFU plane only; after every
        input).

        A console that talks in a call (holds its floor, or is a party of a connected full-duplex call) gets its
        microphone published and a subscription to it for every other party of the call that is present (terminals
        and consoles). *Warm talk*: a present console also has its publication and a subscription for every present
        member of the groups it monitors (`_warm_pairs`: the selected group first, bounded) opened ahead, paused, so
        that its first burst in a call needs no set-up, only a resume. A subscription is paused while its console
        does not talk in a call its sink is a party of, and stopped once they share neither a call (a group call ends
        after its hang time) nor a warm group; the publication stops with its last subscription (`_end`). A console
        whose publication failed to come up (a desk without media) is not published again before it stops talking
        and talks anew, nor warm before one of its publications comes up."""
        if self.plane != "sfu":
            return []
        relay: dict[tuple[str, str], bool] = {}
        for call_id in sorted(self.state.calls.calls):
            call = self.state.calls.calls[call_id]
            if call.ringing:
                continue
            talking = ({call.floor.holder} if call.floor.holder is not None else set()) if call.floor is not None \
                else set(call.parties)
            for console in sorted(p for p in call.parties if self._is_console(p) and self._present(p)):
                for listener in sorted(call.parties - {console}):
                    if self._present(listener):
                        key = (console, listener)
                        relay[key] = relay.get(key, False) or console in talking
        warm = set(self._warm_pairs())
        for key in warm:
            relay.setdefault(key, False)
        out: list[Outbound] = []
        existing: set[tuple[str, str]] = set()
        for session in sorted(self.talk_subscriptions(), key=lambda s: s.id):
            key = (session.source, session.sink)
            wanted = relay.get(key)
            if wanted is None or key in existing:
                out += self._end(session, "stopped", "no call or monitored group shared with the talker any more")
                continue
            existing.add(key)
            if session.paused == wanted:
                session.paused = not wanted
                out.append(self._notice(session))
        talking = {console for (console, _), wanted in relay.items() if wanted}
        self.talk_failed &= talking
        for (console, listener), wanted in sorted(relay.items()):
            if (console, listener) in existing:
                continue
            if wanted and console not in self.talk_failed:
                log.info("%s talks to %s through the SFU", console, listener)
                out += self._open(console, listener, "thumb", now, "audio")[1]
            elif not wanted and (console, listener) in warm:
                log.info("%s's voice subscribed by %s ahead (paused)", console, listener)
                out += self._open(console, listener, "thumb", now, "audio", paused=True)[1]
        return out

    # ----- sessions that never come up (SPEC §5.14.1) ------------------------------------------------

    def get_timer(self) -> float | None:
        """The earliest deadline of a session not live yet."""
        return min((s.deadline for s in self.sessions.values() if s.deadline is not None), default=None)

    def handle_timer(self, now: float) -> list[Outbound]:
        """Fail every session not live `VIDEO_SETUP_TIMEOUT` seconds after it was requested (SPEC §5.14.1). While
        the SFU is unreachable its sessions wait for its return instead."""
        out: list[Outbound] = []
        for session in sorted(self.sessions.values(), key=lambda s: s.id):
            if session.deadline is None or session.deadline > now or session.id not in self.sessions:
                continue
            if session.plane == "sfu" and self.sfu_alarm is not None:
                session.deadline = None  # the SFU's return announces it requested again, with a new deadline
                continue
            if session.publication and self._is_console(session.source):
                self.talk_failed.add(session.source)
                self.warm_failed.add(session.source)
            log.warning("video %s (%s -> %s): not set up within %g s", session.id, session.source, session.sink,
                        VIDEO_SETUP_TIMEOUT)
            out += self._end(session, "failed", f"not set up within {VIDEO_SETUP_TIMEOUT:g} s")
        return out

    def media_plane(self, up: bool, reason: str, now: float) -> list[Outbound]:
        """The SFU went away (``up`` False: a platform alarm) or is back (the alarm cleared, and every SFU-plane
        session is negotiated afresh: sources publish again, the SFU offers to every sink again)."""
        alarms = self.state.alarms
        if not up:
            if self.sfu_alarm is not None:
                return []
            alarm = AlarmInfo(id=self.state.next_id("AL"), source="equipment", origin=SFU, severity="critical",
                              code=MEDIA_PLANE_DOWN, text=f"media plane down: {reason}", raised_ms=int(now * 1000))
            alarms[alarm.id] = alarm
            self.sfu_alarm = alarm.id
            log.warning("media plane down: %s", reason)
            return [Outbound(AlarmUpdate(alarm=alarm), consoles=True)]
        out: list[Outbound] = []
        if self.sfu_alarm is not None:
            raised = alarms.get(self.sfu_alarm)
            self.sfu_alarm = None
            if raised is not None and raised.state != "cleared":
                raised.state = "cleared"
                out.append(Outbound(AlarmUpdate(alarm=raised), consoles=True))
        # publications first, so that whoever follows the notices in order knows the feed before its sinks
        for session in sorted(self.sessions.values(), key=lambda s: (not s.publication, s.id)):
            if session.plane == "sfu":
                session.state = "requested"
                session.deadline = now + VIDEO_SETUP_TIMEOUT
                out.append(self._notice(session, reason or "media plane restarted"))
        log.info("media plane up: %d sessions negotiated again", len(out))
        return out

    def _pull(self, principal: Principal, request: VideoPull, now: float) -> Result:
        if principal.is_console and "video" not in principal.permissions:
            return Error(re=request.id, code=int(ErrorCode.FORBIDDEN), reason="role lacks permission 'video'"), []
        source = request.camera or request.source
        refused = self._source_error(request, source)
        if refused is not None:
            return refused, []
        session, out = self._open(source, principal.id, request.quality, now, request.media)
        return Ok(re=request.id, result={"session": session.id}), out

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
            session, opened = self._open(source, target, "thumb", now)
            ids.append(session.id)
            out += opened
        return Ok(re=request.id, result={"sessions": ids}), out

    def _stop(self, principal: Principal, request: VideoStop, now: float) -> Result:
        session = self.sessions.get(request.session)
        if session is None:
            return Ok(re=request.id, result={"stopped": False}), []
        if principal.id not in (session.source, session.sink) and not principal.is_console:
            return Error(re=request.id, code=int(ErrorCode.FORBIDDEN), reason="not an end of this session"), []
        return Ok(re=request.id, result={"stopped": True}), self._end(session, "stopped", f"stopped by {principal.id}")

    def _quality(self, principal: Principal, request: VideoQualitySet, now: float) -> Result:
        session = self.sessions.get(request.session)
        if session is None:
            return Error(re=request.id, code=int(ErrorCode.NOT_FOUND), reason=f"no session {request.session}"), []
        if principal.id not in (session.source, session.sink):
            return Error(re=request.id, code=int(ErrorCode.FORBIDDEN), reason="not an end of this session"), []
        if session.publication:
            return Error(re=request.id, code=int(ErrorCode.CONFLICT),
                         reason="a publication's quality follows its subscriptions"), []
        session.quality = request.quality
        out = [self._notice(session), *self._publication_quality(session.source, session.media)]
        return Ok(re=request.id, result={"quality": session.quality}), out

    def _pause(self, principal: Principal, request: VideoPause, now: float) -> Result:
        session = self.sessions.get(request.session)
        if session is None:
            return Error(re=request.id, code=int(ErrorCode.NOT_FOUND), reason=f"no session {request.session}"), []
        if principal.id != session.sink and not principal.is_console:
            return Error(re=request.id, code=int(ErrorCode.FORBIDDEN), reason="not the sink of this session"), []
        if session.plane != "sfu" or session.publication:
            return Error(re=request.id, code=int(ErrorCode.CONFLICT),
                         reason="only a subscription of the SFU plane pauses; stop a direct session instead"), []
        if session.paused == request.paused:
            return Ok(re=request.id, result={"paused": session.paused}), []
        session.paused = request.paused
        out = [self._notice(session), *self._publication_quality(session.source, session.media)]
        return Ok(re=request.id, result={"paused": session.paused}), out

    def notification(self, principal: Principal, message: Notification, now: float) -> list[Outbound]:
        """Relay SDP between the ends of a session (or its media end and the SFU); the answer makes it live."""
        if not isinstance(message, MediaOffer | MediaAnswer):
            return []
        return self._relay(principal.id, message)

    def from_sfu(self, message: Notification, now: float) -> list[Outbound]:
        """SDP from the SFU (the broker), for the media end of an SFU-plane session."""
        if not isinstance(message, MediaOffer | MediaAnswer):
            return []
        return self._relay(SFU, message)

    def _relay(self, sender: str, message: MediaOffer | MediaAnswer) -> list[Outbound]:
        session = self.sessions.get(message.session)
        if session is None:
            return []
        if session.plane == "sfu":
            if sender not in (session.media_end, SFU):
                return []
            other = SFU if sender == session.media_end else session.media_end
        else:
            if sender not in (session.source, session.sink):
                return []
            other = session.sink if sender == session.source else session.source
        relayed = type(message)(session=message.session, sdp=message.sdp, sender=sender)
        session.state = "live" if isinstance(message, MediaAnswer) else "negotiating"
        if session.state == "live":
            session.deadline = None
            if session.publication:
                self.warm_failed.discard(session.source)  # a console's publication came up: warm again
        return [Outbound(relayed, frozenset({other})), self._notice(session)]

    def party_lost(self, party: str, now: float) -> list[Outbound]:
        self.warm_failed.discard(party)  # a console that comes back is tried warm again
        out = []
        for session in list(self.sessions.values()):
            if party in (session.source, session.sink) and session.id in self.sessions:
                out += self._end(session, "stopped", f"{party} lost")
        return out
