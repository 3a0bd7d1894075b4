"""Where media may flow: ICE host candidates only on the addresses the user allows, no STUN/TURN unless configured.

aiortc exposes no option for the host addresses it gathers on: aioice's `Connection.gather_candidates` asks the
module-level `aioice.ice.get_host_addresses`, which lists every interface address except 127.0.0.1. Dispatch PCs
need the opposite (media on the operations network only, never the office LAN) and loopback tests need
127.0.0.1, so `restrict_host_addresses` replaces that one function, for the whole process, by one that returns
the allowed addresses. Every process that runs peer connections (each media worker, each simulated terminal
process) calls it once at start-up, before its first peer connection gathers.

An allowed entry is an IP address, used as it is (binding fails, and aioice logs it, if it is not local), or an
interface name such as ``eth1``, standing for that interface's addresses (IPv6 link-local ones excepted, as
aioice does).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Sequence

import aioice.ice
import ifaddr
from aiortc import RTCConfiguration, RTCIceServer

log = logging.getLogger(__name__)

__all__ = [
    "allowed_host_addresses",
    "host_addresses",
    "ice_configuration",
    "lift_host_restriction",
    "require_host_addresses",
    "restrict_host_addresses",
]

_stock_host_addresses = aioice.ice.get_host_addresses


class _Restriction:
    """The process's allowed media addresses (None: aioice's stock behaviour)."""

    allowed: tuple[str, ...] | None = None


_process = _Restriction()


def _is_address(entry: str) -> bool:
    try:
        ipaddress.ip_address(entry)
    except ValueError:
        return False
    return True


def host_addresses(allowed: Sequence[str], *, use_ipv4: bool = True, use_ipv6: bool = True) -> list[str]:
    """The addresses ``allowed`` stands for: its IP addresses, then the addresses of its named interfaces."""
    addresses: list[str] = []

    def add(address: str) -> None:
        version = ipaddress.ip_address(address).version
        if address not in addresses and ((version == 4 and use_ipv4) or (version == 6 and use_ipv6)):
            addresses.append(address)

    for entry in allowed:
        if _is_address(entry):
            add(entry)
    names = {entry for entry in allowed if not _is_address(entry)}
    if names:
        for adapter in ifaddr.get_adapters():
            if adapter.name not in names and adapter.nice_name not in names:
                continue
            for ip in adapter.ips:
                if isinstance(ip.ip, str):
                    add(ip.ip)
                elif ip.ip[2] == 0:  # IPv6 with no scope: not link-local
                    add(ip.ip[0])
    return addresses


def _restricted_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    allowed = _process.allowed
    if allowed is None:  # lifted after this function was captured somewhere: behave like the stock one
        return _stock_host_addresses(use_ipv4, use_ipv6)
    addresses = host_addresses(allowed, use_ipv4=use_ipv4, use_ipv6=use_ipv6)
    if not addresses:
        log.warning("ICE: none of the allowed media addresses %s is usable; gathering nothing", list(allowed))
    return addresses


def restrict_host_addresses(addresses: Iterable[str]) -> None:
    """Gather ICE host candidates in this process only on ``addresses`` (IP addresses or interface names).

    Process-wide, and it replaces an earlier restriction; it applies to peer connections that gather after it.
    """
    allowed = tuple(dict.fromkeys(addresses))
    if not allowed:
        raise ValueError("no media address allowed: ICE would have no candidate")
    if allowed != _process.allowed:
        log.info("ICE host candidates restricted to %s", ", ".join(allowed))
    _process.allowed = allowed
    aioice.ice.get_host_addresses = _restricted_host_addresses


def require_host_addresses(addresses: Iterable[str]) -> None:
    """Restrict as `restrict_host_addresses` unless this process already is; refuse a different restriction.

    For objects (senders, receivers) that share the process with others: two of them wanting different
    interfaces in one process is a configuration error, not something to resolve silently.
    """
    wanted = tuple(dict.fromkeys(addresses))
    if _process.allowed is None:
        restrict_host_addresses(wanted)
    elif set(wanted) != set(_process.allowed):
        raise ValueError(f"this process gathers media candidates on {list(_process.allowed)}, not {list(wanted)}")


def allowed_host_addresses() -> tuple[str, ...] | None:
    """The process's allowed media addresses, or None when aioice gathers on every interface (its default)."""
    return _process.allowed


def lift_host_restriction() -> None:
    """Give aioice back its stock host-address list (all interfaces but loopback); for tests."""
    _process.allowed = None
    aioice.ice.get_host_addresses = _stock_host_addresses


def ice_configuration(ice_servers: Sequence[RTCIceServer] = ()) -> RTCConfiguration:
    """The peer-connection configuration: no STUN or TURN server unless the user configured some.

    aiortc falls back to a public Google STUN server when given none; an explicit empty list prevents it.
    """
    return RTCConfiguration(iceServers=list(ice_servers))
