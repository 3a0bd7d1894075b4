"""The witness's decisions (no sockets): leases, epochs, outdated standbys, restarts."""

from __future__ import annotations

from testbed.platform.witness import LEASE, WitnessState


def started(at: float = 0.0) -> WitnessState:
    return WitnessState(started=at)


def test_no_promotion_in_the_first_lease_period_after_the_witness_starts() -> None:
    witness = started(100.0)
    assert not witness.promote("A", 100.0 + LEASE / 2, boot="a1").ok
    granted = witness.promote("A", 100.0 + LEASE + 0.01, boot="a1")
    assert granted.ok and granted.epoch == 1 and granted.active == "A"


def test_the_standby_is_promoted_only_once_the_active_lease_ran_out() -> None:
    witness = started()
    witness.promote("A", 10.0, boot="a1")
    assert witness.renew("A", 1, 10.5, boot="a1").ok
    assert not witness.promote("B", 10.5 + LEASE - 0.01, boot="b1").ok
    granted = witness.promote("B", 10.5 + LEASE + 0.01, boot="b1")
    assert granted.ok and granted.epoch == 2 and granted.active == "B"
    # the deposed active's renewal is refused and tells it who is active now
    refused = witness.renew("A", 1, 12.0, boot="a1")
    assert not refused.ok and refused.active == "B" and refused.epoch == 2


def test_a_promotion_is_always_above_the_candidates_epoch() -> None:
    witness = started()  # e.g. a witness that restarted and remembers nothing
    granted = witness.promote("B", 10.0, epoch=7, boot="b1")
    assert granted.ok and granted.epoch == 8


def test_a_restarted_witness_adopts_the_live_active() -> None:
    witness = started(50.0)
    adopted = witness.renew("B", 4, 50.1, boot="b1")
    assert adopted.ok and witness.active == "B" and witness.epoch == 4
    assert not witness.promote("A", 50.0 + LEASE + 0.05, epoch=4, boot="a2").ok


def test_an_outdated_standby_is_not_promoted_while_the_active_acknowledged_alone() -> None:
    witness = started()
    witness.promote("A", 10.0, boot="a1")
    witness.renew("A", 1, 10.2, alone=True, boot="a1")
    assert not witness.promote("B", 20.0, boot="b1").ok  # lease long gone, but B lacks what A acknowledged
    # once A has a standby again and says so, B is up to date
    witness.renew("A", 1, 20.1, alone=False, boot="a1")
    assert witness.promote("B", 20.1 + LEASE + 0.01, boot="b1").ok


def test_an_active_that_restarted_lets_the_other_instance_go_first() -> None:
    witness = started()
    witness.promote("A", 10.0, boot="a1")
    witness.renew("A", 1, 10.2, alone=True, boot="a1")
    # A crashed and came back without its memory: it is not promoted at once, and B no longer counts as
    # outdated (A's copy is gone; B's is the best there is)
    assert not witness.promote("A", 20.0, boot="a2").ok
    granted = witness.promote("B", 20.05, boot="b1")
    assert granted.ok and granted.active == "B" and granted.epoch == 2


def test_an_active_that_restarted_is_promoted_if_the_other_never_asks() -> None:
    witness = started()
    witness.promote("A", 10.0, boot="a1")
    assert not witness.promote("A", 20.0, boot="a2").ok
    assert witness.promote("A", 20.0 + LEASE + 0.01, boot="a2").ok
