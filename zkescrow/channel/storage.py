"""Keep a party's channel on disk, so it can go offline (or crash) and still close later.

``save_channel(channel, path)`` writes the terms (with the shared secrets), both
counters (latest and co-signed), the openings a shielded party needs to prove a
close or settle, and the proof-chain tips — atomically and with mode 0600: the
file holds the channel salt and the openings, and never a long-term signing key;
a one-time channel key (``Channel.one_time``, made for this channel alone) is the
channel's own and lives in its file.
``load_channel(path, key=None, prover=None)`` rebuilds the ``Channel`` (``key``
may be omitted for a channel with a one-time key).  Save after
every receipt taken or given (the co-signed counters are what a close needs) and
before sending a closing signature (so a reloaded party stays frozen).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from nacl.signing import SigningKey

from zkescrow.errors import MalformedInput

from .proofs import Opening
from .state import Channel, Counter, parse_state
from .terms import ChannelTerms

VERSION = 1


def _counter_json(counter: Counter) -> dict:
    # every opening stays: a stale close may record any earlier co-signed commitment, and the
    # challenge must prove the step from it
    return {"latest": counter.latest.to_json(), "cosigned": counter.cosigned.to_json(), "step": counter.step,
            "proven": None if counter.proven is None else [str(c) for c in counter.proven],
            "openings": [[[str(c) for c in point], opening.to_json()]
                         for point, opening in counter.openings.items()]}


def _counter_from_json(obj: dict) -> Counter:
    openings = {tuple(int(c) for c in point): Opening.from_json(opening) for point, opening in obj["openings"]}
    proven = None if obj["proven"] is None else tuple(int(c) for c in obj["proven"])
    return Counter(parse_state(obj["latest"]), parse_state(obj["cosigned"]), openings, int(obj["step"]), proven)


def save_channel(channel: Channel, path: str | Path) -> None:
    """Write ``channel`` to ``path`` (mode 0600, replaced atomically)."""
    data = {"version": VERSION, "terms": channel.terms.to_json(private=True), "address": channel.address,
            "counters": {party: _counter_json(c) for party, c in channel.counters.items()},
            "sent_updates": channel.sent_updates,
            "own_signatures": {str(n): s for n, s in channel._own_signatures.items()},
            "final": None if channel.final is None else {p: st.to_json() for p, st in channel.final.items()}}
    if channel.one_time:
        data["one_time_key"] = bytes(channel.key).hex()
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_channel(path: str | Path, key: SigningKey | None = None, *, prover=None, proof_every: int = 0) -> Channel:
    """The ``Channel`` saved at ``path``, for the holder of ``key`` (default: the file's one-time key)."""
    try:
        data = json.loads(Path(path).read_text())
        if data.get("version") != VERSION:
            raise MalformedInput(f"unknown channel file version {data.get('version')!r}")
        terms = ChannelTerms.from_json(data["terms"])
        one_time = data.get("one_time_key")
        if key is None:
            if one_time is None:
                raise MalformedInput("this channel file holds no key: pass the party's signing key")
            key = SigningKey(bytes.fromhex(one_time))
        channel = Channel(terms, key, prover=prover, proof_every=proof_every, one_time=one_time is not None)
        if channel.address != data["address"]:
            raise MalformedInput("this channel file belongs to another key")
        channel.counters = {party: _counter_from_json(c) for party, c in data["counters"].items()}
        if set(channel.counters) != {terms.party_a, terms.party_b}:
            raise MalformedInput("channel file counters are not the two parties'")
        channel.sent_updates = int(data["sent_updates"])
        channel._own_signatures = {int(n): s for n, s in data["own_signatures"].items()}
        if data.get("final") is not None:               # a party that signed a close stays frozen after a reload
            channel.final = {party: parse_state(state) for party, state in data["final"].items()}
            if set(channel.final) != {terms.party_a, terms.party_b}:
                raise MalformedInput("channel file final counters are not the two parties'")
        return channel
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise MalformedInput(f"{path} is not a channel file: {exc}") from None
