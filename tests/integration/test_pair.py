"""The dual-live pair in one process (witness, A, B on loopback): replication, promotion, forwarding, rejoin.

The same behaviours with real processes and injected faults are in test_failover_faults.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from protocols.aio.client import RequestError, TrunkingClient
from protocols.constants import ErrorCode
from protocols.messages import AffiliationSet, AlarmRaise, AlarmUpdate, Hello, PlatformRole
from testbed.line import Line
from testbed.pair import free_port
from testbed.platform.server import PairConfig, PlatformServer
from testbed.platform.witness import WitnessServer
from tests.integration.conftest import DISPATCHER_PASSWORD, Peer

pytestmark = pytest.mark.integration


@dataclass
class Pair:
    line: Line
    witness: WitnessServer
    peers: dict[str, str]
    ports: dict[str, int]
    instances: dict[str, PlatformServer]

    def make(self, name: str) -> PlatformServer:
        config = PairConfig(witness=self.witness.url, peer_urls=self.peers, peer_port=self.ports[name],
                            client_urls={n: i.url for n, i in self.instances.items()})
        return PlatformServer(self.line, instance=name, pair=config)

    async def start(self, name: str) -> PlatformServer:
        instance = self.make(name)
        await instance.start()
        self.instances[name] = instance
        return instance


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.01)


@pytest.fixture
async def pair(sample_line: Line) -> AsyncIterator[Pair]:
    witness = WitnessServer()
    await witness.start()
    ports = {"A": free_port(), "B": free_port()}
    peers = {n: f"ws://127.0.0.1:{p}" for n, p in ports.items()}
    made = Pair(sample_line, witness, peers, ports, {})
    a = await made.start("A")
    await until(lambda: a.role == "active", 5, "A active")
    b = await made.start("B")
    await until(lambda: a._standby is not None and b._upstream is not None, 5, "B follows A")
    # the witness has heard that A no longer runs alone (until then B would not be promoted: outdated)
    await until(lambda: not witness.state.sole, 2, "the witness knows B is up to date")
    try:
        yield made
    finally:
        for instance in made.instances.values():
            await instance.stop()
        await witness.stop()


async def console(url: str, resume: str | None = None) -> Peer:
    hello = Hello(id=0, versions=[1], role="console", ident="chief", secret=DISPATCHER_PASSWORD, resume=resume)
    return Peer(await TrunkingClient.connect(url, hello), "chief")


async def test_an_acknowledged_command_is_already_on_the_standby(pair: Pair) -> None:
    a, b = pair.instances["A"], pair.instances["B"]
    chief = await console(a.url)
    try:
        answer = await chief.request(AlarmRaise(id=0, source="sensor", code="SMOKE", key="k1"))
        # The answer came only once B held the entry: B's copy has the alarm at the same journal index.
        assert answer.result["alarm"] in b.state.alarms
        assert b.index == a.index
    finally:
        await chief.close()


async def test_the_standby_takes_over_with_a_higher_epoch_and_honours_keys_and_resume_tokens(pair: Pair) -> None:
    a, b = pair.instances["A"], pair.instances["B"]
    chief = await console(a.url)
    first = await chief.request(AlarmRaise(id=0, source="sensor", code="SMOKE", key="k1"))
    token = chief.client.welcome.resume_token
    await chief.close()
    started = asyncio.get_running_loop().time()
    await a.stop()
    await until(lambda: b.role == "active", 3, "B promoted")
    took = asyncio.get_running_loop().time() - started
    assert b.epoch == 2
    assert took < 2.0
    again = await console(b.url, resume=token)
    try:
        assert again.client.welcome.resumed
        assert again.client.welcome.role == "active"
        replay = await again.request(AlarmRaise(id=0, source="sensor", code="SMOKE", key="k1"))
        assert replay.replayed and replay.result == first.result
        assert len([x for x in b.state.alarms.values() if x.code == "SMOKE"]) == 1
    finally:
        await again.close()


async def test_a_console_connected_to_the_standby_works_through_it(pair: Pair) -> None:
    a, b = pair.instances["A"], pair.instances["B"]
    chief = await console(b.url)
    try:
        role = await chief.expect(PlatformRole)
        assert (role.instance, role.role, role.peer_up) == ("B", "standby", True)
        await chief.request(AffiliationSet(id=0, groups=["TG-S01"], selected="TG-S01", key="aff"))
        raised = await chief.request(AlarmRaise(id=0, source="sensor", code="FWD", key="k2"))
        # Applied on the active, replicated back, and the notification delivered by the standby.
        assert raised.result["alarm"] in a.state.alarms
        update = await chief.expect(AlarmUpdate)
        assert update.alarm.code == "FWD"
        assert a.state.principals["chief"].sessions == {"B": 1}
        assert a.state.principals["chief"].affiliations == {"TG-S01"}
    finally:
        await chief.close()


async def test_a_standby_with_no_link_to_the_active_refuses_commands(pair: Pair) -> None:
    b = pair.instances["B"]
    await pair.instances["A"].stop()
    await until(lambda: b.role == "active", 3, "B promoted")
    # An instance whose witness and peer are unreachable never becomes active: it answers 421.
    lonely = PlatformServer(pair.line, instance="C", pair=PairConfig(
        witness="ws://127.0.0.1:1", peer_urls={"C": "ws://127.0.0.1:1"}, peer_port=0))
    await lonely.start()
    try:
        chief = await console(lonely.url)
        with pytest.raises(RequestError) as refused:
            await chief.request(AlarmRaise(id=0, source="sensor", code="NO"))
        assert refused.value.error.code == ErrorCode.NOT_ACTIVE
        await chief.close()
    finally:
        await lonely.stop()


async def test_a_returning_instance_rejoins_as_standby_and_catches_up(pair: Pair) -> None:
    a, b = pair.instances["A"], pair.instances["B"]
    await a.stop()
    await until(lambda: b.role == "active", 3, "B promoted")
    chief = await console(b.url)
    try:
        await chief.request(AlarmRaise(id=0, source="sensor", code="WHILE-A-DOWN", key="k3"))
    finally:
        await chief.close()
    back = await pair.start("A")
    await until(lambda: back._upstream is not None and b._standby is not None, 5, "A follows B")
    assert back.role == "standby" and back.epoch == b.epoch
    assert any(x.code == "WHILE-A-DOWN" for x in back.state.alarms.values())
    await until(lambda: back.index == b.index, 2, "A holds B's whole journal")


async def test_sessions_on_the_standby_are_counted_once_through_a_promotion(pair: Pair) -> None:
    a, b = pair.instances["A"], pair.instances["B"]
    hello = Hello(id=0, versions=[1], role="terminal", ident="HS-001", secret="demo-terminal", terminal_kind="handset")
    handset = await TrunkingClient.connect(b.url, hello)
    await until(lambda: a.state.principals.get("HS-001") is not None
                and a.state.principals["HS-001"].sessions == {"B": 1}, 3, "the active counts HS-001 on B")
    await a.stop()
    await until(lambda: b.role == "active", 3, "B promoted")
    await asyncio.sleep(0.2)
    assert b.state.principals["HS-001"].sessions == {"B": 1}
    assert b.state.terminals["HS-001"].info.presence == "registered"
    await handset.abort()
    await until(lambda: b.state.terminals["HS-001"].info.presence == "unreachable", 5, "HS-001 unreachable")
    assert b.state.principals["HS-001"].sessions == {}
