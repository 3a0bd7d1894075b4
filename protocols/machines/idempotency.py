"""The platform's memory of answered idempotency keys (SPEC.md §4.4).

A state-changing request carries a ``key``; a repeat of it (a retransmission, or a replay after
failover) is answered with the stored answer instead of being applied twice. Keys are scoped to a
principal and remembered per principal in LRU order, so a chatty train cannot evict a console's keys.
Pure data, no clock: `snapshot` / `restore` let the active instance replicate it to the standby.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

import msgspec

from protocols.constants import IDEMPOTENCY_MEMORY, ErrorCode
from protocols.messages import Error, Ok, Request

_encoder = msgspec.json.Encoder()


class _Entry(msgspec.Struct, array_like=True):
    """What is remembered of one key: the request's fingerprint and the answer it got."""

    fingerprint: str
    answer: Ok


class _SnapshotRow(msgspec.Struct, array_like=True):
    principal: str
    key: str
    fingerprint: str
    answer: Ok


def fingerprint(request: Request) -> str:
    """What makes two requests "the same": the encoded request without its id, epoch and key."""
    body = _encoder.encode(msgspec.structs.replace(request, id=0, epoch=0, key=None))
    return hashlib.sha256(body).hexdigest()


class IdempotencyCache:
    """Answers of keyed requests by (principal, key); at most ``capacity`` keys per principal."""

    def __init__(self, capacity: int = IDEMPOTENCY_MEMORY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._by_principal: dict[str, OrderedDict[str, _Entry]] = {}

    def __len__(self) -> int:
        return sum(len(keys) for keys in self._by_principal.values())

    def lookup(self, principal: str, request: Request) -> Ok | Error | None:
        """The answer to give a repeated request instead of applying it, or None to apply it.

        A repeat gets the stored `Ok`, marked ``replayed``; the same key with a different request gets
        `Error` 422 KEY_REUSED. Requests without a key, or whose key was only ever refused, are never repeats.
        """
        if request.key is None:
            return None
        keys = self._by_principal.get(principal)
        entry = keys.get(request.key) if keys is not None else None
        if keys is None or entry is None:
            return None
        keys.move_to_end(request.key)
        if entry.fingerprint != fingerprint(request):
            return Error(
                code=ErrorCode.KEY_REUSED,
                reason=f"idempotency key {request.key[:64]!r} was used with a different request",
                re=request.id,
            )
        return msgspec.structs.replace(entry.answer, re=request.id, replayed=True)

    def store(self, principal: str, request: Request, answer: Ok | Error) -> None:
        """Remember the answer to a keyed request. Only `Ok` is remembered (SPEC.md §4.4): a refused request
        changed nothing, so a repeat of it is evaluated afresh."""
        if request.key is None or not isinstance(answer, Ok):
            return
        keys = self._by_principal.setdefault(principal, OrderedDict())
        plain = msgspec.structs.replace(answer, re=None, epoch=0, replayed=False)
        keys[request.key] = _Entry(fingerprint(request), plain)
        keys.move_to_end(request.key)
        while len(keys) > self.capacity:
            keys.popitem(last=False)

    def forget(self, principal: str) -> None:
        """Drop every key of a principal (e.g. a terminal removed from the configuration)."""
        self._by_principal.pop(principal, None)

    def snapshot(self) -> dict[str, Any]:
        """The whole cache as JSON-ready plain data, least recently used first per principal."""
        rows = [
            _SnapshotRow(principal, key, entry.fingerprint, entry.answer)
            for principal, keys in self._by_principal.items()
            for key, entry in keys.items()
        ]
        return {"entries": msgspec.to_builtins(rows)}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the contents with a `snapshot` (from this or another instance), keeping this cache's
        capacity. Raises ValueError when the data is not a snapshot."""
        try:
            rows = msgspec.convert(data["entries"], list[_SnapshotRow])
        except (KeyError, TypeError, msgspec.ValidationError) as exc:
            raise ValueError(f"not an idempotency snapshot: {exc}") from exc
        self._by_principal = {}
        for row in rows:
            keys = self._by_principal.setdefault(row.principal, OrderedDict())
            keys[row.key] = _Entry(row.fingerprint, row.answer)
            while len(keys) > self.capacity:
                keys.popitem(last=False)


__all__ = ["IdempotencyCache", "fingerprint"]
