"""What a dispatcher pastes into a support ticket: versions, settings, the platform links, media, recent log.

Qt-free (the desk's Help menu copies it to the clipboard; headless runs print it). Never contains a password,
terminal secret, bearer or resumption token: the settings hold only paths of secret files, the links only
what the status bar shows, and the log lines never carried credentials to begin with (SPEC.md §9).
"""

from __future__ import annotations

import datetime
import platform
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from console.core.config import DeskSettings, settings_summary
from console.core.logs import RECENT_LINES, recent_log_lines

#: distributions whose versions matter when something goes wrong (PySide6 by its wheel's name: no Qt import)
PACKAGES = ("trunkdesk", "PySide6-Essentials", "PySide6-Addons", "aiortc", "av", "msgspec", "websockets",
            "zeroconf", "platformdirs", "cryptography", "qasync")


def collect_diagnostics(desk: Any, *, settings: DeskSettings | None = None,
                        log_lines: Sequence[str] | None = None,
                        clock: Callable[[], datetime.datetime] | None = None) -> str:
    """Plain text: versions, settings (no secrets), link states (instances, roles, epochs, rtt), media
    sessions and statistics if any, and the last 200 log lines. ``desk`` is a `console.core.desk.Desk`;
    ``settings`` default to ``desk.settings`` when it has them."""
    now = (clock or (lambda: datetime.datetime.now(datetime.UTC)))()
    settings = settings if settings is not None else getattr(desk, "settings", None)
    out = [f"trunkdesk diagnostics, {now.isoformat(timespec='seconds')}", ""]
    out += _section("versions", _versions())
    out += _section("settings", settings_summary(settings) if settings is not None else ["(no settings file in use)"])
    out += _section("desk", _desk(desk))
    out += _section("platform links", _links(desk))
    out += _section("media", _media(desk))
    sound = getattr(desk, "sound", None)
    out += _section("sound devices", sound.describe() if sound is not None else ["(no sound device: headless)"])
    lines = list(log_lines) if log_lines is not None else recent_log_lines(RECENT_LINES)
    out += _section(f"log (last {min(len(lines), RECENT_LINES)} lines)", lines[-RECENT_LINES:] or ["(nothing logged)"])
    return "\n".join(out).rstrip() + "\n"


def _section(title: str, lines: Iterable[str]) -> list[str]:
    return [f"== {title} ==", *lines, ""]


def _versions() -> list[str]:
    lines = [f"python {platform.python_version()} ({platform.python_implementation()}, {sys.executable})",
             f"os {platform.platform()} ({platform.machine()})"]
    for name in PACKAGES:
        try:
            lines.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            lines.append(f"{name} not installed")
    return lines


def _desk(desk: Any) -> list[str]:
    world = getattr(desk, "world", None)
    link = getattr(desk, "link", None)
    lines = [f"dispatcher {getattr(desk, 'me', '') or '(not signed in)'}"]
    if world is not None:
        lines.append(f"role {world.dispatcher_role or '-'}; permissions {', '.join(sorted(world.permissions)) or '-'}")
        lines.append(f"monitoring {', '.join(world.affiliations) or '-'}; talking in {world.selected or '-'}")
        lines.append(f"terminals {len(world.terminals)}; calls {len(world.calls)}; alerts {len(world.alerts)}")
    if link is None:
        lines.append("not connected")
    else:
        split = "yes" if link.split_brain else "no"
        lines.append(f"serving {link.serving or 'none'}; epoch {link.epoch}; split brain {split}")
    return lines


def _links(desk: Any) -> list[str]:
    link = getattr(desk, "link", None)
    if link is not None:
        infos: Mapping[str, Any] = link.links()
        return [_link_line(info.instance or url, url, info) for url, info in infos.items()] or ["(no instance)"]
    world = getattr(desk, "world", None)
    links: Mapping[str, Any] = getattr(world, "links", {}) if world is not None else {}
    return [_link_line(name, view.url, view) for name, view in links.items()] or ["(no platform link)"]


def _link_line(name: str, url: str | None, view: Any) -> str:
    """One instance: ``view`` is a `LinkInfo` of the link layer or an `InstanceLink` of the world."""
    rtt = f"{view.rtt * 1000:.1f} ms" if view.rtt is not None else "-"
    age = f"{view.heartbeat_age:.1f} s" if view.heartbeat_age is not None else "-"
    epoch = view.epoch if view.epoch is not None else "-"
    return (f"{name}: {url or '-'} state {view.state}, role {view.role or '-'}, epoch {epoch}, rtt {rtt}, "
            f"heard {age} ago, {'serving' if view.serving else 'not serving'}, peer {'up' if view.peer_up else 'down'}")


def _media(desk: Any) -> list[str]:
    world = getattr(desk, "world", None)
    sessions: Mapping[str, Any] = getattr(world, "video", {}) if world is not None else {}
    lines = [f"{s.session}: {s.source} -> {s.sink}, {s.quality}, {s.state}" for s in sessions.values()]
    stats = getattr(desk, "media_stats", None)  # a media layer may offer its latest statistics here
    if callable(stats):
        stats = stats()
    if isinstance(stats, Mapping):
        lines += [f"{key}: {value}" for key, value in stats.items()]
    return _media_setup(desk) + (lines or ["(no media session)"])


def _media_setup(desk: Any) -> list[str]:
    """Where the desk's media may flow and its STUN/TURN servers: addresses and user names, never credentials."""
    options = getattr(getattr(desk, "media", None), "settings", None)
    if options is None:
        return []
    servers = [f"{', '.join(s.urls)}" + (f" (user {s.username})" if s.username else "") for s in options.ice_servers]
    return [f"media addresses {', '.join(options.allowed_addresses)}",
            f"ICE servers {'; '.join(servers) if servers else 'none (no STUN or TURN configured)'}"]


__all__ = ["PACKAGES", "collect_diagnostics"]
