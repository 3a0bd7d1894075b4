"""STUN and TURN servers from the settings reach the desk's media workers, and none reach them by default.

A real desk with media starts its real engine (one spawned worker); the test asks the worker for the
`RTCConfiguration` its peer connections are made with. Nothing is contacted: ICE gathers only when a session
opens, and none does here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aiortc import RTCIceServer

from console.core.config import load_settings
from console.core.desk import Desk
from console.core.diagnostics import collect_diagnostics
from console.core.media_desk import MediaOptions, media_options
from media.commands import IceServer

pytestmark = pytest.mark.timeout(60)

CREDENTIAL = "turn-credential-7f3a"


def _settings(tmp_path: Path, credential_file: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text('[media]\nallowed_addresses = ["127.0.0.1"]\nstun_servers = ["stun:10.1.0.5:3478"]\n\n'
                      f'[[media.turn_servers]]\nurl = "turns:10.1.0.5:5349"\nusername = "desk"\n'
                      f'credential_file = "{credential_file}"\n')
    return config


def test_options_from_settings_carry_the_configured_servers_with_their_credentials(tmp_path: Path) -> None:
    secret = tmp_path / "turn.secret"
    secret.write_text(CREDENTIAL + "\n")
    secret.chmod(0o600)
    loaded = load_settings(_settings(tmp_path, secret))
    assert loaded.problems == ()
    options, problems = media_options(loaded.settings.media, workers=1)
    assert problems == []
    assert options.ice_servers == (IceServer(("stun:10.1.0.5:3478",)),
                                   IceServer(("turns:10.1.0.5:5349",), "desk", CREDENTIAL))
    assert options.allowed_addresses == ("127.0.0.1",) and options.workers == 1


def test_nothing_configured_means_no_server_and_loopback_only() -> None:
    options, problems = media_options(None)
    assert options == MediaOptions() and options.ice_servers == () and problems == []
    defaults, problems = media_options(load_settings(Path("/nonexistent/config.toml")).settings.media)
    assert defaults.ice_servers == () and defaults.allowed_addresses == ("127.0.0.1",) and problems == []


def test_an_unreadable_turn_credential_leaves_that_server_out_and_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "gone.secret"
    missing.write_text(CREDENTIAL + "\n")
    missing.chmod(0o600)
    loaded = load_settings(_settings(tmp_path, missing))
    assert loaded.settings.media.turn_servers[0].credential_file == missing
    missing.unlink()  # gone between reading the settings and starting the media
    options, problems = media_options(loaded.settings.media)
    assert options.ice_servers == (IceServer(("stun:10.1.0.5:3478",)),)  # the STUN server stays
    assert len(problems) == 1 and "media.turn_servers[0] (turns:10.1.0.5:5349) left out" in problems[0]
    assert str(missing) in problems[0]


async def test_the_configured_turn_server_is_in_the_workers_configuration(tmp_path: Path) -> None:
    secret = tmp_path / "turn.secret"
    secret.write_text(CREDENTIAL + "\n")
    secret.chmod(0o600)
    options, _ = media_options(load_settings(_settings(tmp_path, secret)).settings.media, workers=1)
    desk = Desk(tmp_path / "events.db", media=options)
    assert desk.media is not None
    try:
        engine = await desk.media.start()
        configurations = await engine.ice_configurations()
        diagnostics = collect_diagnostics(desk, log_lines=[])
    finally:
        await desk.close()
    assert len(configurations) == 1
    assert configurations[0].iceServers == [
        RTCIceServer(urls=["stun:10.1.0.5:3478"]),
        RTCIceServer(urls=["turns:10.1.0.5:5349"], username="desk", credential=CREDENTIAL),
    ]
    # Help -> Copy diagnostics names the servers, never the credential
    assert "ICE servers stun:10.1.0.5:3478; turns:10.1.0.5:5349 (user desk)" in diagnostics
    assert "media addresses 127.0.0.1" in diagnostics
    assert CREDENTIAL not in diagnostics


async def test_by_default_the_workers_have_no_ice_server_at_all(tmp_path: Path) -> None:
    desk = Desk(tmp_path / "events.db", media=MediaOptions(workers=1))
    assert desk.media is not None
    try:
        engine = await desk.media.start()
        configurations = await engine.ice_configurations()
        diagnostics = collect_diagnostics(desk, log_lines=[])
    finally:
        await desk.close()
    # an explicit empty list: aiortc would otherwise use a public STUN server
    assert [c.iceServers for c in configurations] == [[]]
    assert "ICE servers none (no STUN or TURN configured)" in diagnostics
