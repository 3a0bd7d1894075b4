"""Messages on the link between the two instances of the pair (MessagePack over a WebSocket).

The standby dials the active's peer port. The active sends a full snapshot of its state, then every
journal entry; the standby applies and acknowledges them. The standby also forwards what its own
sessions do (session opened or closed, requests, notifications), so that a client cut off from the
active alone keeps working through the standby.
"""

from __future__ import annotations

import msgspec

from testbed.platform.journal import Entry


class PeerMessage(msgspec.Struct, tag_field="t", frozen=True):
    """Base of the pair link's messages."""


class PeerHello(PeerMessage, tag="hello", frozen=True):
    """Standby → active: I follow you. ``secret`` is the pair's shared secret."""

    instance: str
    epoch: int
    secret: str = ""


class PeerSnapshot(PeerMessage, tag="snapshot", frozen=True):
    """Active → standby: the whole state as of journal ``index`` (pickled `PlatformState`)."""

    instance: str
    epoch: int
    index: int
    state: bytes


class PeerAppend(PeerMessage, tag="append", frozen=True):
    """Active → standby: journal entries, in order."""

    entries: list[Entry]


class PeerAck(PeerMessage, tag="ack", frozen=True):
    """Standby → active: every entry up to ``index`` is held (and applied)."""

    index: int


class PeerSession(PeerMessage, tag="session", frozen=True):
    """Standby → active: ``principal`` now has ``count`` sessions on the standby."""

    principal: str
    count: int
    token: str = ""
    orderly: bool = False


class PeerForward(PeerMessage, tag="forward", frozen=True):
    """Standby → active: a request or notification from a session on the standby (encoded TDP/1)."""

    fid: int
    principal: str
    body: bytes


class PeerAnswer(PeerMessage, tag="answer", frozen=True):
    """Active → standby: the answer (encoded TDP/1) to forwarded request ``fid``."""

    fid: int
    body: bytes


PeerAny = PeerHello | PeerSnapshot | PeerAppend | PeerAck | PeerSession | PeerForward | PeerAnswer

encoder = msgspec.msgpack.Encoder()
decoder = msgspec.msgpack.Decoder(PeerAny)
