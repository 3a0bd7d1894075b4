"""A simulated terminal's media in the SFU plane (SPEC.md §5.14.9): its publications, and feeds pushed to it.

In the SFU plane a terminal never talks to a console's media directly. The platform opens a **publication** of a
feed the first time a sink wants it (a `video.session` whose sink is ``sfu``): the terminal offers, once, whatever
the number of sinks (video: its thumbnail and HD clips as two tracks, HD sent only while the publication's
quality is ``hd``; voice: its microphone, keyed by the floor), and applies the SFU's answer. A publication
announced ``requested`` again after it was negotiated (the SFU came back, or the platform's active instance
changed) is published afresh on a new peer connection. A feed pushed to the terminal (it is a subscription's
sink) is received with a `FeedViewer` that answers the SFU's offer; so is a dispatcher's voice, which the platform
subscribes the parties of a call to while a console talks in it (SPEC §5.14.9, "Consoles talk"): what it says is
kept for `TerminalFeeds.heard`, as over a voice link of the direct plane.

`SfuFeeds` belongs to a `TerminalFeeds` (feeds.py) and uses its clips, settings, links to the platform and
background tasks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from media.publisher import FeedPublisher
from media.sender import NegotiationFailed
from media.sources import GatedTrack, ToneTrack
from media.viewer import FeedViewer
from protocols.aio.client import ConnectionClosed
from protocols.messages import MediaAnswer, MediaOffer, Message, VideoSession

if TYPE_CHECKING:
    from testbed.terminals.feeds import TerminalFeeds

log = logging.getLogger(__name__)

__all__ = ["Publication", "SfuFeeds", "SfuView"]

#: the SFU's principal id (testbed.platform.model.SFU; terminals only know the protocol's name for it)
SFU = "sfu"


@dataclass
class Publication:
    """One feed this terminal publishes into the SFU."""

    session: str
    media: str
    quality: str
    #: the last state the platform announced (a ``requested`` after ``negotiating``/``live`` is a new round)
    state: str = "requested"
    publisher: FeedPublisher | None = None
    #: offers made on this session so far (rounds of publication)
    rounds: int = 0


@dataclass
class SfuView:
    """A feed the SFU relays to this terminal (it is the sink)."""

    session: str
    source: str
    viewer: FeedViewer | None = None
    #: "video" (a feed pushed to this terminal) or "audio" (a dispatcher's voice)
    media: str = "video"


class SfuFeeds:
    """Publications and views of one terminal in the SFU plane (see the module docstring)."""

    def __init__(self, feeds: TerminalFeeds) -> None:
        self._feeds = feeds
        self.publications: dict[str, Publication] = {}
        self.views: dict[str, SfuView] = {}

    @property
    def id(self) -> str:
        return self._feeds.id

    def handle(self, message: Message) -> bool:
        """Take a media notification of the SFU plane; False for anything else."""
        if isinstance(message, VideoSession):
            if message.plane != "sfu":
                return False
            if message.sink == SFU and message.source == self.id:
                self._on_publication(message)
            elif message.sink == self.id:
                self._on_view(message)
            return True
        if isinstance(message, MediaAnswer) and message.session in self.publications:
            found = self.publications[message.session]
            self._feeds._in_background(self._accept(found, message.sdp), f"sfu-answer-{found.session}")
            return True
        if isinstance(message, MediaOffer) and message.session in self.views:
            view = self.views[message.session]
            self._feeds._in_background(self._answer(view, message.sdp), f"sfu-view-{view.session}")
            return True
        return False

    # ----- publications -----------------------------------------------------------------------

    def _on_publication(self, message: VideoSession) -> None:
        found = self.publications.get(message.session)
        if message.state in ("stopped", "failed"):
            if found is not None:
                self._end(found)
            return
        if found is not None and message.state == "requested" and found.state in ("negotiating", "live"):
            log.info("terminal %s: publication %s negotiated afresh (%s)", self.id, found.session, message.reason)
            self._close_publisher(found)
            found.state = "requested"
            self._feeds._in_background(self._publish(found), f"sfu-publish-{found.session}")
        if found is None:
            found = self.publications[message.session] = Publication(message.session, message.media,
                                                                     message.quality)
            log.info("terminal %s: publishing %s into the SFU (session %s)", self.id, found.media, found.session)
            self._feeds._in_background(self._publish(found), f"sfu-publish-{found.session}")
        found.state = message.state
        found.quality = message.quality
        if found.publisher is not None:
            found.publisher.send_hd(found.quality == "hd")

    async def _publish(self, found: Publication) -> None:
        feeds = self._feeds
        if found.media == "video":
            thumb = await feeds._clip("thumb")
            publisher = FeedPublisher(thumb=thumb, hd=lambda: feeds._clip("hd"),
                                      allowed_addresses=feeds.settings.allowed_addresses,
                                      name=f"{self.id}/{found.session}", hd_on=found.quality == "hd",
                                      on_state=lambda state: self._media_state(found, publisher, state))
        else:
            microphone = GatedTrack(ToneTrack(feeds.tone), feeds._talking)
            publisher = FeedPublisher(audio=microphone, allowed_addresses=feeds.settings.allowed_addresses,
                                      name=f"{self.id}/{found.session}",
                                      on_state=lambda state: self._media_state(found, publisher, state))
        if self.publications.get(found.session) is not found or found.publisher is not None:
            await publisher.close()
            return
        found.publisher = publisher
        found.rounds += 1
        try:
            offer = await publisher.offer()
        except NegotiationFailed as exc:
            log.warning("terminal %s: cannot offer publication %s: %s", self.id, found.session, exc)
            return
        if found.publisher is not publisher:
            return
        try:
            feeds._notify(MediaOffer(session=found.session, sdp=offer))
        except ConnectionClosed:
            log.info("terminal %s: link down, publication %s not offered", self.id, found.session)

    async def _accept(self, found: Publication, sdp: str) -> None:
        publisher = found.publisher
        if publisher is None:
            return
        try:
            await publisher.accept_answer(sdp)
        except NegotiationFailed as exc:
            log.warning("terminal %s: %s", self.id, exc)

    def _media_state(self, found: Publication, publisher: FeedPublisher, state: str) -> None:
        if state == "failed" and found.publisher is publisher and self.publications.get(found.session) is found:
            log.warning("terminal %s: publication %s failed", self.id, found.session)
            self._end(found)
            self._feeds._spawn_stop(found.session, "media failed")

    def _close_publisher(self, found: Publication) -> None:
        publisher, found.publisher = found.publisher, None
        if publisher is not None:
            self._feeds._in_background(publisher.close(), f"sfu-close-{found.session}")

    def _end(self, found: Publication) -> None:
        self.publications.pop(found.session, None)
        self._close_publisher(found)

    # ----- feeds pushed to this terminal ----------------------------------------------------------

    def _on_view(self, message: VideoSession) -> None:
        view = self.views.get(message.session)
        if message.state in ("stopped", "failed"):
            if view is not None:
                self.views.pop(view.session, None)
                self._close_viewer(view)
            return
        if view is None:
            self.views[message.session] = SfuView(message.session, message.source, media=message.media)

    async def _answer(self, view: SfuView, offer: str) -> None:
        self._close_viewer(view)  # a new offer (the SFU came back): a new peer connection
        viewer = view.viewer = FeedViewer(allowed_addresses=self._feeds.settings.allowed_addresses,
                                          name=f"{self.id}/{view.session}")
        answer = await viewer.answer(offer)
        if self.views.get(view.session) is not view or view.viewer is not viewer:
            await viewer.close()
            return
        try:
            self._feeds._notify(MediaAnswer(session=view.session, sdp=answer))
        except ConnectionClosed:
            log.info("terminal %s: link down, answer to %s not sent", self.id, view.session)

    def _close_viewer(self, view: SfuView) -> None:
        viewer, view.viewer = view.viewer, None
        if viewer is not None:
            self._feeds._in_background(viewer.close(), f"sfu-close-view-{view.session}")

    def viewer(self, session: str) -> FeedViewer | None:
        view = self.views.get(session)
        return view.viewer if view is not None else None

    def heard_from(self, talker: str | None = None) -> list[FeedViewer]:
        """The viewers of the voices the SFU relays to this terminal (a dispatcher talking: SPEC §5.14.9, "Consoles
        talk"), of ``talker`` only if given."""
        return [view.viewer for view in self.views.values() if view.viewer is not None and view.media == "audio"
                and (talker is None or view.source == talker)]

    def drop(self) -> None:
        """End everything at once (the link is gone: the platform ended these sessions)."""
        for found in list(self.publications.values()):
            self._end(found)
        for view in list(self.views.values()):
            self.views.pop(view.session, None)
            self._close_viewer(view)
