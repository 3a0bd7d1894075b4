"""Discovery of platform instances over mDNS/DNS-SD (SPEC §8), on python-zeroconf's asyncio facade.

An instance announces `_trunkdesk._tcp.local.` with its role and epoch in TXT; consoles browse for it.
Discovery is a hint, never an authority: role and epoch are re-learned from `welcome` and `platform.role`,
and configured addresses always win (`choose_urls`).

Interfaces are never chosen for the caller: every entry point takes the IP addresses of the interfaces
to use, so nothing is announced or asked on a network the user did not allow. Loopback does not carry
multicast, so 127.0.0.1 cannot be used here: discovery needs a real interface (or a veth pair inside a
network namespace, as the integration tests do).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Self

from zeroconf import ServiceInfo, ServiceListener, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from protocols.messages import Role

logger = logging.getLogger(__name__)

SERVICE_TYPE = "_trunkdesk._tcp.local."
#: prefix of the DNS-SD instance label and host name: instance ``a`` is ``trunkdesk-a._trunkdesk._tcp.local.``
NAME_PREFIX = "trunkdesk-"
#: protocol versions this code serves and understands in the TXT ``version`` key
PROTOCOL_VERSIONS = "1"
#: how long one instance's records are asked for before it is left out (milliseconds, zeroconf's unit)
RESOLVE_TIMEOUT_MS = 1500

_ROLES: tuple[Role, ...] = ("active", "standby")
_INSTANCE_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,40}[a-z0-9])?$")

InstanceCallback = Callable[["DiscoveredInstance"], None]


class AnnouncementError(ValueError):
    """An announcement whose TXT record does not follow SPEC §8; it is ignored, never trusted."""


@dataclass(frozen=True)
class InstanceAnnouncement:
    """What one platform instance says about itself on the network (SRV + A/AAAA + TXT)."""

    instance: str
    addresses: tuple[str, ...]
    port: int
    role: Role
    epoch: int
    version: str = PROTOCOL_VERSIONS
    tls: bool = False
    path: str = "/"

    def __post_init__(self) -> None:
        if not _INSTANCE_NAME.match(self.instance):
            raise ValueError(f"instance name {self.instance!r} must be lowercase letters, digits and '-'")
        if not self.addresses:
            raise ValueError("an announcement needs at least one address")
        for address in self.addresses:
            ipaddress.ip_address(address)  # raises ValueError on a host name or a typo
        if not 0 < self.port < 65536:
            raise ValueError(f"port {self.port} out of range")
        if self.role not in _ROLES:
            raise ValueError(f"role {self.role!r} is not one of {_ROLES}")
        if self.epoch < 0:
            raise ValueError("epoch must not be negative")
        if not self.path.startswith("/"):
            raise ValueError(f"path {self.path!r} must start with '/'")

    @property
    def service_name(self) -> str:
        return f"{NAME_PREFIX}{self.instance}.{SERVICE_TYPE}"

    @property
    def host_name(self) -> str:
        return f"{NAME_PREFIX}{self.instance}.local."

    def txt(self) -> dict[str, str]:
        """The TXT keys of SPEC §8, all strings."""
        return {
            "instance": self.instance,
            "role": self.role,
            "epoch": str(self.epoch),
            "version": self.version,
            "tls": "1" if self.tls else "0",
            "path": self.path,
        }

    def service_info(self) -> ServiceInfo:
        return ServiceInfo(
            SERVICE_TYPE,
            self.service_name,
            port=self.port,
            properties=self.txt(),
            server=self.host_name,
            parsed_addresses=list(self.addresses),
        )


@dataclass(frozen=True)
class DiscoveredInstance:
    """A platform instance seen on the network; role and epoch are hints until a session confirms them."""

    name: str  #: the DNS-SD service name, unique on the link
    instance: str
    role: Role
    epoch: int
    versions: tuple[int, ...]
    tls: bool
    path: str
    port: int
    addresses: tuple[str, ...] = field(default=())

    @property
    def host(self) -> str:
        """The address the URL points at: the first IPv4 address, else the first IPv6 one."""
        return self.addresses[0]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'wss' if self.tls else 'ws'}://{host}:{self.port}{self.path}"

    @property
    def on_loopback(self) -> bool:
        return ipaddress.ip_address(self.host.split("%", 1)[0]).is_loopback


def read_announcement(name: str, txt: dict[str, str | None], addresses: Sequence[str], port: int | None
                      ) -> DiscoveredInstance:
    """Check a resolved announcement against SPEC §8; raise `AnnouncementError` on anything else."""
    txt = {k.lower(): v for k, v in txt.items()}  # TXT keys are case-insensitive (RFC 6763 §6.4)

    def key(k: str) -> str:
        value = txt.get(k)
        if value is None:
            raise AnnouncementError(f"TXT key {k!r} missing")
        return value

    instance = key("instance")
    if not _INSTANCE_NAME.match(instance):
        raise AnnouncementError(f"bad instance name {instance!r}")
    role_text = key("role")
    if role_text not in _ROLES:
        raise AnnouncementError(f"bad role {role_text!r}")
    role: Role = "active" if role_text == "active" else "standby"
    epoch_text = key("epoch")
    if not epoch_text.isascii() or not epoch_text.isdecimal() or len(epoch_text) > 19:
        raise AnnouncementError(f"bad epoch {epoch_text!r}")
    version_text = key("version")
    try:
        versions = tuple(int(v) for v in version_text.split(","))
    except ValueError:
        raise AnnouncementError(f"bad version list {version_text!r}") from None
    tls_text = key("tls")
    if tls_text not in ("0", "1"):
        raise AnnouncementError(f"bad tls flag {tls_text!r}")
    path = txt.get("path") or "/"
    if not path.startswith("/") or any(c.isspace() for c in path):
        raise AnnouncementError(f"bad path {path!r}")
    if port is None or not 0 < port < 65536:
        raise AnnouncementError(f"bad port {port!r}")
    if not addresses:
        raise AnnouncementError("no address")
    ordered = sorted(addresses, key=lambda a: ":" in a)  # IPv4 first, stable otherwise
    return DiscoveredInstance(
        name=name,
        instance=instance,
        role=role,
        epoch=int(epoch_text),
        versions=versions,
        tls=tls_text == "1",
        path=path,
        port=port,
        addresses=tuple(ordered),
    )


def _interface_list(interfaces: Sequence[str]) -> list[str | int]:
    """The caller's interface addresses, checked: never an empty list (zeroconf would not mean 'none')."""
    if isinstance(interfaces, str):
        raise TypeError("interfaces is a list of addresses, not one string")
    if not interfaces:
        raise ValueError("pass the addresses of the interfaces to use; discovery never picks all of them")
    for address in interfaces:
        if ipaddress.ip_address(address.split("%", 1)[0]).is_loopback:
            logger.warning("interface %s is loopback, which carries no multicast: discovery will see nothing",
                           address)
    return list(interfaces)


class PlatformAnnouncer:
    """Announces one platform instance and keeps its TXT record true to its role and epoch."""

    def __init__(self) -> None:
        self._zeroconf: AsyncZeroconf | None = None
        self._announcement: InstanceAnnouncement | None = None

    @property
    def announcement(self) -> InstanceAnnouncement | None:
        return self._announcement

    async def start(
        self,
        instance: str,
        port: int,
        *,
        addresses: Sequence[str],
        role: Role,
        epoch: int,
        tls: bool = False,
        path: str = "/",
        interfaces: Sequence[str] | None = None,
    ) -> None:
        """Probe for the name, then announce; ``interfaces`` defaults to ``addresses`` (never all interfaces).

        Raises `zeroconf.NonUniqueNameException` when another instance already holds the same name.
        """
        if self._zeroconf is not None:
            raise RuntimeError("announcer already started")
        announcement = InstanceAnnouncement(instance, tuple(addresses), port, role, epoch, tls=tls, path=path)
        zc = AsyncZeroconf(interfaces=_interface_list(interfaces if interfaces is not None else addresses))
        try:
            await (await zc.async_register_service(announcement.service_info()))
        except BaseException:
            await zc.async_close()
            raise
        self._zeroconf, self._announcement = zc, announcement
        logger.info("announcing instance %s (%s, epoch %d) at %s port %d", instance, role, epoch,
                    ",".join(announcement.addresses), port)

    async def update(self, *, role: Role | None = None, epoch: int | None = None) -> None:
        """Re-announce the TXT record after a change of role or epoch (SPEC §8: MUST); no change sends nothing."""
        if self._zeroconf is None or self._announcement is None:
            raise RuntimeError("announcer not started")
        old = self._announcement
        new = replace(old, role=old.role if role is None else role, epoch=old.epoch if epoch is None else epoch)
        if new == old:
            return
        await (await self._zeroconf.async_update_service(new.service_info()))
        self._announcement = new
        logger.info("instance %s now announced as %s, epoch %d", new.instance, new.role, new.epoch)

    async def stop(self) -> None:
        """Send goodbyes (TTL 0) so browsers drop the instance at once, and close the sockets."""
        zc, announcement = self._zeroconf, self._announcement
        self._zeroconf = self._announcement = None
        if zc is None or announcement is None:
            return
        try:
            await (await zc.async_unregister_service(announcement.service_info()))
        finally:
            await zc.async_close()
        logger.info("instance %s no longer announced", announcement.instance)


class _BrowserEvents(ServiceListener):
    """zeroconf's listener interface, forwarded to a `PlatformBrowser` (keeps zeroconf's names out of it)."""

    def __init__(self, browser: PlatformBrowser) -> None:
        self._browser = browser

    def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self._browser._resolve_later(name)

    def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self._browser._resolve_later(name)

    def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self._browser._forget(name)


class PlatformBrowser:
    """A live list of the platform instances announced on the given interfaces, with change callbacks.

    Callbacks run on the event loop: ``on_add`` for a new instance, ``on_update`` when its TXT (role,
    epoch, ...) or addresses change, ``on_remove`` (with the last known state) when it says goodbye or
    its records expire. Announcements that break SPEC §8 are logged once and ignored.
    """

    def __init__(
        self,
        *,
        interfaces: Sequence[str],
        on_add: InstanceCallback | None = None,
        on_update: InstanceCallback | None = None,
        on_remove: InstanceCallback | None = None,
        resolve_timeout_ms: int = RESOLVE_TIMEOUT_MS,
    ) -> None:
        self._interfaces = _interface_list(interfaces)
        self._on_add, self._on_update, self._on_remove = on_add, on_update, on_remove
        self._resolve_timeout_ms = resolve_timeout_ms
        self._zeroconf: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._known: dict[str, DiscoveredInstance] = {}
        self._resolving: dict[str, asyncio.Task[None]] = {}
        self._warned: set[tuple[str, str]] = set()

    @property
    def instances(self) -> list[DiscoveredInstance]:
        """The instances seen now, active first, then by epoch (highest first)."""
        return sorted(self._known.values(), key=_preference)

    async def start(self) -> None:
        if self._zeroconf is not None:
            raise RuntimeError("browser already started")
        self._zeroconf = AsyncZeroconf(interfaces=self._interfaces)
        self._browser = AsyncServiceBrowser(self._zeroconf.zeroconf, SERVICE_TYPE, listener=_BrowserEvents(self))

    async def stop(self) -> None:
        browser, zc = self._browser, self._zeroconf
        self._browser = self._zeroconf = None
        tasks = list(self._resolving.values())
        self._resolving.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if browser is not None:
            await browser.async_cancel()
        if zc is not None:
            await zc.async_close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    def _resolve_later(self, name: str) -> None:
        """Ask for the records of ``name`` (again): a newer event supersedes a resolution still running."""
        if self._zeroconf is None:
            return
        previous = self._resolving.pop(name, None)
        if previous is not None:
            previous.cancel()
        task = asyncio.get_running_loop().create_task(self._resolve(name))
        self._resolving[name] = task
        task.add_done_callback(lambda t: self._resolving.pop(name, None) if self._resolving.get(name) is t else None)

    async def _resolve(self, name: str) -> None:
        zc = self._zeroconf
        if zc is None:
            return
        info = AsyncServiceInfo(SERVICE_TYPE, name)
        if not await info.async_request(zc.zeroconf, self._resolve_timeout_ms):
            logger.debug("no complete records for %s within %d ms", name, self._resolve_timeout_ms)
            return
        try:
            seen = read_announcement(name, info.decoded_properties, info.parsed_addresses(), info.port)
        except AnnouncementError as e:
            self._warn_once(name, str(e))
            return
        before = self._known.get(name)
        if before == seen:
            return
        self._known[name] = seen
        logger.info("instance %s %s at %s (%s, epoch %d)", seen.instance, "changed" if before else "found",
                    seen.url, seen.role, seen.epoch)
        self._tell(self._on_update if before is not None else self._on_add, seen)

    def _forget(self, name: str) -> None:
        task = self._resolving.pop(name, None)
        if task is not None:
            task.cancel()
        self._warned = {w for w in self._warned if w[0] != name}
        gone = self._known.pop(name, None)
        if gone is not None:
            logger.info("instance %s at %s withdrawn", gone.instance, gone.url)
            self._tell(self._on_remove, gone)

    def _tell(self, callback: InstanceCallback | None, instance: DiscoveredInstance) -> None:
        if callback is None:
            return
        try:
            callback(instance)
        except Exception:
            logger.exception("discovery callback failed for instance %s", instance.instance)

    def _warn_once(self, name: str, reason: str) -> None:
        # the reason comes from the network: say it once per name, not on every re-announcement
        if (name, reason) not in self._warned:
            self._warned.add((name, reason))
            logger.warning("ignoring announcement %s: %s", name, reason)


def _preference(instance: DiscoveredInstance) -> tuple[bool, int, str]:
    return (instance.role != "active", -instance.epoch, instance.instance)


async def discover(timeout: float = 2.0, *, interfaces: Sequence[str]) -> list[DiscoveredInstance]:
    """Browse for ``timeout`` seconds and return what was found, active first, then highest epoch first."""
    async with PlatformBrowser(interfaces=interfaces) as browser:
        await asyncio.sleep(timeout)
        return browser.instances


def choose_urls(configured: Sequence[str], discovered: Sequence[DiscoveredInstance], *,
                allow_plain: bool = False) -> list[str]:
    """The URLs to connect to: configured ones as given when there are any (SPEC §8: they win), else the
    discovered ones, active first, then by epoch (highest first).

    Plain ``ws`` announcements off loopback are dropped (SPEC §8 MUST) unless ``allow_plain`` is set,
    which is only for isolated test networks such as a network namespace.
    """
    if configured:
        return list(configured)
    usable = [d for d in discovered if d.tls or d.on_loopback or allow_plain]
    for dropped in set(discovered) - set(usable):
        logger.warning("ignoring plain ws announcement of instance %s at %s (not loopback)", dropped.instance,
                       dropped.url)
    urls: list[str] = []
    for instance in sorted(usable, key=_preference):
        if instance.url not in urls:
            urls.append(instance.url)
    return urls
