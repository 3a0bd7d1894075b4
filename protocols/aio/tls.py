"""TLS for TDP/1 signalling (SPEC.md §2.2): SSL contexts for clients and servers, and plain-worded errors.

Clients verify the platform's certificate chain and host name by default, against the system's trust store
or, with ``ca_file``, against a private CA only (a dispatch network's own CA, or the testbed's). Qt-free: the
desk, headless scenarios and the simulated terminals all use it.
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)


class CertificateError(ConnectionError):
    """The platform's certificate was refused (unknown CA, expired, wrong host name) or TLS failed."""


def ssl_context(ca_file: str | Path | None = None, *, verify: bool = True) -> ssl.SSLContext:
    """A client context: TLS 1.2 or later, certificate chain and host name verified.

    ``ca_file`` (PEM) replaces the system's trust store with that CA bundle: only certificates it signed are
    accepted. ``verify=False`` accepts any certificate (isolated test benches only; it is logged as a warning).
    Raises `FileNotFoundError` or `ssl.SSLError` when ``ca_file`` cannot be used.
    """
    if ca_file is not None:
        path = Path(ca_file)
        if not path.is_file():
            raise FileNotFoundError(f"CA file {path} does not exist")
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(path))
    else:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if not verify:
        logger.warning("TLS certificate verification is OFF: any server can pose as the platform")
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def server_context(cert_file: str | Path, key_file: str | Path) -> ssl.SSLContext:
    """A server context for ``wss``: TLS 1.2 or later with the certificate chain (PEM) and its private key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert_file), str(key_file))
    return context


def is_secure(url: str) -> bool:
    """True for a ``wss://`` URL."""
    return urlsplit(url).scheme == "wss"


def is_loopback_url(url: str) -> bool:
    """True when ``url``'s host is on the loopback interface (127.0.0.0/8, ::1, ``localhost``)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_off_loopback(urls: Iterable[str]) -> list[str]:
    """The plain ``ws://`` URLs among ``urls`` that leave the machine: no credentials may go there (SPEC §2.2)."""
    return [url for url in urls if not is_secure(url) and not is_loopback_url(url)]


def context_for(url: str, context: ssl.SSLContext | None) -> ssl.SSLContext | None:
    """The context to open ``url`` with: ``context`` (or a verifying default) for ``wss``, None for plain ``ws``.

    websockets refuses an SSL context with a ``ws://`` URL; a desk configured with a CA may still reach a plain
    loopback testbed."""
    if not is_secure(url):
        return None
    return context if context is not None else ssl_context()


def describe_tls_failure(url: str, exc: BaseException) -> str:
    """What went wrong with TLS to ``url``, in words a maintainer acts on."""
    host = urlsplit(url).hostname or url
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = exc.verify_message or str(exc)
        if "hostname mismatch" in why.lower() or "ip address mismatch" in why.lower():
            return f"{url}: the platform's certificate is not valid for {host} ({why})"
        if "expired" in why.lower():
            return f"{url}: the platform's certificate has expired ({why})"
        if "not yet valid" in why.lower():
            return f"{url}: the platform's certificate is not valid yet ({why})"
        return (f"{url}: the platform's certificate is not trusted ({why}); configure the CA that signed it "
                "(ca_file)")
    reason = getattr(exc, "reason", None) or str(exc)
    if isinstance(exc, ssl.SSLError) and reason and "wrong version number" in str(reason).lower():
        return f"{url}: TLS handshake failed ({reason}): is the platform serving plain ws:// there?"
    return f"{url}: TLS handshake failed: {reason}"


__all__ = ["CertificateError", "context_for", "describe_tls_failure", "is_loopback_url", "is_secure",
           "plain_off_loopback", "server_context", "ssl_context"]
