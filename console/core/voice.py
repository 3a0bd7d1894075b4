"""The desk's push-to-talk voice over the direct media plane: whom to hear, whom to talk to, the mix, the tones.

Decisions only, no I/O: `DeskMedia` (media_desk.py) carries them out. In the direct plane media flows peer to
peer, so the desk keeps a **voice link** (a media session with send-receive audio, which the desk as sink
offers) to each terminal it hears or talks to:

- it hears the floor holder of every call in a group it monitors (and of its own private calls); the holder's
  terminal sends its microphone only while it holds the floor, so a link carries sound exactly during bursts;
- it talks, while it holds a call's floor, to that call's terminals: the microphone of their links is keyed
  (`VoicePlan.keys`) and unkeyed the moment the floor is ours no more; a full-duplex private call keeps it keyed.

Links outlive a burst (a next burst then needs no setup) and close after `VOICE_IDLE` seconds unused. The
talkers' audio is mixed with the selected group's calls at `SELECTED_GAIN` and other monitored ones lower. The
talk-permit and floor-denied tones are made here as PCM and mixed into the same output, which the UI plays.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import numpy as np

from console.core.world import World
from media.audio import AUDIO_RATE, Pcm, VoiceMixer
from protocols import messages as wire
from protocols.machines.floor_terminal import Denied, PermissionGranted

logger = logging.getLogger(__name__)

__all__ = [
    "MONITOR_GAIN",
    "SELECTED_GAIN",
    "VOICE_IDLE",
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


@dataclass
class VoicePlan:
    """What the desk must do now: links to open (terminals), sessions to stop, keyed state to change."""

    open: list[str] = field(default_factory=list)
    close: list[str] = field(default_factory=list)
    key: list[str] = field(default_factory=list)
    unkey: list[str] = field(default_factory=list)


class DeskVoice:
    """Voice links, their keying and gains, and the mixer (see the module docstring).

    ``me`` is the dispatcher's id; ``holding()`` the calls whose floor the desk holds now.
    """

    def __init__(self, world: World, me: Callable[[], str], holding: Callable[[], list[str]],
                 mixer: VoiceMixer | None = None) -> None:
        self.world = world
        self._me = me
        self._holding = holding
        self.mixer = mixer or VoiceMixer()
        #: voice links by terminal
        self.links: dict[str, VoiceLink] = {}
        #: terminals whose link could not be opened, with the monotonic time to try again
        self._retry_at: dict[str, float] = {}
        #: told ``(terminal, pcm)`` of every chunk of received audio after the mixer took it (the recorder)
        self.listeners: list[Callable[[str, Pcm], None]] = []

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
                    if party != me and party in self.world.terminals:
                        talkers[party] = call
            elif call.holder is not None and call.holder != me and call.holder in self.world.terminals:
                talkers[call.holder] = call
        return talkers

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

    def plan(self, now: float, opened: Collection[str]) -> VoicePlan:
        """Compare what is wanted with the links there are: open, close, key, unkey (and set the gains).
        Only sessions in ``opened`` (open in the media engine) can be keyed."""
        plan = VoicePlan()
        heard = self.heard()
        addressed = self.addressed()
        for terminal in sorted(set(heard) | addressed):
            link = self.links.get(terminal)
            if link is None or link.closing:
                if self._retry_at.get(terminal, 0.0) > now:
                    continue
                link = self.links[terminal] = VoiceLink(terminal, wanted_at=now)
                plan.open.append(terminal)
            link.wanted_at = now
        for terminal, link in self.links.items():
            keyed = terminal in addressed
            if link.session is not None and link.session in opened:
                if keyed != link.keyed:
                    (plan.key if keyed else plan.unkey).append(link.session)
                    link.keyed = keyed
                self.mixer.set_gain(link.session, self.gain_of(terminal, heard))
                if not link.closing and terminal not in heard and not keyed and now - link.wanted_at > VOICE_IDLE:
                    link.closing = True
                    plan.close.append(link.session)
        return plan

    # ----- what the platform, the engine and the floor say ------------------------------------------

    def attach(self, terminal: str, session: str) -> VoiceLink:
        """The platform named the session of the link to ``terminal`` (keyed state to be applied by the next plan)."""
        link = self.links.get(terminal)
        if link is None or link.closing:
            link = self.links[terminal] = VoiceLink(terminal)
        link.session = session
        link.keyed = False
        return link

    def failed(self, terminal: str, now: float) -> None:
        """The link could not be asked for: forget it (a plan asks again after `VOICE_RETRY` if still wanted)."""
        link = self.links.get(terminal)
        if link is not None and link.session is None:
            del self.links[terminal]
        self._retry_at[terminal] = now + VOICE_RETRY

    def session_ended(self, session: str) -> VoiceLink | None:
        link = self.link_of_session(session)
        if link is not None:
            del self.links[link.terminal]
            self.mixer.remove(session)
            logger.info("voice link to %s (%s) ended", link.terminal, session)
        return link

    def take_audio(self, session: str, position: int, pcm: Pcm) -> None:
        """Audio received on a link since its last position."""
        link = self.link_of_session(session)
        if link is None:
            return
        link.position = position
        if len(pcm):
            self.mixer.push(session, pcm)
            for listener in self.listeners:
                try:
                    listener(link.terminal, pcm)
                except Exception:  # a listener's bug must not silence the desk
                    logger.exception("voice listener failed on audio of %s", link.terminal)

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
