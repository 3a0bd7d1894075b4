"""The desk's settings file: every key read and checked, bad values named and replaced by defaults, flags over
the file, secrets refused, and every key documented in docs/configuration.md."""

from __future__ import annotations

import dataclasses
import re
import ssl
import tomllib
from pathlib import Path

import pytest

from console.cli import build_parser, desk_overrides
from console.core.config import (
    ConfigError,
    DeskSettings,
    LoadedSettings,
    PlatformSettings,
    TurnServer,
    client_tls,
    ice_servers,
    load_settings,
    read_secret_file,
    settings_summary,
    to_toml,
    update_config_file,
)

DOCS = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def secret_file(tmp_path: Path, name: str, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / name
    path.write_text(text + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


def test_no_file_is_the_defaults_without_problems(tmp_path: Path) -> None:
    loaded = load_settings(tmp_path / "config.toml")
    assert loaded == LoadedSettings(DeskSettings(), (), tmp_path / "config.toml", found=False)
    media = loaded.settings.media
    assert media.stun_servers == () and media.turn_servers == () and media.allowed == ()
    assert loaded.settings.platform.tls.verify and loaded.settings.platform.tls.ca_file is None


def test_every_key_is_read(tmp_path: Path) -> None:
    ca = secret_file(tmp_path, "ca.pem", "-----BEGIN CERTIFICATE-----")
    password = secret_file(tmp_path, "password", "pw")
    credential = secret_file(tmp_path, "turn-credential", "tc")
    path = write(tmp_path, f"""
[platform]
urls = ["wss://10.1.0.10:7700", "10.1.0.11:7700"]
discover_on = ["10.1.0.2"]
allow_plain = true

[platform.tls]
ca_file = "{ca}"
verify = false

[dispatcher]
user = "行调1"
password_file = "password"

[media]
allowed_interfaces = ["eth1"]
allowed_addresses = ["10.1.0.2", "fd00::2"]
stun_servers = ["stun:10.1.0.5:3478"]

[[media.turn_servers]]
url = "turns:10.1.0.5:5349"
username = "desk"
credential_file = "{credential}"

[audio]
input = "USB headset"
output = "Speakers"

[ptt]
key = "Ctrl+Space"
pedal = "ScrollLock"

[ui]
language = "zh_CN"
reset_layout = true

[logging]
level = "debug"
directory = "logs"
""")
    loaded = load_settings(path)
    assert loaded.problems == () and loaded.found
    s = loaded.settings
    assert s.platform.urls == ("wss://10.1.0.10:7700", "ws://10.1.0.11:7700")
    assert s.platform.discover_on == ("10.1.0.2",) and s.platform.allow_plain
    assert s.platform.tls.ca_file == ca and s.platform.tls.verify is False
    assert s.dispatcher.user == "行调1" and s.dispatcher.password_file == password  # relative to the file
    assert s.media.allowed_interfaces == ("eth1",) and s.media.allowed_addresses == ("10.1.0.2", "fd00::2")
    assert s.media.allowed == ("10.1.0.2", "fd00::2", "eth1")
    assert s.media.stun_servers == ("stun:10.1.0.5:3478",)
    assert s.media.turn_servers == (TurnServer("turns:10.1.0.5:5349", "desk", credential),)
    assert (s.audio.input, s.audio.output) == ("USB headset", "Speakers")
    assert (s.ptt.key, s.ptt.pedal) == ("Ctrl+Space", "ScrollLock")
    assert s.ui.language == "zh_CN" and s.ui.reset_layout
    assert s.logging.level == "DEBUG" and s.logging.directory == tmp_path / "logs"
    servers = ice_servers(s.media)
    assert [(x.urls, x.username, x.credential) for x in servers] == [
        (("stun:10.1.0.5:3478",), None, None), (("turns:10.1.0.5:5349",), "desk", "tc")]


@pytest.mark.parametrize("text, problem, check", [
    ('[media]\nallowed_addresses = ["10.1.0.2", "300.1.1.1"]\n',
     "config.toml: media.allowed_addresses[1]: '300.1.1.1' is not an IP address",
     lambda s: s.media.allowed_addresses == ("10.1.0.2",)),
    ('[platform]\nurls = ["wss://a:1", "http://b:2"]\n',
     "config.toml: platform.urls[1]: 'http://b:2' is not a ws:// or wss:// address",
     lambda s: s.platform.urls == ("wss://a:1",)),
    ('[platform]\nurls = "wss://a:1"\n', "config.toml: platform.urls must be a list of strings (got a string)",
     lambda s: s.platform.urls == ()),
    ('[platform]\ndiscover_on = ["eth0"]\n', "config.toml: platform.discover_on[0]: 'eth0' is not an IP address",
     lambda s: s.platform.discover_on == ()),
    ('[platform]\nallow_plain = "yes"\n', "config.toml: platform.allow_plain must be true or false (got a string)",
     lambda s: s.platform.allow_plain is False),
    ('[platform.tls]\nca_file = "/no/such/ca.pem"\n',
     "config.toml: platform.tls.ca_file: '/no/such/ca.pem': no such file",
     lambda s: s.platform.tls.ca_file is None),
    ('[platform.tls]\nverify = 0\n', "config.toml: platform.tls.verify must be true or false (got an integer)",
     lambda s: s.platform.tls.verify is True),
    ('[dispatcher]\nuser = 5\n', "config.toml: dispatcher.user must be a string (got an integer)",
     lambda s: s.dispatcher.user == ""),
    ('[dispatcher]\npassword_file = "missing"\n', "config.toml: dispatcher.password_file: 'missing': no such file",
     lambda s: s.dispatcher.password_file is None),
    ('[media]\nallowed_interfaces = ["eth 1"]\n',
     "config.toml: media.allowed_interfaces[0]: 'eth 1' is not an interface",
     lambda s: s.media.allowed_interfaces == ()),
    ('[media]\nstun_servers = ["stun.l.google.com:19302"]\n',
     "config.toml: media.stun_servers[0]: 'stun.l.google.com:19302' does not start with stun: or stuns:",
     lambda s: s.media.stun_servers == ()),
    ('[[media.turn_servers]]\nurl = "stun:x:1"\n', "config.toml: media.turn_servers[0].url: 'stun:x:1' does not start",
     lambda s: s.media.turn_servers == ()),
    ('[media]\nturn_servers = ["turn:x:1"]\n', "config.toml: media.turn_servers[0] must be a table",
     lambda s: s.media.turn_servers == ()),
    ('[audio]\ninput = ["a"]\n', "config.toml: audio.input must be a string (got a list)",
     lambda s: s.audio.input == ""),
    ('[audio]\noutput = 1.5\n', "config.toml: audio.output must be a string (got a number)",
     lambda s: s.audio.output == ""),
    ('[ptt]\nkey = " "\n', "config.toml: ptt.key: ' ' is not a key name", lambda s: s.ptt.key == ""),
    ('[ptt]\npedal = 12\n', "config.toml: ptt.pedal must be a string", lambda s: s.ptt.pedal == ""),
    ('[ui]\nlanguage = "fr"\n', "config.toml: ui.language: 'fr' is not one of 'zh_CN', 'en'",
     lambda s: s.ui.language == ""),
    ('[ui]\nreset_layout = "true"\n', "config.toml: ui.reset_layout must be true or false",
     lambda s: s.ui.reset_layout is False),
    ('[logging]\nlevel = "LOUD"\n', "config.toml: logging.level: 'LOUD' is not one of DEBUG",
     lambda s: s.logging.level == "INFO"),
    ('[logging]\ndirectory = 3\n', "config.toml: logging.directory must be a string",
     lambda s: s.logging.directory is None),
    ('[platfrom]\nurls = []\n', "config.toml: platfrom: unknown section (ignored)",
     lambda s: s.platform == PlatformSettings()),
    ('[ui]\nlangauge = "en"\n', "config.toml: ui.langauge: unknown key (ignored)", lambda s: s.ui.language == ""),
    ('ui = 3\n', "config.toml: ui must be a table (got an integer)", lambda s: s.ui.language == ""),
])
def test_a_bad_value_is_named_and_the_rest_still_applies(tmp_path: Path, text: str, problem: str,
                                                         check: object) -> None:
    path = write(tmp_path, text)
    with_rest = path.read_text() + ("" if "[dispatcher]" in text else '\n[dispatcher]\nuser = "train1"\n')
    path.write_text(with_rest, encoding="utf-8")
    loaded = load_settings(path)
    assert any(p.startswith(problem) for p in loaded.problems), loaded.problems
    assert len(loaded.problems) == 1, loaded.problems
    assert callable(check) and check(loaded.settings)
    if "[dispatcher]" not in text:
        assert loaded.settings.dispatcher.user == "train1"  # the good keys around the bad one still count


def test_a_file_that_is_not_toml_gives_the_defaults_and_says_so(tmp_path: Path) -> None:
    loaded = load_settings(write(tmp_path, "[platform\nurls = 1\n"))
    assert loaded.settings == DeskSettings()
    [problem] = loaded.problems
    assert problem.startswith("config.toml: not valid TOML") and "using the defaults" in problem


def test_secrets_are_refused_with_advice_and_never_read(tmp_path: Path) -> None:
    loaded = load_settings(write(tmp_path, '[dispatcher]\nuser = "train1"\npassword = "hunter2"\n\n'
                                           '[[media.turn_servers]]\nurl = "turn:x:3478"\ncredential = "s3cret"\n'))
    assert any("dispatcher.password: secrets are never stored" in p and "password_file" in p for p in loaded.problems)
    assert any("media.turn_servers[0].credential: secrets are never stored" in p for p in loaded.problems)
    assert "hunter2" not in repr(loaded) and "s3cret" not in repr(loaded)
    assert "hunter2" not in "\n".join(settings_summary(loaded.settings))


def test_a_password_file_others_can_read_is_used_with_a_warning(tmp_path: Path) -> None:
    password = secret_file(tmp_path, "password", "pw", mode=0o644)
    loaded = load_settings(write(tmp_path, f'[dispatcher]\npassword_file = "{password}"\n'))
    assert loaded.settings.dispatcher.password_file == password
    assert any("can be read by other users (chmod 600 it)" in p for p in loaded.problems)
    assert read_secret_file(password) == "pw"
    with pytest.raises(ConfigError, match="is empty"):
        read_secret_file(secret_file(tmp_path, "empty", ""))
    with pytest.raises(ConfigError, match="cannot read the password file"):
        read_secret_file(tmp_path / "missing")


def test_command_line_flags_override_the_file(tmp_path: Path) -> None:
    ca = secret_file(tmp_path, "ca.pem", "x")
    path = write(tmp_path, '[platform]\nurls = ["wss://file:1"]\n\n[dispatcher]\nuser = "train1"\n\n'
                           '[media]\nallowed_addresses = ["10.0.0.1"]\n\n[ui]\nlanguage = "en"\n')
    args = build_parser().parse_args([
        "-v", "desk", "--url", "wss://flag-a:1", "--url", "wss://flag-b:2", "--user", "chief", "--ca-file", str(ca),
        "--no-verify", "--allow-plain", "--allow-address", "10.9.9.9", "--allow-address",
        "999.1.1.1", "--allow-interface", "eth2", "--stun", "stun:10.1.0.5:3478", "--reset-layout",
        "--language", "zh_CN"])
    overrides = desk_overrides(args)
    assert overrides["platform.urls"] == ["wss://flag-a:1", "wss://flag-b:2"]
    loaded = load_settings(path, overrides=overrides)
    s = loaded.settings
    assert s.platform.urls == ("wss://flag-a:1", "wss://flag-b:2") and s.dispatcher.user == "chief"
    assert s.platform.tls.ca_file == ca and not s.platform.tls.verify and s.platform.allow_plain
    assert s.media.allowed_addresses == ("10.9.9.9",)
    assert s.media.allowed_interfaces == ("eth2",) and s.media.stun_servers == ("stun:10.1.0.5:3478",)
    assert s.ui.reset_layout and s.ui.language == "zh_CN" and s.logging.level == "INFO"
    # a bad flag is named as such, and the rest still applies
    assert loaded.problems == ("command line: media.allowed_addresses[1]: '999.1.1.1' is not an IP address",)
    # without flags the file speaks
    assert desk_overrides(build_parser().parse_args(["desk"])) == {}
    assert load_settings(path, overrides={}).settings.platform.urls == ("wss://file:1",)


def test_saving_the_sign_in_keys_keeps_every_other_key(tmp_path: Path) -> None:
    path = write(tmp_path, '# my settings\n[platform]\nurls = ["wss://old:1"]\n\n[platform.tls]\nverify = false\n\n'
                           '[media]\nstun_servers = ["stun:10.1.0.5:3478"]\n\n[[media.turn_servers]]\n'
                           'url = "turn:10.1.0.5:3478"\nusername = "desk"\n\n[ui]\nreset_layout = true\n')
    update_config_file({"platform.urls": ["wss://new:1", "wss://new:2"], "dispatcher.user": 'x"\\y'}, path)
    loaded = load_settings(path)
    assert loaded.problems == ()
    s = loaded.settings
    assert s.platform.urls == ("wss://new:1", "wss://new:2") and s.dispatcher.user == 'x"\\y'
    assert s.platform.tls.verify is False and s.ui.reset_layout
    assert s.media.stun_servers == ("stun:10.1.0.5:3478",) and s.media.turn_servers[0].username == "desk"


def test_a_broken_file_is_kept_aside_before_it_is_rewritten(tmp_path: Path) -> None:
    path = write(tmp_path, "[platform\n")
    update_config_file({"dispatcher.user": "train1"}, path)
    assert (tmp_path / "config.toml.bak").read_text() == "[platform\n"
    assert load_settings(path).settings.dispatcher.user == "train1"


def test_toml_writer_round_trips_awkward_strings() -> None:
    data = {"a": {"s": 'tab\tquote"back\\slash\x7fdel\x01ctl 行调 😀', "b": True, "n": 3, "f": 1.5,
                  "l": ["x", "y"], "t": [{"k": "v"}, {"k": "w"}], "nested": {"deep": {"x": 1}}},
            "weird key": {"z": []}}
    assert tomllib.loads(to_toml(data)) == data


def test_the_tls_settings_make_the_client_context(tmp_path: Path) -> None:
    from testbed.tls import make_test_certificates

    certs = make_test_certificates(tmp_path)
    loaded = load_settings(write(tmp_path, f'[platform.tls]\nca_file = "{certs.ca_file}"\n'))
    context = client_tls(loaded.settings)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert any("trunkdesk testbed CA" in str(c.get("subject")) for c in context.get_ca_certs())
    loose = client_tls(dataclasses.replace(loaded.settings, platform=dataclasses.replace(
        loaded.settings.platform, tls=dataclasses.replace(loaded.settings.platform.tls, verify=False))))
    assert loose.verify_mode == ssl.CERT_NONE


def _keys(value: object, prefix: str = "") -> list[str]:
    keys = []
    for f in dataclasses.fields(value):  # type: ignore[arg-type]
        child = getattr(value, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(child):
            keys += _keys(child, key + ".")
        else:
            keys.append(key)
    return keys


def test_every_key_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    keys = _keys(DeskSettings()) + [f"media.turn_servers[].{f.name}" for f in dataclasses.fields(TurnServer)]
    missing = [k for k in keys if f"`{k}`" not in text]
    assert not missing, f"undocumented keys in docs/configuration.md: {missing}"
    documented = set(re.findall(r"^\| `([a-z_.\[\]]+)`", text, flags=re.MULTILINE))
    assert documented <= set(keys), f"documented keys that do not exist: {documented - set(keys)}"


def test_the_retired_media_plane_keys_load_with_a_clear_no_longer_used_warning(tmp_path: Path) -> None:
    """media.plane and media.janus_url predate the platform deciding the plane: a file that has them still loads
    (every other key applies) and each is named as no longer used, not as unknown or wrong."""
    path = write(tmp_path, '[media]\nplane = "janus"\njanus_url = "ws://10.1.0.20:8188"\n'
                           'allowed_addresses = ["10.1.0.2"]\n')
    loaded = load_settings(path)
    assert loaded.settings.media.allowed_addresses == ("10.1.0.2",)
    assert not hasattr(loaded.settings.media, "plane") and not hasattr(loaded.settings.media, "janus_url")
    assert len(loaded.problems) == 2
    janus_url, plane = loaded.problems
    assert plane.startswith("config.toml: media.plane: no longer used (ignored): the platform decides")
    assert janus_url.startswith("config.toml: media.janus_url: no longer used (ignored): only the platform talks")


def test_the_retired_media_plane_flag_is_ignored_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """An old launcher's ``--media-plane`` still starts the desk (argparse does not refuse it), changes nothing and
    is named as no longer used."""
    from console import cli

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    args = build_parser().parse_args(["desk", "--media-plane", "janus"])
    assert args.media_plane == "janus" and "media.plane" not in desk_overrides(args)
    config = write(tmp_path, "")
    assert cli.main(["--config", str(config), "desk", "--media-plane", "janus"]) == 2  # no platform given
    err = capsys.readouterr().err
    assert "--media-plane is no longer used (ignored): the platform decides the media plane" in err
