"""The desk's configuration file and the `trunkdesk` command line for the desk and the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.cli import _demo_testbed_args, build_parser
from console.ui.config import ConfigError, DeskConfig, load_config, parse_urls, save_config


def test_no_file_means_first_run(tmp_path: Path) -> None:
    assert load_config(tmp_path / "config.toml") is None


def test_config_round_trip_keeps_addresses_in_order_and_the_user(tmp_path: Path) -> None:
    path = tmp_path / "trunkdesk" / "config.toml"
    config = DeskConfig(urls=["wss://10.1.0.10:7700", "wss://10.1.0.11:7700"], user="行调1")
    save_config(config, path)
    assert load_config(path) == config
    assert "[platform]" in path.read_text() and "[dispatcher]" in path.read_text()


def test_a_hand_written_config_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[platform]\nurls = ["10.1.0.10:7700", "wss://b.example:7700"]\n\n[dispatcher]\nuser = "train1"\n')
    assert load_config(path) == DeskConfig(urls=["ws://10.1.0.10:7700", "wss://b.example:7700"], user="train1")


@pytest.mark.parametrize("text, problem", [
    ("[platform\n", "config.toml"),
    ('[platform]\nurls = "ws://a:1"\n', "urls must be a list"),
    ('[platform]\nurls = ["http://a:1"]\n', "not a ws:// or wss:// address"),
    ('[dispatcher]\nuser = 5\n', "user must be a string"),
])
def test_a_broken_config_says_what_is_wrong(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=problem):
        load_config(path)


def test_addresses_typed_by_a_person() -> None:
    assert parse_urls(" 10.0.0.1:7700,ws://10.0.0.2:7700\nwss://x:1 ") == [
        "ws://10.0.0.1:7700", "ws://10.0.0.2:7700", "wss://x:1"]
    assert parse_urls("") == []


def test_cli_desk_and_demo_options() -> None:
    parser = build_parser()
    args = parser.parse_args(["desk", "--url", "ws://a:1", "--url", "ws://b:2", "--user", "train1",
                              "--password-file", "/run/secret", "--language", "zh_CN"])
    assert (args.command, args.url, args.user, args.language) == ("desk", ["ws://a:1", "ws://b:2"], "train1", "zh_CN")
    assert args.password_file == Path("/run/secret")

    demo = parser.parse_args(["--language", "en", "demo", "--rate", "0", "--speed", "5"])
    assert demo.command == "demo" and not demo.headless and demo.language == "en"
    assert _demo_testbed_args(demo) == ["--seed", "1", "--rate", "0.0", "--speed", "5.0"]
    assert parser.parse_args(["demo", "--headless"]).headless
    assert parser.parse_args([]).command is None  # the configured desk
