"""The desk's push-to-talk voice over the direct media plane: whom to hear, whom to talk to, the mix, the tones.

Decisions only, no I/O: `DeskMedia` (media_desk.py) carries them out. In the direct plane media flows peer to
peer, so the desk keeps a **voice link** (a media session with send-receive audio, which the desk as sink
offers) to each terminal it hears or talks to:

- it hears the floor holder of every call in a group it monitors (and of its own private calls); the holder's
  terminal sends its microphone only while it holds the floor, so a link carries sound exactly during bursts;
- it talks, while it holds a call's floor, to that call's terminals: the microphone of their links is keyed
  (`VoicePlan.keys`) and unkeyed the moment the floor is ours no more; a full-duplex private call keeps it keyed.

Links outlive a burst (a next burst then needs no setup) and close after `VOICE_IDLE` seconds unused.

**Warm links.** ICE and DTLS take about a second, so a link opened when the desk sees a talker take the floor loses
the start of that talker's first burst. The desk therefore keeps links open ahead (*warm*) to the members of its
monitored groups who may talk (online stations, trains, handsets and recorders affiliated to them): at most
``warm_links`` of them, the most recently heard first, then the selected group's members, then the other
monitored groups' (least recently used drop out). An idle link costs almost nothing: a terminal sends no RTP while
it does not hold a floor (bench/bench_voice_warm.py measures it). A talker whose link was not warm still gets one
the moment the desk sees it take the floor, as before.

**Only what the desk hears is played.** A terminal keys its microphone on every link while it holds any floor, so
a warm link also carries its talk in calls the desk does not monitor: `take_audio` passes a link's audio on (to
the mixer and the recorder) only while its terminal is heard, plus `LINGER` after (audio in flight); audio that
arrives just before the desk learns who took the floor is held back for `EARLY` seconds, then dropped.

**The desk's own voice** goes to the recorder, not the mixer: `speaking` names the calls the desk talks in now,
`recorded` is `heard` plus the dispatcher in that call, and `take_own_audio` hands the microphone's samples (tapped in
a media worker, media/mic_tap.py) to the listeners under the dispatcher's id.

The talkers' audio is mixed with the selected group's calls at `SELECTED_GAIN` and other monitored ones lower. The
talk-permit and floor-denied tones are made here as PCM and mixed into the same output, which the UI plays.

**The SFU plane** (SPEC §5.14.9): links only listen (`talk_links` off): the desk talks through its publication
instead (console/core/media_talk.py). Another dispatcher's voice arrives on a link the platform gives (``given``):
heard while that dispatcher holds the floor, and never closed by the plan.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import numpy as np

from console.core.world import World
from media.audio import AUDIO_RATE, Pcm, VoiceMixer
from protocols import messages as wire
from protocols.machines.floor_terminal import Denied, PermissionGranted

logger = logging.getLogger(__name__)

__all__ = [
    "EARLY",
    "LINGER",
    "MONITOR_GAIN",
    "SELECTED_GAIN",
    "TALKER_KINDS",
    "VOICE_IDLE",
    "WARM_LINKS",
    "WARM_RETRY",
    "DeskVoice",
    "VoiceLink",
    "VoicePlan",
    "floor_denied_tone",
    "talk_permit_tone",
]

#: gain of talkers in the selected group's call (and our private calls), and in other monitored groups
SELECTED_GAIN = 1.0
MONITOR_GAIN = 0.35
#: seconds a voice link stays open after it was last needed
VOICE_IDLE = 30.0
#: seconds before a link the platform refused is asked for again
VOICE_RETRY = 5.0
#: warm links a desk keeps at most (MediaOptions.warm_voice_links); 0 turns them off
WARM_LINKS = 8
#: seconds before a warm link that was refused (or ended by its terminal) is asked for again
WARM_RETRY = 30.0
#: terminal kinds that take part in calls (cameras do not talk)
TALKER_KINDS = ("station", "train", "handset", "recorder")
#: presences in which a terminal can talk
_REACHABLE = ("registered", "busy", "emergency")
#: seconds a link's audio is still passed on after its terminal stopped being heard (audio in flight)
LINGER = 0.6
#: seconds of a link's audio held back while its terminal is not (yet) known to talk in a call the desk hears
EARLY = 0.5

#: (frequency Hz, seconds) of each tone; 0 Hz is a pause
TALK_PERMIT = ((880.0, 0.07), (0.0, 0.03), (1320.0, 0.09))
FLOOR_DENIED = ((440.0, 0.15), (0.0, 0.08), (440.0, 0.15), (0.0, 0.08), (440.0, 0.15))


def _tone(pattern: tuple[tuple[float, float], ...], amplitude: float = 0.4) -> Pcm:
    """Pips as mono int16 at 48 kHz, each shaped with a 5 ms fade so that it does not click."""
    parts = []
    fade = int(AUDIO_RATE * 0.005)
    for frequency, seconds in pattern:
        count = int(AUDIO_RATE * seconds)
        if frequency <= 0:
            parts.append(np.zeros(count))
            continue
        n = np.arange(count)
        envelope = np.minimum(1.0, np.minimum(n, count - 1 - n) / fade)
        parts.append(amplitude * envelope * np.sin(2 * math.pi * frequency * n / AUDIO_RATE))
    return (np.concatenate(parts) * 32767).astype(np.int16)


def talk_permit_tone() -> Pcm:
    """Played when the desk is granted the floor: it may talk now."""
    return _tone(TALK_PERMIT)


def floor_denied_tone() -> Pcm:
    """Played when the desk's floor request is denied."""
    return _tone(FLOOR_DENIED)


@dataclass
class VoiceLink:
    """The desk's voice link to one terminal."""

    terminal: str
    #: the media session (None until the platform named it)
    session: str | None = None
    #: the session's platform state, then the engine's media state once it has one
    state: str = "requested"
    #: the microphone is keyed towards this terminal
    keyed: bool = False
    #: how far the desk has read the link's received audio
    position: int = 0
    #: monotonic time the link was last needed
    wanted_at: float = 0.0
    #: the session was asked to stop (idle)
    closing: bool = False
    #: open only to be warm: its terminal is neither heard nor talked to now
    warm_only: bool = False
    #: monotonic time its terminal was last heard (-inf: not yet)
    heard_at: float = -math.inf
    #: audio received while its terminal was not known to talk (kept `EARLY` seconds, for the start of a burst)
    early: list[Pcm] = field(default_factory=list)
    #: opened by the platform, not asked for: another dispatcher's voice through the SFU (console/core/media_talk.py);
    #: the platform ends it, never the plan
    given: bool = False


@dataclass
class VoicePlan:
    """What the desk must do now: links to open (terminals), sessions to stop, keyed state to change."""

    open: list[str] = field(default_factory=list)
    close: list[str] = field(default_factory=list)
    key: list[str] = field(default_factory=list)
    unkey: list[str] = field(default_factory=list)


class DeskVoice:
    """Voice links, their keying and gains, and the mixer (see the module docstring).

    ``me`` is the dispatcher's id; ``holding()`` the calls whose floor the desk holds now; ``warm_links`` the most
    links kept open ahead to members of the monitored groups (0: none).
    """

    def __init__(self, world: World, me: Callable[[], str], holding: Callable[[], list[str]],
                 mixer: VoiceMixer | None = None, *, warm_links: int = WARM_LINKS) -> None:
        if warm_links < 0:
            raise ValueError(f"warm_links must be 0 or more (got {warm_links})")
        self.world = world
        self._me = me
        self._holding = holding
        self.mixer = mixer or VoiceMixer()
        self.warm_links = warm_links
        #: voice links by terminal
        self.links: dict[str, VoiceLink] = {}
        #: terminals whose link could not be opened, with the monotonic time to try again
        self._retry_at: dict[str, float] = {}
        #: the same for links that were only to be warm (a talker taking the floor is not held back by it)
        self._warm_retry_at: dict[str, float] = {}
        #: monotonic time each terminal was last heard (the warm links' recency)
        self._last_heard: dict[str, float] = {}
        #: told ``(terminal, pcm)`` of every chunk of received audio after the mixer took it (the recorder)
        self.listeners: list[Callable[[str, Pcm], None]] = []
        #: the desk talks over its voice links (the direct plane); False in the SFU plane, where it talks through its
        #: publication instead (console/core/media_talk.py) and links only listen
        self.talk_links = True

    def holding(self) -> list[str]:
        """The calls whose floor the desk holds now."""
        return self._holding()

    def link_of_session(self, session: str) -> VoiceLink | None:
        return next((link for link in self.links.values() if link.session == session), None)

    # ----- whom to hear, whom to talk to ------------------------------------------------------------

    def _ours(self, call: wire.CallInfo) -> bool:
        me = self._me()
        return me in call.parties or (call.group is not None and call.group in self.world.affiliations)

    def _full_duplex(self, call: wire.CallInfo) -> bool:
        return call.kind == "private" and call.duplex == "full" and self._me() in call.parties

    def heard(self) -> dict[str, wire.CallInfo]:
        """The terminals the desk hears now, with the call each talks in."""
        me = self._me()
        talkers: dict[str, wire.CallInfo] = {}
        for call in self.world.calls.values():
            if not self._ours(call):
                continue
            if self._full_duplex(call):
                for party in call.parties:
                    if party != me and self._audible(party):
                        talkers[party] = call
            elif call.holder is not None and call.holder != me and self._audible(call.holder):
                talkers[call.holder] = call
        return talkers

    def _audible(self, party: str) -> bool:
        """Whether the desk can hear ``party``: a terminal (over a link it opens), or another dispatcher whose voice
        the platform gave it a link to (the SFU plane)."""
        if party in self.world.terminals:
            return True
        link = self.links.get(party)
        return link is not None and link.given

    def addressed(self) -> set[str]:
        """The terminals the desk talks to now: the parties of calls whose floor it holds (or full-duplex calls)."""
        me = self._me()
        calls = [self.world.calls[c] for c in self._holding() if c in self.world.calls]
        calls += [c for c in self.world.calls.values() if self._full_duplex(c)]
        return {p for call in calls for p in call.parties if p != me and p in self.world.terminals}

    def gain_of(self, terminal: str, heard: dict[str, wire.CallInfo] | None = None) -> float:
        """The mixing gain of a talker: the selected group's calls and private calls loud, the others lower."""
        call = (heard if heard is not None else self.heard()).get(terminal)
        if call is None or call.group is None or call.group == self.world.selected:
            return SELECTED_GAIN
        return MONITOR_GAIN

    def speaking(self) -> list[wire.CallInfo]:
        """The calls the desk talks in now: those whose floor it holds, and its full-duplex private calls."""
        calls = [self.world.calls[c] for c in self._holding() if c in self.world.calls]
        held = {c.id for c in calls}
        return calls + [c for c in self.world.calls.values() if c.id not in held and self._full_duplex(c)]

    def recorded(self) -> dict[str, wire.CallInfo]:
        """Whose voice is recorded in which call now: the talkers the desk hears, and the dispatcher in the (first)
        call it talks in."""
        talkers = self.heard()
        speaking = self.speaking()
        if speaking:
            talkers[self._me()] = speaking[0]
        return talkers

    def warm(self) -> list[str]:
        """The terminals to keep a warm link to: up to ``warm_links`` reachable members of the monitored groups who
        may talk, the most recently heard first, then the selected group's, then the other groups' (by id)."""
        if self.warm_links <= 0 or not self.world.affiliations:
            return []
        selected = self.world.selected
        groups = sorted(self.world.affiliations, key=lambda g: (g != selected, g))
        rank: dict[str, int] = {}
        for n, group in enumerate(groups):
            for info in self.world.staff(group=group, presence=_REACHABLE, kinds=TALKER_KINDS):
                rank.setdefault(info.id, n)
        rank.pop(self._me(), None)
        order = sorted(rank, key=lambda t: (-self._last_heard.get(t, -math.inf), rank[t], t))
        return order[:self.warm_links]

    def plan(self, now: float, opened: Collection[str]) -> VoicePlan:
        """Compare what is wanted with the links there are: open, close, key, unkey (and set the gains).
        Only sessions in ``opened`` (open in the media engine) can be keyed. Links wanted now (heard, talked to)
        are opened before warm ones."""
        plan = VoicePlan()
        heard = self.heard()
        addressed = self.addressed() if self.talk_links else set()
        for terminal in heard:
            self._last_heard[terminal] = now
        urgent = sorted(set(heard) | addressed)
        warm = [t for t in self.warm() if t not in heard and t not in addressed]
        for n, terminal in enumerate(urgent + warm):
            link = self.links.get(terminal)
            if link is None or link.closing:
                if self._retry_at.get(terminal, 0.0) > now or (
                        n >= len(urgent) and self._warm_retry_at.get(terminal, 0.0) > now):
                    continue
                link = self.links[terminal] = VoiceLink(terminal, wanted_at=now)
                plan.open.append(terminal)
            link.wanted_at = now
        warm_now = set(warm)
        for terminal, link in self.links.items():
            link.warm_only = terminal in warm_now
            if terminal in heard:
                link.heard_at = now
            keyed = terminal in addressed
            if link.session is not None and link.session in opened:
                if keyed != link.keyed:
                    (plan.key if keyed else plan.unkey).append(link.session)
                    link.keyed = keyed
                self.mixer.set_gain(link.session, self.gain_of(terminal, heard))
                if (not link.closing and not link.given and terminal not in heard and not keyed
                        and now - link.wanted_at > VOICE_IDLE):
                    link.closing = True
                    plan.close.append(link.session)
        return plan

    # ----- what the platform, the engine and the floor say ------------------------------------------

    def attach(self, terminal: str, session: str, *, given: bool = False) -> VoiceLink:
        """The platform named the session of the link to ``terminal`` (keyed state to be applied by the next plan);
        ``given``: a link the platform opened without being asked (another dispatcher's voice through the SFU)."""
        link = self.links.get(terminal)
        if link is None or link.closing:
            link = self.links[terminal] = VoiceLink(terminal)
        link.session = session
        link.keyed = False
        link.given = given
        return link

    def failed(self, terminal: str, now: float) -> None:
        """The link could not be asked for: forget it (a plan asks again after `VOICE_RETRY` if still wanted,
        `WARM_RETRY` if it was only to be warm)."""
        link = self.links.get(terminal)
        if link is not None and link.session is None:
            del self.links[terminal]
        if link is not None and link.warm_only:
            self._warm_retry_at[terminal] = now + WARM_RETRY
        else:
            self._retry_at[terminal] = now + VOICE_RETRY

    def session_ended(self, session: str, now: float | None = None) -> VoiceLink | None:
        """A link's session ended. Given ``now`` (the platform or the terminal ended it), a link that was only warm
        is asked for again after `WARM_RETRY` (a terminal that refuses is not asked every second)."""
        link = self.link_of_session(session)
        if link is not None:
            del self.links[link.terminal]
            self.mixer.remove(session)
            if now is not None and link.warm_only and not link.closing:
                self._warm_retry_at[link.terminal] = now + WARM_RETRY
            logger.info("voice link to %s (%s) ended", link.terminal, session)
        return link

    def take_audio(self, session: str, position: int, pcm: Pcm, now: float | None = None) -> None:
        """Audio received on a link since its last position: to the mixer and the listeners while its terminal is
        heard (see the module docstring)."""
        link = self.link_of_session(session)
        if link is None:
            return
        link.position = position
        now = time.monotonic() if now is None else now
        if link.terminal in self.heard():
            link.heard_at = now
        elif now - link.heard_at > LINGER:
            if not len(pcm):
                link.early.clear()  # a pause: what came before is not the start of the next burst
                return
            link.early.append(pcm)
            while sum(len(p) for p in link.early) - len(link.early[0]) >= EARLY * AUDIO_RATE:
                link.early.pop(0)
            return
        if link.early:
            pcm = np.concatenate([*link.early, pcm])
            link.early.clear()
        if len(pcm):
            self.mixer.push(session, pcm)
            self._tell(link.terminal, pcm)

    def to_read(self, now: float, every: bool) -> list[VoiceLink]:
        """The links whose received audio to read now: those of terminals heard (or within `LINGER` of it) and those
        bringing audio the desk does not hear yet (a burst starting, or a call it does not monitor); with ``every``,
        all of them. An idle link (warm, or after a burst) is read only now and then (``every``): what it brings
        meanwhile waits in its worker's ring, and nobody talks on it anyway."""
        heard = self.heard()
        return [link for link in self.links.values() if link.session is not None and (
            every or link.terminal in heard or now - link.heard_at <= LINGER or link.early)]

    def take_own_audio(self, pcm: Pcm) -> None:
        """Samples of the desk's own microphone while it talks: to the listeners (the recorder) as the
        dispatcher's, not to the mixer (the dispatcher does not hear itself)."""
        if len(pcm):
            self._tell(self._me(), pcm)

    def _tell(self, talker: str, pcm: Pcm) -> None:
        for listener in self.listeners:
            try:
                listener(talker, pcm)
            except Exception:  # a listener's bug must not silence the desk
                logger.exception("voice listener failed on audio of %s", talker)

    def floor_event(self, call: str, event: object) -> Pcm | None:
        """A floor event of our own participant: the tone to play, if any."""
        if isinstance(event, PermissionGranted):
            logger.info("call %s: talk permit", call)
            return talk_permit_tone()
        if isinstance(event, Denied):
            logger.info("call %s: floor denied (%s)", call, event.reason)
            return floor_denied_tone()
        return None

    def keyed_sessions(self) -> list[str]:
        return [link.session for link in self.links.values() if link.keyed and link.session is not None]
