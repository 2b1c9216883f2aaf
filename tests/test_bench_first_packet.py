"""bench/first_packet.py walks the car's real path to its first packet (no timing assertions)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.first_packet import PHASES, first_packet  # noqa: E402
from escrow_fixtures import ESCROW_DEPTH, escrow_keys_dir  # noqa: E402,F401


def test_the_car_reaches_the_poles_first_go_through_every_phase(escrow_keys_dir):  # noqa: F811
    mode = "shielded"           # the transparent escrow takes the same proofs (escrow_open is a transfer too)
    result = first_packet(escrow_keys_dir, ESCROW_DEPTH, mode)
    assert set(result["phases_s"]) == set(PHASES)
    # the car's own proofs on the way: the shield of its deposit, then the transfer that funds the escrow
    assert [name for name, _ in result["car_proofs"]] == ["deposit", "transfer"]
    assert result["deposit"] > 0 and result["mode"] == mode
    assert result["ttfp_s"] >= sum(result["phases_s"].values()) * 0.99
