"""Discovery end to end: a dual-live pair announces itself over mDNS, a console finds it, follows a failover.

The pair, the witness and the console run inside a network namespace (tests/integration/netns.py) whose
veth pair has the ends 10.200.0.1 (instance A) and 10.200.0.2 (instance B); the scenario functions are the
bodies run there and return JSON for the tests to check. Ports are fixed: a fresh namespace has all free.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from console.core import platform_addresses
from console.core.platform_addresses import NoPlatformFound, resolve_platform_urls
from protocols.aio.client import TrunkingClient
from protocols.aio.discovery import SERVICE_TYPE, DiscoveredInstance, discover
from protocols.messages import Hello
from testbed.line import default_line_path, load_line
from testbed.platform.server import PairConfig, PlatformServer
from testbed.platform.witness import WitnessServer
from tests.integration.netns import REPO_ROOT, VethPair, require_netns, run_in_netns

pytestmark = pytest.mark.integration

VETH = VethPair()
A_IP, B_IP = VETH.ip, VETH.peer_ip
HOSTS = {"A": A_IP, "B": B_IP}
PORTS = {"A": 7001, "B": 7002}
PEER_PORTS = {"A": 7101, "B": 7102}
#: every scenario must finish well within this (it includes interpreter start-up in the namespace)
SCENARIO_TIMEOUT = 28.0


# --- bodies run inside the namespace -------------------------------------------------------------------


async def _until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.02)


def _instance(name: str, witness: str) -> PlatformServer:
    pair = PairConfig(witness=witness,
                      peer_urls={n: f"ws://{HOSTS[n]}:{PEER_PORTS[n]}" for n in HOSTS},
                      client_urls={n: f"ws://{HOSTS[n]}:{PORTS[n]}" for n in HOSTS},
                      peer_host=HOSTS[name], peer_port=PEER_PORTS[name], secret="pair-secret")
    return PlatformServer(load_line(default_line_path()), host=HOSTS[name], port=PORTS[name], instance=name,
                          pair=pair, announce=[HOSTS[name]])


def _announced(server: PlatformServer) -> tuple[str, int] | None:
    """What the instance's beacon has on the network now: (role, epoch), or None."""
    announcement = server.beacon.announcement if server.beacon is not None else None
    return None if announcement is None else (announcement.role, announcement.epoch)


def _seen(found: Sequence[DiscoveredInstance]) -> list[dict[str, Any]]:
    return [{"instance": d.instance, "role": d.role, "epoch": d.epoch, "url": d.url} for d in found]


async def pair_found_and_followed() -> dict[str, Any]:
    """A becomes active, B follows; a console resolves both and connects; A stops; the console resolves again."""
    witness = WitnessServer(host="127.0.0.1", port=7200)
    await witness.start()
    a, b = _instance("A", witness.url), _instance("B", witness.url)
    try:
        await a.start()
        await _until(lambda: a.role == "active", 5.0, "A active")
        await b.start()
        await _until(lambda: a._standby is not None, 5.0, "B follows A")
        await _until(lambda: _announced(a) == ("active", a.epoch) and _announced(b) == ("standby", a.epoch), 5.0,
                     "A announced active and B standby at A's epoch")
        epoch_before = a.epoch

        urls, found = await asyncio.gather(
            resolve_platform_urls([], interfaces=[A_IP], allow_plain=True, timeout=4.0),
            discover(4.0, interfaces=[B_IP]))
        console = await TrunkingClient.connect(
            urls[0], Hello(id=0, versions=[1], role="console", ident="chief", secret="demo"), open_timeout=3.0)
        try:
            welcome = {"instance": console.welcome.instance, "role": console.welcome.role}
        finally:
            await console.close()

        await a.stop()
        await _until(lambda: b.role == "active" and _announced(b) == ("active", b.epoch), 5.0,
                     "B active and announced so")
        urls_after, found_after = await asyncio.gather(
            resolve_platform_urls([], interfaces=[B_IP], allow_plain=True, timeout=4.0),
            discover(4.0, interfaces=[A_IP]))
        try:
            await resolve_platform_urls([], interfaces=[A_IP], timeout=0.5)
            refused = None
        except NoPlatformFound as e:
            refused = str(e)
    finally:
        await asyncio.gather(a.stop(), b.stop())
        await witness.stop()
    return {"urls": urls, "found": _seen(found), "welcome": welcome, "epoch_before": epoch_before,
            "urls_after": urls_after, "found_after": _seen(found_after), "epoch_after": b.epoch,
            "plain_refused": refused, "withdrawn": [_announced(a), _announced(b)]}


async def nothing_announced() -> str:
    """A console browses a network where no instance announces itself."""
    try:
        urls = await resolve_platform_urls([], interfaces=[A_IP, B_IP], timeout=0.5)
    except NoPlatformFound as e:
        return str(e)
    raise AssertionError(f"found {urls} on an empty network")


async def cli_instance_announced() -> dict[str, Any]:
    """`trunkdesk platform --announce` alone (no pair): it is found active at epoch 1, and gone after SIGTERM."""
    argv = [sys.executable, "-m", "console.cli", "platform", "--instance", "A", "--host", A_IP, "--port",
            str(PORTS["A"]), "--announce", A_IP]
    child = await asyncio.create_subprocess_exec(*argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                                 cwd=REPO_ROOT)
    assert child.stdout is not None
    try:
        listening = (await asyncio.wait_for(child.stdout.readline(), 5.0)).decode().strip()
        # the name is claimed (probed) after the listening line: browse long enough to cover it
        found = await discover(3.0, interfaces=[B_IP])
        child.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(child.wait(), 5.0)
        found_after = await discover(1.0, interfaces=[B_IP])
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    return {"listening": listening, "found": _seen(found), "code": code, "found_after": _seen(found_after)}


# --- tests -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def netns() -> None:
    require_netns()


@pytest.mark.timeout(32)
def test_a_console_finds_the_pair_connects_to_the_active_and_follows_a_failover(netns: None) -> None:
    r = run_in_netns(pair_found_and_followed, veth=VETH, timeout=SCENARIO_TIMEOUT)
    a_url, b_url = f"ws://{A_IP}:{PORTS['A']}/", f"ws://{B_IP}:{PORTS['B']}/"
    epoch = r["epoch_before"]
    assert r["urls"] == [a_url, b_url], "the active first, then the standby"
    assert sorted((d["instance"], d["role"], d["epoch"]) for d in r["found"]) == [
        ("a", "active", epoch), ("b", "standby", epoch)]
    assert r["welcome"] == {"instance": "A", "role": "active"}

    assert r["epoch_after"] > epoch, "the promotion raises the epoch"
    assert r["urls_after"] == [b_url], "A said goodbye; B is found, and first"
    assert [(d["instance"], d["role"], d["epoch"]) for d in r["found_after"]] == [("b", "active", r["epoch_after"])]
    assert r["plain_refused"] == (f"no platform instance announced on {A_IP} within 0.5 s "
                                  "(1 announced with plain ws off loopback, ignored)")
    assert r["withdrawn"] == [None, None], "stopped instances are no longer announced"


@pytest.mark.timeout(20)
def test_browsing_an_empty_network_names_the_interfaces_browsed(netns: None) -> None:
    message = run_in_netns(nothing_announced, veth=VETH, timeout=SCENARIO_TIMEOUT)
    assert message == f"no platform instance announced on {A_IP}, {B_IP} within 0.5 s"


@pytest.mark.timeout(20)
def test_the_platform_command_announces_the_instance_and_withdraws_it_on_sigterm(netns: None) -> None:
    r = run_in_netns(cli_instance_announced, veth=VETH, timeout=SCENARIO_TIMEOUT)
    assert r["listening"] == f"listening ws://{A_IP}:{PORTS['A']}"
    assert r["found"] == [{"instance": "a", "role": "active", "epoch": 1, "url": f"ws://{A_IP}:{PORTS['A']}/"}]
    assert r["code"] == 0
    assert r["found_after"] == []


# --- no network ---------------------------------------------------------------------------------------------


async def test_configured_urls_win_and_nothing_is_browsed(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_browsing(*args: Any, **kwargs: Any) -> list[DiscoveredInstance]:
        raise AssertionError("browsed although addresses are configured")

    monkeypatch.setattr(platform_addresses, "discover", no_browsing)
    configured = ["wss://occ-b.example:7443/", "wss://occ-a.example:7443/"]
    assert await resolve_platform_urls(configured, interfaces=[A_IP]) == configured


async def test_discovered_plain_ws_off_loopback_is_not_used_without_allow_plain(monkeypatch: pytest.MonkeyPatch
                                                                               ) -> None:
    plain = DiscoveredInstance(name=f"trunkdesk-a.{SERVICE_TYPE}", instance="a", role="active", epoch=3,
                               versions=(1,), tls=False, path="/", port=7001, addresses=(A_IP,))
    browsed: list[Sequence[str]] = []

    async def one_plain_instance(timeout: float, *, interfaces: Sequence[str]) -> list[DiscoveredInstance]:
        browsed.append(interfaces)
        return [plain]

    monkeypatch.setattr(platform_addresses, "discover", one_plain_instance)
    with pytest.raises(NoPlatformFound, match=r"plain ws off loopback"):
        await resolve_platform_urls([], interfaces=[A_IP])
    assert await resolve_platform_urls([], interfaces=[A_IP], allow_plain=True) == [plain.url]
    assert browsed == [[A_IP], [A_IP]]


async def test_no_configured_address_and_no_interface_is_a_clear_error() -> None:
    with pytest.raises(NoPlatformFound, match="no interface is allowed"):
        await resolve_platform_urls([])


def test_the_platform_command_refuses_an_announce_address_that_is_not_an_ip() -> None:
    done = subprocess.run([sys.executable, "-m", "console.cli", "platform", "--port", "0", "--announce",
                           "occ-a.local"], capture_output=True, text=True, timeout=15, cwd=REPO_ROOT, check=False)
    assert done.returncode == 2
    assert "trunkdesk platform: cannot announce:" in done.stderr
