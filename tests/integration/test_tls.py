"""TLS for signalling: the testbed's test CA, wss end to end, and every way a certificate is refused (fast and
with a clear error, never a hang)."""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import ssl
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from console.core.desk import Desk, PlainTransportRefused
from protocols.aio.client import TrunkingClient
from protocols.aio.dual import DualLiveClient
from protocols.aio.tls import (
    CertificateError,
    context_for,
    is_loopback_url,
    plain_off_loopback,
    ssl_context,
)
from protocols.messages import Hello, SnapshotRequest
from testbed.cli import _server_tls, certificates_from_args, is_loopback_host
from testbed.line import Line, default_line_path, load_line
from testbed.pair import PairProcesses
from testbed.platform.server import PlatformServer
from testbed.terminals import Fleet
from testbed.tls import (
    TestCertificates,
    load_or_make_certificates,
    make_ca,
    make_server_certificate,
    make_test_certificates,
)

pytestmark = pytest.mark.integration

#: a refusal must come well before any open timeout would have fired
FAST = 3.0


@pytest.fixture(scope="module")
def line() -> Line:
    return load_line(default_line_path())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestCertificates:
    return make_test_certificates(tmp_path_factory.mktemp("pki"))


@pytest.fixture
async def wss_platform(line: Line, pki: TestCertificates) -> AsyncIterator[PlatformServer]:
    server = PlatformServer(line, port=0, ssl=pki.server_context())
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def chief() -> Hello:
    return Hello(id=0, versions=[1], role="console", ident="chief", secret="demo")


async def refused(url: str, context: ssl.SSLContext | None) -> BaseException:
    """The exception connecting to ``url`` raised, asserting it came fast."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    with pytest.raises(ConnectionError) as caught:
        await asyncio.wait_for(TrunkingClient.connect(url, chief(), ssl=context, open_timeout=10), 10)
    assert loop.time() - began < FAST, "refusal took as long as a timeout"
    return caught.value


async def test_wss_works_with_the_test_ca(wss_platform: PlatformServer, pki: TestCertificates) -> None:
    assert wss_platform.url.startswith("wss://127.0.0.1:")
    client = await TrunkingClient.connect(wss_platform.url, chief(), ssl=ssl_context(pki.ca_file))
    try:
        assert client.welcome.dispatcher_role == "chief_dispatcher"
        assert (await client.request(SnapshotRequest(id=0))).re is not None
    finally:
        await client.close()
    # localhost is in the certificate too
    local = wss_platform.url.replace("127.0.0.1", "localhost")
    client = await TrunkingClient.connect(local, chief(), ssl=pki.client_context())
    await client.close()


async def test_the_desk_the_dual_live_client_and_the_fleet_verify_with_the_test_ca(
        wss_platform: PlatformServer, pki: TestCertificates, line: Line, tmp_path: Path) -> None:
    dual = DualLiveClient([wss_platform.url], chief(), ssl=pki.client_context())
    try:
        await dual.start()
        assert dual.serving == wss_platform.url
    finally:
        await dual.close()

    desk = Desk(tmp_path / "events.db")
    try:
        await desk.connect(wss_platform.url, "chief", "demo", ssl=ssl_context(pki.ca_file))
        assert desk.connected
        assert await desk.wait_until(lambda: desk.world.links.get("A") is not None)
    finally:
        await desk.close()

    async with Fleet(line, wss_platform.url, include=["HS-001"], rate=0, ssl=pki.client_context()) as fleet:
        assert fleet.terminal("HS-001").link_up


async def test_a_certificate_from_another_ca_is_refused(wss_platform: PlatformServer, tmp_path: Path) -> None:
    other = make_test_certificates(tmp_path / "other")
    error = await refused(wss_platform.url, other.client_context())
    assert isinstance(error, CertificateError)
    assert "not trusted" in str(error) and "ca_file" in str(error)
    # the system's trust store knows no test CA either: verification is on by default
    error = await refused(wss_platform.url, None)
    assert isinstance(error, CertificateError) and "not trusted" in str(error)


async def test_an_expired_certificate_is_refused(line: Line, pki: TestCertificates, tmp_path: Path) -> None:
    ca = make_ca(tmp_path)
    now = datetime.datetime.now(datetime.UTC)
    cert, key = make_server_certificate(ca, tmp_path, not_before=now - datetime.timedelta(days=30),
                                        not_after=now - datetime.timedelta(days=1))
    server = PlatformServer(line, port=0, ssl=TestCertificates(ca.cert_file, cert, key).server_context())
    await server.start()
    try:
        error = await refused(server.url, ssl_context(ca.cert_file))
        assert isinstance(error, CertificateError) and "expired" in str(error)
    finally:
        await server.stop()


async def test_a_certificate_for_another_host_is_refused(line: Line, tmp_path: Path) -> None:
    ca = make_ca(tmp_path)
    cert, key = make_server_certificate(ca, tmp_path, hosts=["platform-a.example", "10.1.0.10"])
    server = PlatformServer(line, port=0, ssl=TestCertificates(ca.cert_file, cert, key).server_context())
    await server.start()
    try:
        error = await refused(server.url, ssl_context(ca.cert_file))
        assert isinstance(error, CertificateError)
        assert "not valid for 127.0.0.1" in str(error)
        error = await refused(server.url.replace("127.0.0.1", "localhost"), ssl_context(ca.cert_file))
        assert "not valid for localhost" in str(error)
    finally:
        await server.stop()


async def test_plain_ws_to_a_wss_server_fails_clearly(wss_platform: PlatformServer) -> None:
    error = await refused(wss_platform.url.replace("wss://", "ws://"), None)
    assert "wss://" in str(error)


async def test_wss_to_a_plain_server_fails_clearly(line: Line, pki: TestCertificates) -> None:
    server = PlatformServer(line, port=0)
    await server.start()
    try:
        error = await refused(server.url.replace("ws://", "wss://"), pki.client_context())
        assert isinstance(error, CertificateError) and "TLS handshake failed" in str(error)
    finally:
        await server.stop()


async def test_the_dual_live_pair_serves_wss_when_tls_is_on(pki: TestCertificates) -> None:
    pair = PairProcesses(tls=pki)
    try:
        await pair.start()
        assert all(url.startswith("wss://127.0.0.1:") for url in pair.urls)
        client = DualLiveClient(pair.urls, chief(), ssl=pki.client_context())
        try:
            await client.start(wait_serving=10)
            assert client.serving == pair.url("A")
            for _ in range(100):  # the standby's link comes up right after the active's
                if {info.role for info in client.links().values()} == {"active", "standby"}:
                    break
                await asyncio.sleep(0.05)
            assert {info.role for info in client.links().values()} == {"active", "standby"}
        finally:
            await client.close()
        with pytest.raises(CertificateError):  # the other CA's clients are refused by both
            await TrunkingClient.connect(pair.url("B"), chief(), ssl=ssl_context())
    finally:
        await pair.stop()


async def test_testbed_tls_prints_the_ca_and_serves_wss(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "console.cli", "testbed", "--tls", "--tls-dir", str(tmp_path), "--port", "0",
        "--no-terminals", "--quiet", "--duration", "30", stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, env={**os.environ, "TRUNKDESK_LOG_DIR": "-"})
    assert process.stdout is not None
    try:
        listening = (await asyncio.wait_for(process.stdout.readline(), 20)).decode().split()
        ca_line = (await asyncio.wait_for(process.stdout.readline(), 5)).decode().split()
        assert listening[0] == "listening" and listening[1].startswith("wss://127.0.0.1:")
        assert ca_line[:2] == ["tls", "ca"] and Path(ca_line[2]) == tmp_path / "ca.pem"
        client = await TrunkingClient.connect(listening[1], chief(), ssl=ssl_context(ca_line[2]))
        await client.close()
    finally:
        process.terminate()
        await process.wait()


def test_verification_can_only_be_turned_off_on_purpose(pki: TestCertificates) -> None:
    strict = ssl_context()
    assert strict.verify_mode == ssl.CERT_REQUIRED and strict.check_hostname
    assert strict.minimum_version >= ssl.TLSVersion.TLSv1_2
    loose = ssl_context(verify=False)
    assert loose.verify_mode == ssl.CERT_NONE and not loose.check_hostname
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ssl_context(pki.ca_file.with_name("missing.pem"))
    assert context_for("ws://127.0.0.1:1", strict) is None
    assert context_for("wss://127.0.0.1:1", strict) is strict
    fresh = context_for("wss://127.0.0.1:1", None)
    assert fresh is not None and fresh.verify_mode == ssl.CERT_REQUIRED


def test_plain_ws_is_for_loopback_only() -> None:
    assert is_loopback_url("ws://127.0.0.1:7700") and is_loopback_url("ws://[::1]:7700")
    assert is_loopback_url("ws://localhost:7700") and is_loopback_url("ws://127.8.9.10:1")
    assert not is_loopback_url("ws://10.1.0.10:7700") and not is_loopback_url("ws://platform.example:7700")
    assert plain_off_loopback(["ws://127.0.0.1:1", "wss://10.1.0.10:7700", "ws://10.1.0.11:7700"]) == [
        "ws://10.1.0.11:7700"]
    assert is_loopback_host("127.0.0.1") and not is_loopback_host("0.0.0.0")


async def test_the_desk_never_sends_the_password_over_plain_ws_off_loopback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_link(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the desk tried to connect")

    monkeypatch.setattr("console.core.desk.DeskLink", no_link)
    desk = Desk(tmp_path / "events.db")
    try:
        with pytest.raises(PlainTransportRefused, match=r"plain ws:// to ws://10\.1\.0\.10:7700"):
            await desk.connect(["wss://10.1.0.11:7700", "ws://10.1.0.10:7700"], "chief", "secret-pw")
        desk.log.flush()
        failed = desk.log.search(kind="desk_connect_failed")
        assert failed and "secret-pw" not in str(failed[0])
    finally:
        await desk.close()


def test_load_or_make_certificates_are_kept_across_restarts(tmp_path: Path) -> None:
    first = load_or_make_certificates(tmp_path)
    ca = first.ca_file.read_bytes()
    again = load_or_make_certificates(tmp_path)
    assert again == first and again.ca_file.read_bytes() == ca
    wider = load_or_make_certificates(tmp_path, hosts=["127.0.0.1", "localhost", "127.0.0.2"])
    assert wider.ca_file.read_bytes() != ca  # a host not covered: new ones
    assert oct(wider.key_file.stat().st_mode & 0o777) == "0o600"


def test_platform_tls_options(pki: TestCertificates, tmp_path: Path) -> None:
    def args(**kw: object) -> argparse.Namespace:
        return argparse.Namespace(**{"host": "127.0.0.1", "tls_cert": None, "tls_key": None, **kw})

    assert _server_tls(args(), "platform") is None
    assert isinstance(_server_tls(args(tls_cert=pki.cert_file, tls_key=pki.key_file), "platform"), ssl.SSLContext)
    with pytest.raises(ValueError, match="go together"):
        _server_tls(args(tls_cert=pki.cert_file), "platform")
    with pytest.raises(ValueError, match="cannot use the TLS certificate"):
        _server_tls(args(tls_cert=pki.ca_file, tls_key=pki.key_file), "platform")  # key of another certificate
    made = certificates_from_args(argparse.Namespace(tls=True, tls_dir=tmp_path / "tb", host="127.0.0.1"))
    assert made is not None and made.ca_file.is_file()
    assert certificates_from_args(argparse.Namespace(tls=False, host="127.0.0.1")) is None
