"""TDP/1 sessions as sans-I/O state machines: one import point for both roles and their events.

The client lives in `session_client`, the server in `session_server`, the events in `session_events`.
"""

from __future__ import annotations

from protocols.machines.session_client import ClientSession, ClientState
from protocols.machines.session_events import (
    Answered,
    ClientEvent,
    CloseRequested,
    EpochRaised,
    HelloReceived,
    HelloRejected,
    NotificationReceived,
    PeerSilent,
    Received,
    RequestFailed,
    RequestReceived,
    ServerEvent,
    SessionEvent,
    StaleMessage,
    UnexpectedAnswer,
    Violation,
    Welcomed,
)
from protocols.machines.session_server import ServerSession, ServerState

__all__ = [
    "Answered",
    "ClientEvent",
    "ClientSession",
    "ClientState",
    "CloseRequested",
    "EpochRaised",
    "HelloReceived",
    "HelloRejected",
    "NotificationReceived",
    "PeerSilent",
    "Received",
    "RequestFailed",
    "RequestReceived",
    "ServerEvent",
    "ServerSession",
    "ServerState",
    "SessionEvent",
    "StaleMessage",
    "UnexpectedAnswer",
    "Violation",
    "Welcomed",
]
