"""A test certificate authority for the testbed: a CA and server certificates for loopback, written as PEM.

`trunkdesk testbed --tls` serves ``wss`` with a certificate for 127.0.0.1 and localhost signed by a CA made
here; a desk or a fleet trusts that CA (``ssl_context(ca_file=...)``) and nothing else. Never for
production: the CA's private key lies next to its certificate. Keys are EC P-256 (fast to make).
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from protocols.aio.tls import server_context, ssl_context

log = logging.getLogger(__name__)

#: the names a testbed certificate is valid for by default
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
#: reuse existing testbed files only while they stay valid at least this long
_REUSE_MARGIN = datetime.timedelta(days=1)


@dataclass(frozen=True)
class CertificateAuthority:
    """A CA's certificate and private key files (PEM)."""

    cert_file: Path
    key_file: Path


@dataclass(frozen=True)
class TestCertificates:
    """What a TLS testbed needs: the CA clients trust, and the server's certificate and key (PEM files)."""

    __test__ = False  # not a pytest test class

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        return server_context(self.cert_file, self.key_file)

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA only (and verifies host names)."""
        return ssl_context(self.ca_file)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def make_ca(directory: str | Path, *, name: str = "trunkdesk testbed CA", days: int = 3650,
            stem: str = "ca") -> CertificateAuthority:
    """Make a self-signed CA in ``directory`` (``{stem}.pem``, ``{stem}.key``)."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    ca = CertificateAuthority(folder / f"{stem}.pem", folder / f"{stem}.key")
    ca.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key, ca.key_file)
    return ca


def make_server_certificate(ca: CertificateAuthority, directory: str | Path, *,
                            hosts: Sequence[str] = LOOPBACK_HOSTS, stem: str = "server",
                            not_before: datetime.datetime | None = None,
                            not_after: datetime.datetime | None = None, days: int = 825) -> tuple[Path, Path]:
    """Make a server certificate for ``hosts`` (IP addresses and DNS names) signed by ``ca``; its
    (certificate, key) files. ``not_before``/``not_after`` default to now (less five minutes) and ``days`` on."""
    if not hosts:
        raise ValueError("a server certificate needs at least one host name or address")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    ca_cert = x509.load_pem_x509_certificate(ca.cert_file.read_bytes())
    ca_key = serialization.load_pem_private_key(ca.key_file.read_bytes(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{ca.key_file}: not an EC private key")
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    key = ec.generate_private_key(ec.SECP256R1())
    start = not_before or _now() - datetime.timedelta(minutes=5)
    end = not_after or start + datetime.timedelta(days=days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = folder / f"{stem}.pem", folder / f"{stem}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key, key_file)
    return cert_file, key_file


def make_test_certificates(directory: str | Path, *, hosts: Sequence[str] = LOOPBACK_HOSTS) -> TestCertificates:
    """A fresh CA and a server certificate for ``hosts`` in ``directory`` (``ca.pem``, ``server.pem``,
    ``server.key``; the CA's key is ``ca.key``)."""
    ca = make_ca(directory)
    cert_file, key_file = make_server_certificate(ca, directory, hosts=hosts)
    log.info("made a test CA and a server certificate for %s in %s", ", ".join(hosts), directory)
    return TestCertificates(ca.cert_file, cert_file, key_file)


def load_or_make_certificates(directory: str | Path, *, hosts: Sequence[str] = LOOPBACK_HOSTS) -> TestCertificates:
    """The testbed's certificates in ``directory``: the ones already there while they are valid for ``hosts``
    for at least another day (so a desk keeps trusting the same CA across restarts), else new ones."""
    folder = Path(directory)
    existing = TestCertificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    if all(p.is_file() for p in (existing.ca_file, existing.cert_file, existing.key_file)):
        try:
            if _covers(existing, hosts):
                return existing
        except (ValueError, OSError) as exc:
            log.warning("testbed certificates in %s unusable (%s): making new ones", folder, exc)
    return make_test_certificates(folder, hosts=hosts)


def _covers(certs: TestCertificates, hosts: Sequence[str]) -> bool:
    cert = x509.load_pem_x509_certificate(certs.cert_file.read_bytes())
    if cert.not_valid_after_utc - _now() < _REUSE_MARGIN:
        return False
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    covered = {str(a) for a in names.get_values_for_type(x509.IPAddress)}
    covered |= set(names.get_values_for_type(x509.DNSName))
    return all(str(ipaddress.ip_address(h)) in covered if _is_ip(h) else h in covered for h in hosts)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


__all__ = ["LOOPBACK_HOSTS", "CertificateAuthority", "TestCertificates", "load_or_make_certificates", "make_ca",
           "make_server_certificate", "make_test_certificates"]
