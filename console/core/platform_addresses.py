"""Where the desk finds the platform pair: the configured addresses, else the instances announced over mDNS.

SPEC §8: configured addresses win and are used as given, without browsing at all; discovery is only a hint,
so role and epoch are re-learned from `welcome` once connected. Shared by the desk and headless scenarios.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from protocols.aio.discovery import choose_urls, discover

logger = logging.getLogger(__name__)


class NoPlatformFound(LookupError):
    """No address is configured and no usable platform instance was announced on the interfaces browsed."""


async def resolve_platform_urls(configured: Sequence[str], *, interfaces: Sequence[str] = (), timeout: float = 2.0,
                                allow_plain: bool = False) -> list[str]:
    """The URLs of the platform instances to connect to, the one to try first first.

    Configured addresses are returned as given. Otherwise the interfaces with these IP addresses are browsed
    for ``timeout`` seconds; discovered instances come active first, then by epoch (highest first). Plain
    ``ws`` announcements off loopback are ignored unless ``allow_plain`` (isolated test networks only).
    Raises `NoPlatformFound` when that leaves nothing to connect to.
    """
    if isinstance(configured, str) or isinstance(interfaces, str):
        raise TypeError("configured and interfaces are lists, not one string")
    if configured:
        return list(configured)
    if not interfaces:
        raise NoPlatformFound("no platform address is configured and no interface is allowed for discovery")
    found = await discover(timeout, interfaces=interfaces)
    urls = choose_urls([], found, allow_plain=allow_plain)
    if not urls:
        ignored = f" ({len(found)} announced with plain ws off loopback, ignored)" if found else ""
        raise NoPlatformFound(f"no platform instance announced on {', '.join(interfaces)} within {timeout:g} s"
                              f"{ignored}")
    logger.info("platform instances found on %s: %s", ", ".join(interfaces), ", ".join(urls))
    return urls
