"""The testbed's Janus launcher: the generated configuration, the real ``janus`` process (API only, so no network
namespace is needed), its start, stop, kill and restart, and the clear errors when Janus is missing or fails."""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path

import pytest

from media.janus import JanusClient, VideoRoomAdmin
from testbed.janus import (
    INSTALL_COMMAND,
    JanusConfig,
    JanusNotInstalled,
    JanusProcess,
    JanusStartError,
    jcfg,
    write_config,
)

pytestmark = pytest.mark.timeout(60)

needs_janus = pytest.mark.skipif(shutil.which("janus") is None, reason=f"janus not installed ({INSTALL_COMMAND})")


def settings(text: str) -> dict[str, dict[str, str]]:
    """A generated jcfg file read back: section → key → raw value."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#") or not line:
            continue
        if line.endswith("{"):
            current = sections.setdefault(line.split(":")[0].strip(), {})
        elif line == "}":
            current = None
        else:
            assert current is not None, f"setting outside a section: {line}"
            key, _, value = line.partition(" = ")
            current[key] = value
    return sections


def test_the_configuration_loads_only_what_the_platform_needs_and_binds_the_api_to_loopback(tmp_path: Path) -> None:
    config = JanusConfig(api_port=8321, rtp_ports=(31000, 31099), ice_enforce=("10.200.0.1", "eth1"))
    path = write_config(config, tmp_path)

    core = settings(path.read_text())
    assert core["nat"]["ice_enforce_list"] == '"10.200.0.1,eth1"'
    assert "ice_ignore_list" not in core["nat"], "Janus ignores the ignore list once an enforce list is set"
    assert not any(key.startswith(("stun", "turn")) for key in core["nat"]), "no STUN or TURN server"
    assert core["nat"]["ignore_mdns"] == "true"
    assert core["media"]["rtp_port_range"] == '"31000-31099"'
    assert core["general"]["configs_folder"] == f'"{tmp_path}"'
    assert "admin_secret" not in core["general"]
    # only the two plugins and the one transport, as links to the package's libraries
    assert sorted(p.name for p in (tmp_path / "plugins").iterdir()) == ["libjanus_audiobridge.so",
                                                                         "libjanus_videoroom.so"]
    assert [p.name for p in (tmp_path / "transports").iterdir()] == ["libjanus_websockets.so"]
    assert all(p.is_symlink() for p in (tmp_path / "plugins").iterdir())
    assert not list((tmp_path / "events").iterdir()) and not list((tmp_path / "loggers").iterdir())

    transport = settings((tmp_path / "janus.transport.websockets.jcfg").read_text())
    assert transport["general"]["ws_ip"] == '"127.0.0.1"' and transport["general"]["ws_port"] == "8321"
    assert transport["general"]["wss"] == "false"
    assert transport["admin"]["admin_ws"] == "false"
    for plugin in ("videoroom", "audiobridge"):
        assert not [s for s in settings((tmp_path / f"janus.plugin.{plugin}.jcfg").read_text()) if s != "general"], \
            "no room comes from a file: the platform creates them"


def test_the_admin_api_when_asked_for_stays_on_loopback_behind_a_secret(tmp_path: Path) -> None:
    write_config(JanusConfig(api_port=8321, admin_port=8322, plugins=("videoroom",)), tmp_path, admin_secret="s3")
    core = settings((tmp_path / "janus.jcfg").read_text())
    transport = settings((tmp_path / "janus.transport.websockets.jcfg").read_text())
    assert core["general"]["admin_secret"] == '"s3"'
    assert transport["admin"] == {"admin_ws": "true", "admin_wss": "false", "admin_ws_port": "8322",
                                  "admin_ws_ip": '"127.0.0.1"'}
    assert [p.name for p in (tmp_path / "plugins").iterdir()] == ["libjanus_videoroom.so"]
    assert not (tmp_path / "janus.plugin.audiobridge.jcfg").exists()
    # the ignore list applies when nothing is enforced
    assert core["nat"]["ice_ignore_list"] == '"vmnet"'


def test_jcfg_quotes_strings_so_a_value_cannot_break_out_of_its_setting() -> None:
    text = jcfg({"general": {"name": 'a"b\\c', "on": True, "n": 3, "folders": ["/x", "/y"]}})
    assert 'name = "a\\"b\\\\c"' in text
    assert "on = true" in text and "n = 3" in text and 'folders = ["/x", "/y"]' in text


@pytest.mark.parametrize("bad", [
    {"rtp_ports": (2000, 1999)},
    {"rtp_ports": (80, 2000)},
    {"plugins": ("videoroom", "echotest")},
    {"debug_level": 9},
    {"ice_enforce": ("eth0,eth1",)},
    {"ice_enforce": ('x"y',)},
])
def test_bad_settings_are_refused_before_janus_sees_them(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        JanusConfig(**bad)  # type: ignore[arg-type]


async def test_without_janus_on_path_the_error_says_how_to_install_it(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    janus = JanusProcess()
    with pytest.raises(JanusNotInstalled, match=re.escape("apt-get install -y janus")):
        await janus.start()
    assert not janus.running
    await janus.stop()


def test_a_missing_plugin_library_is_reported_with_the_install_command(tmp_path: Path) -> None:
    libraries = tmp_path / "lib"
    (libraries / "transports").mkdir(parents=True)
    (libraries / "plugins").mkdir()
    (libraries / "transports" / "libjanus_websockets.so").touch()
    with pytest.raises(JanusNotInstalled, match=r"libjanus_videoroom\.so is missing.*apt-get install -y janus"):
        write_config(JanusConfig(library_folder=libraries), tmp_path / "conf")


def _listening_sockets(pid: int) -> set[tuple[str, int]]:
    """TCP (IPv4 and IPv6) addresses the process listens on, from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table, width in (("tcp", 8), ("tcp6", 32)):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                continue
            address, port = fields[1].split(":")
            if width == 8:
                host = socket.inet_ntoa(bytes.fromhex(address)[::-1])
            else:
                raw = bytes.fromhex(address)
                host = socket.inet_ntop(socket.AF_INET6, b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
            found.add((host, int(port, 16)))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


@needs_janus
async def test_janus_starts_with_only_our_plugins_listens_on_loopback_only_and_stops_cleanly() -> None:
    janus = JanusProcess()
    await janus.start()
    try:
        assert janus.running and janus.pid is not None
        assert sorted(janus.info["plugins"]) == ["janus.plugin.audiobridge", "janus.plugin.videoroom"]
        assert list(janus.info["transports"]) == ["janus.transport.websockets"]
        assert _listening_sockets(janus.pid) == {("127.0.0.1", janus.config.api_port)}, "API only, on loopback"
        folder, pid = janus.folder, janus.pid
        assert "JANUS VideoRoom plugin initialized" in janus.log_tail(200)
    finally:
        await janus.stop()
    assert not janus.running
    assert not _alive(pid), "janus exited and was reaped"
    assert not folder.exists(), "the temporary configuration folder is removed"


@needs_janus
async def test_the_admin_api_listens_on_loopback_too_when_enabled(tmp_path: Path) -> None:
    async with JanusProcess(JanusConfig(admin_port=0), folder=tmp_path) as janus:
        assert janus.pid is not None and janus.config.admin_port
        assert _listening_sockets(janus.pid) == {("127.0.0.1", janus.config.api_port),
                                                 ("127.0.0.1", janus.config.admin_port)}
        assert janus.admin_url == f"ws://127.0.0.1:{janus.config.admin_port}"
        assert len(janus.admin_secret) == 32
    assert (tmp_path / "janus.log").exists(), "a folder given by the caller is kept, log included"


@needs_janus
async def test_a_killed_janus_restarts_on_the_same_port_with_a_fresh_state() -> None:
    async with JanusProcess() as janus:
        url = janus.url
        async with await JanusClient.connect(url) as client:
            session = await client.create_session()
            room = await (await VideoRoomAdmin.attach(session)).create()
            old_pid = janus.pid
            await janus.kill()
            assert not janus.running
            assert await client.wait_lost()
        await janus.restart()
        assert janus.url == url and janus.pid != old_pid
        async with await JanusClient.connect(url) as client:
            admin = await VideoRoomAdmin.attach(await client.create_session())
            assert not await admin.exists(room), "Janus keeps no state across a crash: the platform rebuilds"


@needs_janus
async def test_janus_that_cannot_bind_its_port_fails_the_start_with_its_own_words() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        janus = JanusProcess(JanusConfig(api_port=taken.getsockname()[1]), start_timeout=10)
        with pytest.raises(JanusStartError, match=r"(?s)exited with status.*No Janus API transport"):
            await janus.start()
        assert not janus.running
        await janus.stop()
