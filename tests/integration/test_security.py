"""Dispatcher login, roles and per-group permissions as the platform enforces them, and credentials that never
reach a log (SPEC.md §2.6, §9)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import websockets

from console.core.desk import CommandFailed, Desk
from protocols.aio.client import RequestError, TrunkingClient
from protocols.codec import decode, encode
from protocols.constants import SUBPROTOCOL, CloseCode, ErrorCode
from protocols.messages import (
    AffiliationSet,
    CallForceRelease,
    Error,
    FloorRequest,
    GroupCallSetup,
    Hello,
    PisPush,
    TerminalControl,
    Welcome,
)
from testbed.line import Line, hash_password
from testbed.platform.server import PlatformServer
from testbed.terminals import Fleet
from tests.integration.conftest import DISPATCHER_PASSWORD, Connect

pytestmark = pytest.mark.integration

#: distinctive credentials that must never show up in any log line
CHIEF_PASSWORD = "Pw-q7Zx!unlikely-in-any-log"
TERMINAL_SECRET = "Ts-k9Vb!unlikely-in-any-log"
WRONG_GUESS = "Wg-m3Hc!unlikely-in-any-log"


async def refused_hello(url: str, hello: Hello) -> tuple[Error, int | None]:
    """Say ``hello`` on a raw WebSocket: the error answered and the close code that followed."""
    async with websockets.connect(url, subprotocols=[websockets.Subprotocol(SUBPROTOCOL)]) as ws:
        await ws.send(encode(hello).decode())
        answer = decode(await ws.recv())
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert isinstance(answer, Error)
    return answer, closed.value.rcvd.code if closed.value.rcvd is not None else None


async def test_a_wrong_password_is_refused_401_and_closed_4001(platform: PlatformServer) -> None:
    wrong = Hello(id=1, versions=[1], role="console", ident="train1", secret=WRONG_GUESS)
    error, code = await refused_hello(platform.url, wrong)
    assert (error.code, error.re, code) == (ErrorCode.UNAUTHORIZED, 1, CloseCode.AUTH_FAILED)
    # an unknown user gets the very same answer: the platform does not tell which user names exist
    unknown = Hello(id=1, versions=[1], role="console", ident="nobody", secret=WRONG_GUESS)
    assert await refused_hello(platform.url, unknown) == (error, code)
    no_secret = Hello(id=1, versions=[1], role="console", ident="train1")
    error, code = await refused_hello(platform.url, no_secret)
    assert (error.code, code) == (ErrorCode.UNAUTHORIZED, CloseCode.AUTH_FAILED)
    assert platform.counters["auth_failures"] == 3
    with pytest.raises(RequestError) as info:
        await TrunkingClient.connect(platform.url, wrong)
    assert info.value.error.code == ErrorCode.UNAUTHORIZED


async def test_the_desk_is_refused_at_once_with_a_wrong_password(platform: PlatformServer, tmp_path: Path) -> None:
    desk = Desk(tmp_path / "events.db")
    loop = asyncio.get_running_loop()
    began = loop.time()
    try:
        with pytest.raises(RequestError) as info:
            await desk.connect(platform.url, "train1", WRONG_GUESS, wait_serving=10)
        assert info.value.error.code == ErrorCode.UNAUTHORIZED
        assert loop.time() - began < 3, "a refused password must not wait for the serving timeout"
        assert not desk.connected
        desk.log.flush()
        [failed] = desk.log.search(kind="desk_connect_failed")
        assert failed.actor == "train1" and "401" in failed.summary["reason"]
    finally:
        await desk.close()


async def test_the_welcome_states_the_role_groups_and_permissions_from_the_platform(connect: Connect) -> None:
    maint = await connect("maint1")
    welcome: Welcome = maint.client.welcome
    assert welcome.dispatcher_role == "maintenance_dispatcher"
    assert "TG-MAINT" in welcome.groups and "TG-TRAIN" not in welcome.groups
    assert "pis_push" not in welcome.permissions and "terminal_control" in welcome.permissions


async def test_a_maintenance_dispatcher_cannot_talk_in_train_dispatch(connect: Connect) -> None:
    train1 = await connect("train1")
    await train1.request(AffiliationSet(id=0, groups=["TG-TRAIN"], selected="TG-TRAIN", key="t1"))
    running = await train1.request(GroupCallSetup(id=0, group="TG-TRAIN", key="t2"))
    maint = await connect("maint1")
    with pytest.raises(RequestError) as affiliation:
        await maint.request(AffiliationSet(id=0, groups=["TG-MAINT", "TG-TRAIN"], key="m1"))
    assert affiliation.value.error.code == ErrorCode.FORBIDDEN and "TG-TRAIN" in affiliation.value.error.reason
    with pytest.raises(RequestError) as floor:
        await maint.request(FloorRequest(id=0, group="TG-TRAIN", key="m2"))
    assert floor.value.error.code == ErrorCode.FORBIDDEN and "TG-TRAIN" in floor.value.error.reason
    with pytest.raises(RequestError) as into_call:  # nor by naming the running call
        await maint.request(FloorRequest(id=0, call=running.result["call"], key="m3"))
    assert into_call.value.error.code == ErrorCode.FORBIDDEN
    with pytest.raises(RequestError) as setup:
        await maint.request(GroupCallSetup(id=0, group="TG-TRAIN", key="m4"))
    assert setup.value.error.code == ErrorCode.FORBIDDEN
    # its own group works
    await maint.request(AffiliationSet(id=0, groups=["TG-MAINT"], selected="TG-MAINT", key="m5"))
    granted = await maint.request(FloorRequest(id=0, group="TG-MAINT", key="m6"))
    assert granted.result["outcome"] == "granted"


@pytest.mark.parametrize("request_, permission", [
    (PisPush(id=0, text="platform 2 closed", key="e1"), "pis_push"),
    (TerminalControl(id=0, terminal="HS-001", action="disable", key="e2"), "terminal_control"),
    (CallForceRelease(id=0, call="C-1", key="e3"), "force_release"),
], ids=["pis_push", "terminal_control", "force_release"])
async def test_a_command_outside_the_role_is_refused_naming_the_permission(
        connect: Connect, request_: PisPush | TerminalControl | CallForceRelease, permission: str) -> None:
    env = await connect("env1")
    with pytest.raises(RequestError) as info:
        await env.request(request_)
    assert info.value.error.code == ErrorCode.FORBIDDEN
    assert f"lacks permission {permission!r}" in info.value.error.reason
    assert "environment_dispatcher" in info.value.error.reason


async def test_the_desk_reports_and_records_a_refusal_by_role(platform: PlatformServer, tmp_path: Path) -> None:
    desk = Desk(tmp_path / "events.db")
    try:
        await desk.connect(platform.url, "env1", DISPATCHER_PASSWORD)
        with pytest.raises(CommandFailed) as info:
            await desk.push_pis("platform 2 closed")
        assert info.value.code == ErrorCode.FORBIDDEN and "pis_push" in info.value.reason
        desk.log.flush()
        [event] = desk.log.search(kind="command")
        assert event.actor == "env1"
        assert (event.summary["command"], event.summary["outcome"], event.summary["code"]) == ("push_pis", "error", 403)
    finally:
        await desk.close()


# ----- credentials never logged ---------------------------------------------------------------------


@pytest.fixture
async def distinctive_platform(sample_line: Line) -> AsyncIterator[PlatformServer]:
    """The sample line with a distinctive password for ``chief`` and secret for ``HS-001``."""
    quick = {"iterations": 1000}
    dispatchers = dict(sample_line.dispatchers)
    dispatchers["chief"] = dataclasses.replace(dispatchers["chief"],
                                               password_hash=hash_password(CHIEF_PASSWORD, **quick))
    terminals = dict(sample_line.terminals)
    terminals["HS-001"] = dataclasses.replace(terminals["HS-001"],
                                              secret_hash=hash_password(TERMINAL_SECRET, **quick))
    line = dataclasses.replace(sample_line, dispatchers=dispatchers, terminals=terminals)
    server = PlatformServer(line, port=0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_credentials_never_reach_a_log(distinctive_platform: PlatformServer, sample_line: Line,
                                             tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for name in ("", "protocols", "testbed", "console", "websockets", "websockets.client", "websockets.server"):
        caplog.set_level(logging.DEBUG, logger=name)
    url = distinctive_platform.url
    desk = Desk(tmp_path / "events.db")
    try:
        with pytest.raises(RequestError):  # a wrong guess is not logged either
            await desk.connect(url, "chief", WRONG_GUESS)
        await desk.connect(url, "chief", CHIEF_PASSWORD)
        assert desk.link is not None and desk.link.welcome is not None
        resume_token = desk.link.welcome.resume_token
        async with Fleet(sample_line, url, include=["HS-001"], rate=0, secrets={"HS-001": TERMINAL_SECRET}) as fleet:
            assert fleet.terminal("HS-001").link_up
        await desk.select("TG-S01")
        desk.log.flush()
        audit = " ".join(repr(e) for e in desk.log.recent(1000))
    finally:
        await desk.close()
    text = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records)
    assert "connected to" in text and "TEXT [" in text, "nothing was captured: the test would prove nothing"
    for secret in (CHIEF_PASSWORD, TERMINAL_SECRET, WRONG_GUESS, resume_token):
        assert secret not in text
        assert secret not in caplog.text
        assert secret not in audit


def test_hello_and_welcome_reprs_mask_credentials_and_tokens() -> None:
    hello = Hello(id=1, versions=[1], role="console", ident="chief", secret=CHIEF_PASSWORD, token="bearer-xyz",
                  resume="resume-abc")
    for shown in (repr(hello), str(hello), f"{hello!r}", repr([hello])):
        assert CHIEF_PASSWORD not in shown and "bearer-xyz" not in shown and "resume-abc" not in shown
        assert "ident='chief'" in shown and "secret='***'" in shown
    assert repr(Hello(id=0, versions=[1], role="terminal", ident="HS-001")).count("None") >= 3  # unset stays None
    welcome = Welcome(re=0, version=1, session="s", resume_token="resume-def", instance="A", role="active",
                      heartbeat_ms=1000, loss_threshold=3)
    assert "resume-def" not in repr(welcome) and "instance='A'" in repr(welcome)
    assert decode(encode(hello)) == hello  # the wire form is untouched
