"""Floor control of TDP/1 (3GPP TS 24.380): the platform's `FloorArbitrator` and the talking side's
`FloorParticipant`, re-exported from `floor_server` and `floor_terminal`.

Both sides name an event ``Denied``: here the server's keeps the name and the participant's is
``ParticipantDenied`` (import `floor_terminal.Denied` directly to use the short name).
"""

from __future__ import annotations

from protocols.machines.floor_server import (
    Denied,
    FloorArbitrator,
    FloorDecision,
    FloorEvent,
    FloorState,
    FloorTimers,
    Granted,
    GrantLost,
    Idle,
    QueueChanged,
    QueuePosition,
    Revoked,
    RevokeReason,
    Taken,
)
from protocols.machines.floor_terminal import Denied as ParticipantDenied
from protocols.machines.floor_terminal import (
    FloorIdle,
    FloorParticipant,
    FloorTaken,
    ParticipantEvent,
    ParticipantState,
    ParticipantTimers,
    PermissionGranted,
    PermissionRevoked,
    Queued,
    RequestFailed,
)

__all__ = [
    "Denied",
    "FloorArbitrator",
    "FloorDecision",
    "FloorEvent",
    "FloorIdle",
    "FloorParticipant",
    "FloorState",
    "FloorTaken",
    "FloorTimers",
    "GrantLost",
    "Granted",
    "Idle",
    "ParticipantDenied",
    "ParticipantEvent",
    "ParticipantState",
    "ParticipantTimers",
    "PermissionGranted",
    "PermissionRevoked",
    "QueueChanged",
    "QueuePosition",
    "Queued",
    "RequestFailed",
    "RevokeReason",
    "Revoked",
    "Taken",
]
