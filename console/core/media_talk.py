"""The desk talking in the SFU media plane (SPEC.md §5.14.9, "Consoles talk"), and hearing other dispatchers there.

A mixin of `DeskMedia` (media_desk.py), beside `SfuSink` (media_sfu.py), kept apart to keep that file to the sessions
it pulls. In the direct plane the desk talks over its voice links (their microphones keyed towards the parties it
addresses); in the SFU plane a terminal never talks to a console's media, so the desk talks the way a terminal does:

- **Its publication.** When the desk takes a floor in the SFU plane the platform opens a publication of its
  microphone (a `video.session` whose source is this desk and whose sink is ``sfu``) and subscribes the call's other
  parties to it. The desk offers (send-only Opus from a media worker: `MediaEngine.publish_microphone`), applies the
  SFU's answer, and keys the publication while it talks (`DeskVoice.speaking`: a floor it holds, or a full-duplex
  call), so that nothing is sent between bursts; the platform has the SFU relay it only while the desk holds a floor.
  A publication announced ``requested`` again (the SFU came back, or the platform's active instance changed) is
  offered afresh on a new peer connection. A desk without a microphone publishes a silent source it never keys.
- **Other dispatchers.** A subscription this desk did not pull whose source is another console is that dispatcher's
  voice (the platform subscribed this desk as a party of the call): it becomes a voice link the platform manages
  (`DeskVoice.attach(..., given=True)`), answered like any SFU offer and heard while that dispatcher holds the floor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from console.core.voice import DeskVoice
from console.core.world import World, media_plane_down
from media.engine import MediaEngine, MediaWorkerError
from protocols import messages as wire

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

__all__ = ["SFU", "SfuTalk", "TalkPublication"]

#: the SFU's principal id in TDP/1 (SPEC §5.14.9)
SFU = "sfu"


@dataclass
class TalkPublication:
    """The desk's microphone published into the SFU."""

    session: str
    #: the platform's last word on it (a ``requested`` after ``negotiating``/``live`` is a new round)
    state: str = "requested"
    #: open in the media engine, and keyed there
    opened: bool = False
    keyed: bool = False
    closed: bool = False
    #: offers made so far (rounds of publication)
    rounds: int = 0
    #: one offer or answer at a time
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class SfuTalk:
    """The desk's publication and the other dispatchers' voices (see the module docstring)."""

    voice: DeskVoice
    world: World
    engine: MediaEngine | None
    _voice_changed: asyncio.Event
    _run: Callable[..., Awaitable[wire.Ok]]
    #: the desk's voice publication, while the platform has one
    publication: TalkPublication | None = None

    async def start(self) -> MediaEngine:
        raise NotImplementedError  # DeskMedia's

    def _send(self, message: wire.Notification) -> None:
        raise NotImplementedError  # DeskMedia's

    def _spawn(self, coroutine: Awaitable[Any], name: str) -> None:
        raise NotImplementedError  # DeskMedia's

    # ----- the publication -----------------------------------------------------------------------

    def _on_publication(self, message: wire.VideoSession) -> None:
        """A `video.session` of the desk's own voice publication."""
        found = self.publication
        if message.state in ("stopped", "failed"):
            if found is not None and found.session == message.session:
                self._retire(found)
            return
        if found is not None and found.session != message.session:
            self._retire(found)  # a new publication replaces the old one (one per desk)
            found = None
        if found is None:
            found = self.publication = TalkPublication(message.session)
            logger.info("publishing the microphone into the SFU (session %s)", found.session)
            self._spawn(self._publish(found), f"desk-talk-publish-{found.session}")
        elif message.state == "requested" and found.state in ("negotiating", "live"):
            logger.info("publication %s negotiated afresh (%s)", found.session, message.reason)
            self._spawn(self._publish(found), f"desk-talk-publish-{found.session}")
        found.state = message.state

    def _retire(self, found: TalkPublication) -> None:
        found.closed = True
        if self.publication is found:
            self.publication = None
        engine = self.engine
        if found.opened and engine is not None:
            found.opened = False
            self._spawn(_quietly(engine.close_session(found.session)), f"desk-talk-close-{found.session}")

    async def _publish(self, found: TalkPublication) -> None:
        """Offer the microphone to the SFU (a new peer connection each round)."""
        async with found.lock:
            if found.closed:
                return
            try:
                engine = await self.start()
                if found.opened:
                    found.opened = found.keyed = False
                    await _quietly(engine.close_session(found.session))
                offer = await engine.publish_microphone(found.session)
            except (MediaWorkerError, ValueError, RuntimeError, TimeoutError) as exc:
                logger.warning("publication %s: cannot publish the microphone: %s", found.session, exc)
                return
            found.opened = True
            found.rounds += 1
            if found.closed:
                await _quietly(engine.close_session(found.session))
                return
            self._send(wire.MediaOffer(session=found.session, sdp=offer))
            self._voice_changed.set()  # keyed at once if the desk talks already

    async def _accept_publication(self, found: TalkPublication, sdp: str) -> None:
        async with found.lock:  # after the offer of this round
            engine = self.engine
            if found.closed or not found.opened or engine is None:
                return
            try:
                await engine.accept_answer(found.session, sdp)
            except (MediaWorkerError, KeyError, TimeoutError) as exc:
                logger.warning("publication %s: the SFU's answer refused: %s", found.session, exc)

    async def _key_publication(self, engine: MediaEngine) -> None:
        """Key the publication while the desk talks (a floor it holds, a full-duplex call), unkey it otherwise."""
        found = self.publication
        if found is None or not found.opened:
            return
        wanted = bool(self.voice.speaking())
        if wanted == found.keyed:
            return
        try:
            await engine.set_microphone([found.session], wanted)
        except (MediaWorkerError, TimeoutError) as exc:
            logger.warning("publication %s: the microphone not %s: %s", found.session,
                           "keyed" if wanted else "unkeyed", exc)
            return
        found.keyed = wanted

    @property
    def talking_through_sfu(self) -> bool:
        """Whether the desk's microphone is keyed on its SFU publication now."""
        return self.publication is not None and self.publication.keyed

    def _publication_failed(self, session: str) -> bool:
        """The engine says the publication's media failed: end it (SPEC: an end whose media fails stops the
        session; the platform opens a new one when the desk talks again), unless the media plane is down (its
        return renegotiates). False: not the publication."""
        found = self.publication
        if found is None or found.session != session:
            return False
        if media_plane_down(self.world) is None:
            logger.warning("publication %s: media failed, stopping it", session)
            self._retire(found)
            self._spawn(self._stop_publication(session), f"desk-talk-stop-{session}")
        return True

    async def _stop_publication(self, session: str) -> None:
        try:
            await self._run("voice_stop", wire.VideoStop(id=0, session=session), record=False)
        except Exception as exc:  # the link is down: the platform ends it with the desk's session anyway
            logger.info("publication %s: stop failed: %s", session, exc)


async def _quietly(work: Awaitable[Any]) -> None:
    with contextlib.suppress(MediaWorkerError, TimeoutError):
        await work
