"""mDNS discovery of platform instances (SPEC §8).

Multicast runs only inside a network namespace each test creates (tests/integration/netns.py): the
scenario functions below are the bodies run there, on a veth pair whose ends are 10.200.0.1 and
10.200.0.2; they return JSON that the tests check. `choose_urls` and TXT parsing need no network.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import pytest
from zeroconf import ServiceInfo
from zeroconf.asyncio import AsyncZeroconf

from protocols.aio.discovery import (
    SERVICE_TYPE,
    AnnouncementError,
    DiscoveredInstance,
    PlatformAnnouncer,
    PlatformBrowser,
    choose_urls,
    discover,
    read_announcement,
)
from tests.integration.netns import VethPair, require_netns, run_in_netns

pytestmark = pytest.mark.integration

VETH = VethPair()
A_IP, B_IP = VETH.ip, VETH.peer_ip
#: every scenario must finish well within this (it includes interpreter start-up in the namespace)
SCENARIO_TIMEOUT = 14.0


# --- bodies run inside the namespace -------------------------------------------------------------------


def _found(instance: DiscoveredInstance) -> dict[str, Any]:
    return {**asdict(instance), "url": instance.url}


class _Events:
    """What a PlatformBrowser's callbacks reported, in order, with a way to wait for the next report."""

    def __init__(self) -> None:
        self.kept: list[tuple[str, dict[str, Any]]] = []
        self._changed = asyncio.Event()

    def keep(self, kind: str) -> Callable[[DiscoveredInstance], None]:
        def callback(instance: DiscoveredInstance) -> None:
            self.kept.append((kind, _found(instance)))
            self._changed.set()

        return callback

    async def until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        async def wait() -> None:
            while True:
                self._changed.clear()
                if condition():
                    return
                await self._changed.wait()

        try:
            await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"not within {timeout}s: {what}; reports: {self.kept}") from None


class _WarningsKept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def _registered(zc: AsyncZeroconf, info: ServiceInfo) -> None:
    await (await zc.async_register_service(info))


async def pair_and_a_liar() -> dict[str, Any]:
    """A (active, epoch 3) on one end, B (standby, epoch 3) on the other, and a third service whose TXT
    epoch is not a number; a console browses from A's end."""
    a, b = PlatformAnnouncer(), PlatformAnnouncer()
    liar = AsyncZeroconf(interfaces=[B_IP])
    bad = ServiceInfo(SERVICE_TYPE, f"trunkdesk-x.{SERVICE_TYPE}", port=7003, server="trunkdesk-x.local.",
                      parsed_addresses=[B_IP], properties={"instance": "x", "role": "active", "epoch": "three",
                                                           "version": "1", "tls": "0", "path": "/"})
    await asyncio.gather(
        a.start("a", 7001, addresses=[A_IP], role="active", epoch=3),
        b.start("b", 7002, addresses=[B_IP], role="standby", epoch=3),
        _registered(liar, bad),
    )
    ignored = _WarningsKept()
    logging.getLogger("protocols.aio.discovery").addHandler(ignored)
    try:
        found = await discover(2.5, interfaces=[A_IP])
    finally:
        await asyncio.gather(a.stop(), b.stop(), liar.async_close())
    return {"found": [_found(d) for d in found], "ignored": ignored.messages,
            "urls": choose_urls([], found, allow_plain=True),
            "urls_configured": choose_urls(["wss://occ-a.example:7443/"], found)}


async def role_change_seen() -> dict[str, Any]:
    """A browser watches B go from standby epoch 3 to active epoch 4."""
    events = _Events()
    b = PlatformAnnouncer()
    async with PlatformBrowser(interfaces=[A_IP], on_add=events.keep("add"), on_update=events.keep("update"),
                               on_remove=events.keep("remove")) as browser:
        await b.start("b", 7002, addresses=[B_IP], role="standby", epoch=3)
        try:
            await events.until(lambda: len(events.kept) >= 1, 5.0, "B found")
            await b.update(role="active", epoch=4)
            await events.until(lambda: len(events.kept) >= 2, 5.0, "B's new role seen")
            live, seen = [_found(d) for d in browser.instances], list(events.kept)
        finally:
            await b.stop()
    return {"events": seen, "live": live}


async def withdrawal_seen() -> dict[str, Any]:
    """A browser sees A and B, then A stops announcing: only B is left."""
    events = _Events()
    a, b = PlatformAnnouncer(), PlatformAnnouncer()
    async with PlatformBrowser(interfaces=[B_IP], on_add=events.keep("add"), on_update=events.keep("update"),
                               on_remove=events.keep("remove")) as browser:
        await asyncio.gather(a.start("a", 7001, addresses=[A_IP], role="active", epoch=5),
                             b.start("b", 7002, addresses=[B_IP], role="standby", epoch=5))
        try:
            await events.until(lambda: len(browser.instances) == 2, 5.0, "A and B found")
            await a.stop()
            await events.until(lambda: len(browser.instances) == 1, 5.0, "A withdrawn")
            live, seen = [_found(d) for d in browser.instances], list(events.kept)
        finally:
            await asyncio.gather(a.stop(), b.stop())
    return {"events": seen, "live": live}


# --- tests -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def netns() -> None:
    require_netns()


@pytest.mark.timeout(20)
def test_both_instances_of_the_pair_are_discovered_with_their_txt(netns: None) -> None:
    result = run_in_netns(pair_and_a_liar, veth=VETH, timeout=SCENARIO_TIMEOUT)
    by_instance = {d["instance"]: d for d in result["found"]}
    assert set(by_instance) == {"a", "b"}, "the announcement with a non-numeric epoch must be ignored"
    assert result["ignored"] == [f"ignoring announcement trunkdesk-x.{SERVICE_TYPE}: bad epoch 'three'"]
    a, b = by_instance["a"], by_instance["b"]
    assert (a["role"], a["epoch"], a["tls"], a["path"], a["versions"]) == ("active", 3, False, "/", [1])
    assert (b["role"], b["epoch"], b["tls"], b["path"], b["versions"]) == ("standby", 3, False, "/", [1])
    assert a["name"] == f"trunkdesk-a.{SERVICE_TYPE}"
    assert (a["url"], b["url"]) == (f"ws://{A_IP}:7001/", f"ws://{B_IP}:7002/")
    assert result["urls"] == [f"ws://{A_IP}:7001/", f"ws://{B_IP}:7002/"]
    assert result["urls_configured"] == ["wss://occ-a.example:7443/"]


@pytest.mark.timeout(20)
def test_a_browser_sees_a_new_role_and_epoch(netns: None) -> None:
    result = run_in_netns(role_change_seen, veth=VETH, timeout=SCENARIO_TIMEOUT)
    kinds = [kind for kind, _ in result["events"]]
    assert kinds == ["add", "update"]
    added, updated = (seen for _, seen in result["events"])
    assert (added["instance"], added["role"], added["epoch"]) == ("b", "standby", 3)
    assert (updated["instance"], updated["role"], updated["epoch"]) == ("b", "active", 4)
    assert [(d["instance"], d["role"], d["epoch"]) for d in result["live"]] == [("b", "active", 4)]


@pytest.mark.timeout(20)
def test_a_stopped_instance_disappears(netns: None) -> None:
    result = run_in_netns(withdrawal_seen, veth=VETH, timeout=SCENARIO_TIMEOUT)
    assert sorted(seen["instance"] for kind, seen in result["events"] if kind == "add") == ["a", "b"]
    removed = [seen for kind, seen in result["events"] if kind == "remove"]
    assert [(r["instance"], r["role"], r["epoch"]) for r in removed] == [("a", "active", 5)]
    assert [d["instance"] for d in result["live"]] == ["b"]


# --- no network ---------------------------------------------------------------------------------------------


def _instance(name: str, role: str, epoch: int, *, tls: bool = True, host: str = "10.0.0.1") -> DiscoveredInstance:
    return DiscoveredInstance(name=f"trunkdesk-{name}.{SERVICE_TYPE}", instance=name, role=role,  # type: ignore[arg-type]
                              epoch=epoch, versions=(1,), tls=tls, path="/tdp", port=7443, addresses=(host,))


def test_configured_addresses_win_over_discovery() -> None:
    discovered = [_instance("a", "active", 9, host="10.0.0.1")]
    configured = ["wss://occ-b.example:7443/tdp", "wss://occ-a.example:7443/tdp"]
    assert choose_urls(configured, discovered) == configured


def test_discovered_urls_active_first_then_highest_epoch() -> None:
    discovered = [
        _instance("old", "active", 2, host="10.0.0.3"),
        _instance("b", "standby", 7, host="10.0.0.2"),
        _instance("a", "active", 7, host="10.0.0.1"),
        _instance("c", "standby", 8, host="10.0.0.4"),
    ]
    assert choose_urls([], discovered) == [
        "wss://10.0.0.1:7443/tdp", "wss://10.0.0.3:7443/tdp", "wss://10.0.0.4:7443/tdp", "wss://10.0.0.2:7443/tdp"]


def test_plain_ws_announcements_off_loopback_are_ignored() -> None:
    discovered = [_instance("a", "active", 3, tls=False, host="10.0.0.1"),
                  _instance("b", "standby", 3, tls=False, host="127.0.0.1"),
                  _instance("c", "standby", 2, tls=True, host="fd00::2")]
    assert choose_urls([], discovered) == ["ws://127.0.0.1:7443/tdp", "wss://[fd00::2]:7443/tdp"]
    assert choose_urls([], discovered, allow_plain=True)[0] == "ws://10.0.0.1:7443/tdp"


GOOD_TXT: dict[str, str | None] = {"instance": "a", "role": "active", "epoch": "7", "version": "1,2", "tls": "1",
                                   "path": "/tdp"}


def test_a_conforming_txt_record_is_read() -> None:
    seen = read_announcement(f"trunkdesk-a.{SERVICE_TYPE}", GOOD_TXT, ["fd00::1", "10.0.0.1"], 7443)
    assert (seen.instance, seen.role, seen.epoch, seen.versions, seen.tls) == ("a", "active", 7, (1, 2), True)
    assert seen.url == "wss://10.0.0.1:7443/tdp"


@pytest.mark.parametrize(("key", "value"), [
    ("instance", None), ("instance", "A B"), ("role", "leader"), ("epoch", "-1"), ("epoch", "3.0"),
    ("epoch", "9" * 20), ("epoch", "٣"), ("version", "one"), ("tls", "yes"), ("path", "tdp"), ("role", None),
])
def test_a_txt_record_breaking_the_spec_is_rejected(key: str, value: str | None) -> None:
    txt = {**GOOD_TXT, key: value}
    with pytest.raises(AnnouncementError):
        read_announcement(f"trunkdesk-a.{SERVICE_TYPE}", txt, ["10.0.0.1"], 7443)


def test_txt_keys_are_read_case_insensitively() -> None:
    txt = {k.upper(): v for k, v in GOOD_TXT.items()}
    assert read_announcement(f"trunkdesk-a.{SERVICE_TYPE}", txt, ["10.0.0.1"], 7443).epoch == 7


def test_no_interfaces_means_no_browsing() -> None:
    with pytest.raises(ValueError, match="interfaces"):
        PlatformBrowser(interfaces=[])


@pytest.mark.parametrize("bad", [{"instance": "Site A"}, {"addresses": []}, {"addresses": ["occ-a.local"]},
                                 {"port": 0}, {"role": "leader"}, {"path": "tdp"}])
async def test_an_announcer_refuses_a_bad_announcement_before_touching_the_network(bad: dict[str, Any]) -> None:
    options: dict[str, Any] = {"instance": "a", "port": 7443, "addresses": ["10.0.0.1"], "role": "active",
                               "epoch": 1, **bad}
    announcer = PlatformAnnouncer()
    with pytest.raises(ValueError):
        await announcer.start(**options)
    assert announcer.announcement is None
