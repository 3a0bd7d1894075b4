"""The shared state of one platform instance, and what every part of it needs: its role announcement.

`PlatformServer` (server.py) is built in layers, one module per responsibility, each a class over the one
before: `InstanceCore` (this module: the state, the role message), `CommittingInstance` (commit.py: the
journal on the active side, delivery, the timer), `ReplicatingInstance` (replication.py: the pair link, both
ends), `PairedInstance` (roles.py: active or standby as the witness decides) and `PlatformServer` (server.py:
the TDP/1 face, sessions, lifecycle). The layers share one set of fields, defined here, because they act on
one state machine: splitting the fields too would only add indirection between code that moves together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import websockets
from websockets.asyncio.server import ServerConnection

from protocols.aio.server import Connection
from protocols.codec import ProtocolError
from protocols.messages import Message, PlatformRole
from testbed.line import Line
from testbed.platform.journal import Entry, message_entry
from testbed.platform.state import PlatformState
from testbed.platform.witness import WitnessClient

if TYPE_CHECKING:
    from testbed.platform.beacon import DiscoveryBeacon
    from testbed.platform.commit import Pending
    from testbed.platform.janus_plane import JanusPlane

log = logging.getLogger(__name__)

#: seconds a principal of a lost instance has to come back (to the new active) before it counts as gone
FAILOVER_GRACE = 5.0


class NotActive(Exception):
    """The instance cannot acknowledge: it is (or just became) standby, or it lost its quorum."""


@dataclass(frozen=True)
class PairConfig:
    """Where the other instance and the witness are."""

    witness: str
    #: peer (replication) WebSocket URL of every instance of the pair, by name, this one included
    peer_urls: dict[str, str]
    #: client (TDP/1) URL of every instance, for `platform.role` announcements
    client_urls: dict[str, str] = field(default_factory=dict)
    peer_host: str = "127.0.0.1"
    peer_port: int = 0
    secret: str = ""


class InstanceCore:
    """The fields of one instance, shared by every layer of `PlatformServer`, and its role announcement."""

    def __init__(
        self,
        line: Line,
        *,
        instance: str,
        epoch: int,
        pair: PairConfig | None,
        clock: Callable[[], float] = time.time,
        media_plane: Literal["direct", "sfu"] = "direct",
    ) -> None:
        self.line = line
        self.instance = instance
        self.pair = pair
        self.epoch = epoch if pair is None else 0
        self.role = "active" if pair is None else "standby"
        self.state = PlatformState(line, media_plane=media_plane)
        #: the SFU media plane's broker (set by `PlatformServer` when it has a Janus URL)
        self.sfu: JanusPlane | None = None
        self.clock = clock
        self.counters: Counter[str] = Counter()
        self._conns: dict[str, set[Connection]] = {}
        self._principal_of: dict[Connection, str] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_deadline: float | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        # journal and replication
        self.index = 0
        self._pending: dict[int, Pending] = {}
        self._standby: ServerConnection | None = None
        self._standby_acked = 0
        self._standby_name = ""
        self._upstream: websockets.ClientConnection | None = None
        self._forwards: dict[int, asyncio.Future[bytes]] = {}
        self._next_fid = 0
        self._witness = WitnessClient(pair.witness, instance) if pair is not None else None
        self._lease_until = float("-inf")
        self._alone_confirmed = False
        #: set when the witness should hear from us at once (a standby joined: it is no longer outdated)
        self._renew_now = asyncio.Event()
        self.active_name: str | None = instance if pair is None else None
        self._stopping = False
        #: called with a line of text whenever the role changes (the CLI prints it; tests wait for it)
        self.on_role: Callable[[str], None] | None = None
        #: the mDNS announcement (SPEC §8), set by `PlatformServer` when announcing
        self.beacon: DiscoveryBeacon | None = None

    def _spawn(self, coroutine: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coroutine, name=f"{self.instance}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _alone_and_active(self) -> bool:
        return self.pair is None and self.role == "active" and not self._stopping and not self._pending

    def _entry_of(self, principal: str, message: Message) -> Entry:
        # Alone, nothing is shipped: skip encoding the body that only the standby would read.
        return message_entry(0, 0, 0.0, principal, message, with_body=self.pair is not None)

    # ----- the role, as told to clients and to the CLI -------------------------------------------

    def _role_message(self) -> PlatformRole:
        peer_up = self._standby is not None if self.role == "active" else self._upstream is not None
        others = [u for n, u in (self.pair.client_urls.items() if self.pair else []) if n != self.instance]
        return PlatformRole(instance=self.instance, role=self.role, epoch=self.epoch,  # type: ignore[arg-type]
                            peer=others[0] if others else None, peer_up=peer_up)

    def _announce(self) -> None:
        message = self._role_message()
        for conn in list(self._principal_of):
            with contextlib.suppress(ProtocolError):
                conn.send(message)

    def _report(self, text: str) -> None:
        if self.beacon is not None:  # every role or epoch change passes here: keep the TXT record true
            self.beacon.changed()
        if self.on_role is not None:
            self.on_role(text)
