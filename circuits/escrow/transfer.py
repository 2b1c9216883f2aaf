"""transfer: a 2-in-2-out join-split (protocols.md §9, C2; Tornado Nova's Transaction(2, 2)).

Public:  root, public_amount, asset, ext_data_hash, nullifiers[2], commitments[2]
Private: per input  value, sk, ρ, blind, Merkle path, position bits
         per output value, owner, blind

Statement: each input note with value ≠ 0 is in the tree at ``root`` and is
owned by the prover's sk; its nullifier is H(NULLIFIER, nk, cm, pos); the two
nullifiers differ; each output commitment opens to a 64-bit value for its owner
with ρ_j = H(RHO, nf_0, j); Σ inputs + public_amount = Σ outputs (in Fr, so a
negative public amount — unshielding — is r − |amount|); ext_data_hash is bound.
"""
from __future__ import annotations

from dataclasses import dataclass

from circuits.dsl import Circuit, Private, Public
from circuits.gadgets.bits import range_check
from circuits.notes import MAX_VALUE, Note, SpendingKey, output_rho, to_field
from zkescrow.errors import MalformedInput, WitnessError

from .note_gadgets import (assert_member_if, note_commitment, nullifier, nullifier_key, owner_of,
                           output_rho as output_rho_gadget, position_of)

N_INPUTS = 2
N_OUTPUTS = 2


class Transfer(Circuit):
    """Spend two notes (either may be a zero-value dummy) into two new notes and a public amount."""

    root = Public()
    public_amount = Public()
    asset = Public()
    ext_data_hash = Public()
    nullifiers = Public(n=N_INPUTS)
    commitments = Public(n=N_OUTPUTS)

    in_value = Private(n=N_INPUTS)
    in_sk = Private(n=N_INPUTS)
    in_rho = Private(n=N_INPUTS)
    in_blind = Private(n=N_INPUTS)
    in_path = Private(n=lambda c: N_INPUTS * c.depth)
    in_index_bits = Private(n=lambda c: N_INPUTS * c.depth)

    out_value = Private(n=N_OUTPUTS)
    out_owner = Private(n=N_OUTPUTS)
    out_blind = Private(n=N_OUTPUTS)

    def __init__(self, depth: int = 20):
        super().__init__(depth=depth)

    def define(self, cs):
        d = self.depth
        nfs = []
        for i in range(N_INPUTS):
            with cs.scope("SpendInput"):
                sk, value = self.in_sk[i], self.in_value[i]
                cm = note_commitment(cs, value, self.asset, owner_of(cs, sk), self.in_rho[i], self.in_blind[i])
                bits = self.in_index_bits[i * d:(i + 1) * d]
                assert_member_if(cs, value, cm, self.in_path[i * d:(i + 1) * d], bits, self.root)
                nf = nullifier(cs, nullifier_key(cs, sk), cm, position_of(bits))
                cs.assert_equal(nf, self.nullifiers[i])
                nfs.append(nf)
        with cs.scope("DistinctNullifiers"):
            diff = nfs[0] - nfs[1]
            inverse = cs.hint(_inverse, diff, name="inv")
            cs.assert_product(diff, inverse, 1)
        for j in range(N_OUTPUTS):
            with cs.scope("CreateOutput"):
                value = self.out_value[j]
                range_check(cs, value, 64)
                rho = output_rho_gadget(cs, nfs[0], j)
                cm = note_commitment(cs, value, self.asset, self.out_owner[j], rho, self.out_blind[j])
                cs.assert_equal(cm, self.commitments[j])
        with cs.scope("ValueBalance"):
            cs.assert_equal(cs.sum([*self.in_value, self.public_amount]), cs.sum(self.out_value))
        with cs.scope("BindExtData"):
            cs.mul(self.ext_data_hash, self.ext_data_hash)


def _inverse(x: int) -> int:
    from zkescrow.bn254.fields import fr_inv
    if x == 0:
        raise WitnessError("the two input nullifiers are equal (the same note spent twice)")
    return int(fr_inv(x))


@dataclass(frozen=True)
class SpendInput:
    """A note to spend with the key that owns it and its Merkle path (``path`` None for a dummy)."""

    note: Note
    key: SpendingKey
    path: object = None        # circuits.crypto.merkle.MerklePath

    @classmethod
    def dummy(cls, key: SpendingKey | None = None, asset: int = 0) -> "SpendInput":
        key = key or SpendingKey.generate()
        return cls(Note.new(0, key.owner, asset=asset), key, None)


@dataclass(frozen=True)
class TransferStatement:
    """What a transfer proves, ready for the circuit: public values and the output notes."""

    inputs: dict
    public: dict
    output_notes: tuple


def transfer_inputs(spends, outputs, *, root: int, public_amount: int = 0, ext_data_hash: int = 0,
                    depth: int = 20) -> TransferStatement:
    """Circuit inputs for spending ``spends`` into ``outputs`` (Note templates whose ρ is derived here).

    ``public_amount`` is signed: positive shields value into the pool, negative
    takes it out.  Raises WitnessError with the reason when the statement is false.
    """
    spends = list(spends)
    outputs = list(outputs)
    if len(spends) > N_INPUTS or len(outputs) > N_OUTPUTS:
        raise MalformedInput(f"a transfer has at most {N_INPUTS} inputs and {N_OUTPUTS} outputs")
    asset = (spends[0].note.asset if spends else outputs[0].asset if outputs else 0)
    while len(spends) < N_INPUTS:
        spends.append(SpendInput.dummy(asset=asset))
    for k, s in enumerate(spends):
        if s.note.asset != asset or any(o.asset != asset for o in outputs):
            raise WitnessError("all notes of a transfer must be of the same asset")
        if s.note.owner != s.key.owner:
            raise WitnessError(f"input {k} is not owned by the key that spends it")
        if s.note.value and s.path is None:
            raise WitnessError(f"input {k} has value {s.note.value} but no Merkle path")
    total_in = sum(s.note.value for s in spends)
    total_out = sum(o.value for o in outputs)
    if total_in + public_amount != total_out:
        raise WitnessError(f"input notes sum to {total_in} and the public amount is {public_amount}, "
                           f"but outputs sum to {total_out}")
    if not 0 <= total_in + public_amount <= MAX_VALUE * N_OUTPUTS:
        raise WitnessError("value balance out of range")
    positions = [s.path.index if s.path is not None else 0 for s in spends]
    nfs = [s.note.nullifier(s.key.nullifier_key, pos) for s, pos in zip(spends, positions)]
    if nfs[0] == nfs[1]:
        raise WitnessError("the two inputs are the same note")
    while len(outputs) < N_OUTPUTS:
        outputs.append(Note.new(0, SpendingKey.generate().owner, asset=asset))
    final_outputs = tuple(Note(o.value, o.owner, output_rho(nfs[0], j), o.blind, o.asset)
                          for j, o in enumerate(outputs))
    paths, bits = [], []
    for s in spends:
        if s.path is None:
            paths += [0] * depth
            bits += [0] * depth
        else:
            if len(s.path.elements) != depth:
                raise MalformedInput(f"Merkle path has depth {len(s.path.elements)}, circuit depth is {depth}")
            paths += list(s.path.elements)
            bits += list(s.path.index_bits)
    public = {
        "root": root,
        "public_amount": to_field(public_amount),
        "asset": asset,
        "ext_data_hash": ext_data_hash,
        "nullifiers": nfs,
        "commitments": [o.commitment for o in final_outputs],
    }
    private = {
        "in_value": [s.note.value for s in spends],
        "in_sk": [s.key.sk for s in spends],
        "in_rho": [s.note.rho for s in spends],
        "in_blind": [s.note.blind for s in spends],
        "in_path": paths,
        "in_index_bits": bits,
        "out_value": [o.value for o in final_outputs],
        "out_owner": [o.owner for o in final_outputs],
        "out_blind": [o.blind for o in final_outputs],
    }
    return TransferStatement({**public, **private}, public, final_outputs)
