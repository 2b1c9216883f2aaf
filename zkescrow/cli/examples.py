"""Example inputs for the built-in circuits: ``zkescrow witness NAME --example``.

Each example is a true statement made by the circuit's own witness builder
(``deposit_inputs``, ``transfer_inputs``, …) from fresh keys and notes, so it is
valid for any depth the circuit is compiled with, and it never goes stale when a
circuit changes.  Values are written as decimal strings, circom's input convention
(JSON numbers lose precision above 2^53 in JavaScript).
"""
from __future__ import annotations


def _deposit(params):
    from circuits.escrow.deposit import deposit_inputs
    from circuits.notes import Note, SpendingKey
    return deposit_inputs(Note.new(1000, SpendingKey.generate().owner))


def _pool(depth):
    from circuits.crypto.merkle import MerkleTree
    from circuits.notes import Note, SpendingKey
    alice, bob = SpendingKey.generate(), SpendingKey.generate()
    tree = MerkleTree(depth)
    notes = [Note.new(70, alice.owner), Note.new(30, alice.owner)]
    idx = [tree.append(n.commitment) for n in notes]
    return alice, bob, tree, notes, idx


def _transfer(params):
    from circuits.escrow.transfer import SpendInput, transfer_inputs
    from circuits.notes import Note
    depth = params["depth"]
    alice, bob, tree, notes, idx = _pool(depth)
    spends = [SpendInput(n, alice, tree.path(i)) for n, i in zip(notes, idx)]
    outputs = [Note.new(60, bob.owner), Note.new(40, alice.owner)]
    return transfer_inputs(spends, outputs, root=tree.root, public_amount=0, depth=depth).inputs


def _escrow_release(params):
    from circuits.crypto.eddsa import PrivateKey
    from circuits.crypto.merkle import MerkleTree
    from circuits.escrow.escrow_release import RELEASE, escrow_release_inputs
    from circuits.notes import EscrowTerms, Note, SpendingKey, release_message
    depth = params["depth"]
    enclave = PrivateKey.generate()
    driver, pole = SpendingKey.generate(), SpendingKey.generate()
    terms = EscrowTerms(enclave.public_key, driver.owner, pole.owner, price_per_wh=3, session_id=77,
                        refund_height=100)
    note = Note.new(300, terms.owner)
    tree = MerkleTree(depth)
    index = tree.append(note.commitment)
    energy, nonce = 40, 9
    signature = enclave.sign_poseidon(release_message(terms.session_id, energy, nonce))
    return escrow_release_inputs(note, terms, tree.path(index), root=tree.root, height=50, mode=RELEASE,
                                 energy_wh=energy, final_nonce=nonce, signature=signature, depth=depth).inputs


def _channel_update(params):
    from circuits.crypto.pedersen import random_blinding
    from circuits.escrow.channel_update import ChannelState, channel_update_inputs
    old = ChannelState(70, random_blinding(), 5)
    new = ChannelState(70 + 10 * 7, random_blinding(), 6)
    return channel_update_inputs(1000, 7, 4242, old, new, 10, 0)


def _value_commitment(params):
    from circuits.crypto.pedersen import random_blinding
    from circuits.escrow.value_commitment import value_commitment_inputs
    return value_commitment_inputs(77, random_blinding())


def _channel_settle(params):
    from circuits.crypto.pedersen import random_blinding
    from circuits.notes import SpendingKey
    from circuits.escrow.channel_settle import channel_settle_inputs
    from zkescrow.channel.terms import ChannelTerms
    terms = ChannelTerms.new("a" * 64, "b" * 64, 0, 700, 300, shielded=True, unit=7,
                             owner_a=SpendingKey.generate().owner, owner_b=SpendingKey.generate().owner)
    return channel_settle_inputs(terms, 350, random_blinding())


#: built-in circuit name -> fn(params) -> inputs, made by the circuit's witness builder.
EXAMPLES = {
    "deposit": _deposit,
    "transfer": _transfer,
    "escrow_release": _escrow_release,
    "channel_update": _channel_update,
    "value_commitment": _value_commitment,
    "channel_settle": _channel_settle,
}


def _as_strings(value):
    if isinstance(value, (list, tuple)):
        return [_as_strings(v) for v in value]
    return str(int(value))


def example_input(name: str, params: dict) -> dict:
    """A valid input of built-in circuit ``name`` with parameters ``params`` (defaults filled in), as
    circom-style JSON (decimal strings, arrays as lists)."""
    from circuits import registry
    from zkescrow.errors import MalformedInput
    entry = registry.entry(name)
    builder = EXAMPLES.get(name)
    if builder is None:
        raise MalformedInput(f"no example input for circuit {name!r} (examples: {', '.join(sorted(EXAMPLES))})")
    inputs = builder({**entry.defaults, **params})
    return {key: _as_strings(value) for key, value in inputs.items()}
