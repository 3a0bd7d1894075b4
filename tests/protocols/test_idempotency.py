"""The idempotency cache: repeats answered from memory, key reuse refused, LRU per principal, snapshots."""

from __future__ import annotations

import json

import pytest

from protocols.constants import ErrorCode
from protocols.machines.idempotency import IdempotencyCache, fingerprint
from protocols.messages import CallRelease, Error, GroupCallSetup, Ok, TextSend


def setup(key: str, group: str = "g1", request_id: int = 2, epoch: int = 3) -> GroupCallSetup:
    return GroupCallSetup(id=request_id, key=key, group=group, epoch=epoch)


def test_unknown_key_and_unkeyed_requests_are_not_repeats() -> None:
    cache = IdempotencyCache()
    assert cache.lookup("alice", setup("k1")) is None
    unkeyed = CallRelease(id=2, call="c1")
    cache.store("alice", unkeyed, Ok())
    assert cache.lookup("alice", unkeyed) is None
    assert len(cache) == 0


def test_repeat_gets_the_stored_answer_marked_replayed_under_its_own_id() -> None:
    cache = IdempotencyCache()
    cache.store("alice", setup("k1", request_id=2), Ok(re=2, epoch=3, result={"call": "c-17"}))
    # the replay after failover: new id, new epoch, same key and body
    answer = cache.lookup("alice", setup("k1", request_id=9, epoch=4))
    assert answer == Ok(re=9, result={"call": "c-17"}, replayed=True)


def test_refusals_are_not_remembered_so_a_repeat_is_evaluated_afresh() -> None:
    cache = IdempotencyCache()
    for code in (ErrorCode.CONFLICT, ErrorCode.INTERNAL, ErrorCode.UNAVAILABLE, ErrorCode.NOT_ACTIVE):
        cache.store("alice", setup("k1"), Error(code=code, reason="not now"))
    assert cache.lookup("alice", setup("k1")) is None
    assert len(cache) == 0


def test_same_key_with_a_different_body_is_refused_422() -> None:
    cache = IdempotencyCache()
    cache.store("alice", setup("k1", group="g1"), Ok(result={"call": "c-17"}))
    answer = cache.lookup("alice", setup("k1", group="g2", request_id=7))
    assert isinstance(answer, Error)
    assert answer.code == ErrorCode.KEY_REUSED and answer.re == 7
    other_type = cache.lookup("alice", TextSend(id=8, key="k1", text="hello"))
    assert isinstance(other_type, Error) and other_type.code == ErrorCode.KEY_REUSED


def test_keys_are_scoped_to_the_principal() -> None:
    cache = IdempotencyCache()
    cache.store("alice", setup("k1"), Ok(result={"call": "c-17"}))
    assert cache.lookup("bob", setup("k1")) is None


def test_fingerprint_ignores_id_epoch_and_key_only() -> None:
    assert fingerprint(setup("k1", request_id=1, epoch=1)) == fingerprint(setup("k2", request_id=5, epoch=9))
    assert fingerprint(setup("k1", group="g1")) != fingerprint(setup("k1", group="g2"))


def test_least_recently_used_key_is_evicted_per_principal() -> None:
    cache = IdempotencyCache(capacity=2)
    cache.store("alice", setup("k1"), Ok(result={"n": 1}))
    cache.store("alice", setup("k2"), Ok(result={"n": 2}))
    cache.store("bob", setup("k9"), Ok(result={"n": 9}))
    assert cache.lookup("alice", setup("k1")) is not None  # k1 is now the most recently used
    cache.store("alice", setup("k3"), Ok(result={"n": 3}))
    assert cache.lookup("alice", setup("k2")) is None
    assert cache.lookup("alice", setup("k1")) is not None
    assert cache.lookup("alice", setup("k3")) is not None
    assert cache.lookup("bob", setup("k9")) is not None  # alice's traffic does not evict bob's keys
    assert len(cache) == 3


def test_snapshot_is_plain_json_and_restores_answers_and_order() -> None:
    cache = IdempotencyCache(capacity=2)
    cache.store("alice", setup("k1"), Ok(result={"call": "c-1"}))
    cache.store("alice", setup("k2"), Ok(result={"call": "c-2"}, replayed=True))
    cache.store("train-0101", TextSend(id=3, key="t1", text="arrived"), Ok(result={"message": "m-4"}))
    data = json.loads(json.dumps(cache.snapshot()))

    standby = IdempotencyCache(capacity=2)
    standby.restore(data)
    assert len(standby) == 3
    replayed = standby.lookup("alice", setup("k1", request_id=8))
    assert replayed == Ok(re=8, result={"call": "c-1"}, replayed=True)
    assert standby.lookup("alice", setup("k2", request_id=9)) == Ok(re=9, result={"call": "c-2"}, replayed=True)
    changed = standby.lookup("train-0101", TextSend(id=4, key="t1", text="departed"))
    assert isinstance(changed, Error) and changed.code == ErrorCode.KEY_REUSED


def test_restore_keeps_the_lru_order() -> None:
    cache = IdempotencyCache(capacity=2)
    cache.store("alice", setup("k1"), Ok())
    cache.store("alice", setup("k2"), Ok())
    assert cache.lookup("alice", setup("k1")) is not None  # k2 is now the least recently used
    standby = IdempotencyCache(capacity=2)
    standby.restore(cache.snapshot())
    standby.store("alice", setup("k3"), Ok())
    assert standby.lookup("alice", setup("k2")) is None
    assert standby.lookup("alice", setup("k1")) is not None


def test_restore_refuses_what_is_not_a_snapshot() -> None:
    cache = IdempotencyCache()
    with pytest.raises(ValueError):
        cache.restore({"entries": [["alice", "k1"]]})
    with pytest.raises(ValueError):
        cache.restore({})
