"""ICE gathers only on the allowed addresses, and no STUN server is ever used unless configured."""

from __future__ import annotations

import aioice.ice
import pytest
from aiortc import RTCPeerConnection

from media import ice


def candidate_lines(sdp: str) -> list[list[str]]:
    return [line.split() for line in sdp.splitlines() if line.startswith("a=candidate:")]


async def test_stock_aioice_skips_loopback_which_is_why_we_restrict() -> None:
    ice.lift_host_restriction()
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)


async def test_restricted_gathering_yields_only_the_allowed_addresses() -> None:
    ice.restrict_host_addresses(["127.0.0.1", "127.0.0.2"])
    connection = aioice.ice.Connection(ice_controlling=True)
    try:
        await connection.gather_candidates()
        hosts = sorted(c.host for c in connection.local_candidates)
        assert hosts == ["127.0.0.1", "127.0.0.2"]
        assert {c.type for c in connection.local_candidates} == {"host"}
    finally:
        await connection.close()


async def test_a_peer_connection_offer_carries_only_loopback_host_candidates() -> None:
    ice.restrict_host_addresses(["127.0.0.1"])
    pc = RTCPeerConnection(ice.ice_configuration())
    try:
        pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        candidates = candidate_lines(pc.localDescription.sdp)
        assert candidates, "the offer is complete: candidates are in it (no trickle ICE)"
        assert {c[4] for c in candidates} == {"127.0.0.1"}
        assert {c[7] for c in candidates} == {"host"}  # no server-reflexive: no STUN server asked
        assert "a=end-of-candidates" in pc.localDescription.sdp
    finally:
        await pc.close()


def test_no_ice_server_unless_configured() -> None:
    assert ice.ice_configuration().iceServers == []


def test_interface_names_stand_for_their_addresses() -> None:
    assert "127.0.0.1" in ice.host_addresses(["lo"], use_ipv6=False)
    assert ice.host_addresses(["127.0.0.1", "lo"], use_ipv6=False).count("127.0.0.1") == 1
    assert ice.host_addresses(["no-such-interface"]) == []
    assert ice.host_addresses(["::1", "127.0.0.1"], use_ipv6=False) == ["127.0.0.1"]


def test_an_empty_restriction_is_refused() -> None:
    with pytest.raises(ValueError, match="no media address"):
        ice.restrict_host_addresses([])


def test_objects_sharing_a_process_must_agree_on_the_addresses() -> None:
    ice.restrict_host_addresses(["127.0.0.1"])
    ice.require_host_addresses(["127.0.0.1"])  # the same: fine
    with pytest.raises(ValueError, match="gathers media candidates on"):
        ice.require_host_addresses(["127.0.0.2"])
    ice.lift_host_restriction()
    ice.require_host_addresses(["127.0.0.2"])  # nothing set yet: it sets it
    assert ice.allowed_host_addresses() == ("127.0.0.2",)
