"""Soundness audit tools: honest witnesses for every escrow circuit, tampering, and a free-wire finder.

The attack tests (tests/test_soundness_*.py) never go through a witness builder
or the DSL's witness path to produce the malicious assignment: they take an honest
witness, change wire values directly and ask the compiled R1CS (``R1CS.check``)
whether it still holds.  ``free_single_wires`` does that for every wire at once:
for each wire it solves the constraints it appears in for any OTHER value that
keeps them all satisfied with the rest of the witness fixed.
"""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from gmpy2 import invert, mpz

import circuits.dsl.circuit as dsl_circuit
from circuits.crypto.eddsa import PrivateKey
from circuits.crypto.merkle import MerkleTree
from circuits.crypto.pedersen import random_blinding
from circuits.dsl.system import ConstraintSystem
from circuits.escrow.channel_update import ChannelState, ChannelUpdate, channel_update_inputs
from circuits.escrow.deposit import Deposit, deposit_inputs
from circuits.escrow.escrow_release import REFUND, RELEASE, EscrowRelease, escrow_release_inputs
from circuits.escrow.transfer import SpendInput, Transfer, transfer_inputs
from circuits.escrow.value_commitment import ValueCommitment, value_commitment_inputs
from circuits.notes import EscrowTerms, Note, SpendingKey, release_message
from circuits.registry import get, list_circuits
from zkescrow.bn254.constants import R
from zkescrow.errors import UnsatisfiedConstraint

DEPTH = 3
P = int(R)


# --- tampering ---------------------------------------------------------------------------------

def wire(circuit, name: str) -> int:
    """The wire id of the signal called ``main.<name>`` (e.g. "mode", "path[2]")."""
    names = circuit.compile().wire_names
    return names.index(f"main.{name}")


def wires_named(circuit, fragment: str) -> list[int]:
    """Wire ids whose signal name contains ``fragment``."""
    return [i for i, n in enumerate(circuit.compile().wire_names) if fragment in n]


def tampered(witness, changes: dict) -> list[int]:
    """A copy of ``witness`` with {wire: value} applied (values reduced mod r)."""
    w = list(witness)
    for i, v in changes.items():
        w[i] = int(v) % P
    return w


def accepts(circuit, witness) -> bool:
    """Whether the compiled constraint system of ``circuit`` accepts the full assignment ``witness``."""
    try:
        circuit.compile().check(witness)
    except UnsatisfiedConstraint:
        return False
    return True


def assert_rejected(circuit, witness, changes: dict) -> None:
    """The honest ``witness`` is accepted, the one with ``changes`` is not."""
    assert accepts(circuit, witness), "the honest witness must be accepted"
    assert not accepts(circuit, tampered(witness, changes)), f"R1CS accepts the tampered wires {changes}"


def failing(circuit, witness) -> list[str]:
    """The gadget paths of ALL constraints ``witness`` violates (R1CS.check stops at the first)."""
    r1cs = circuit.compile()
    w = [mpz(v) for v in witness]
    return [r1cs.origin(k) for k, (a, b, c) in enumerate(r1cs.constraints)
            if _lc(a, w) * _lc(b, w) % P != _lc(c, w)]


def assert_only_guard_fails(circuit, witness, guard: str) -> None:
    """The R1CS rejects ``witness``, and every violated constraint lies in a gadget whose path matches ``guard``.

    A forged witness that satisfies everything but one guard shows that this guard,
    and nothing incidental, is what stops the attack.
    """
    bad = failing(circuit, witness)
    assert bad, "the R1CS accepts the forged witness"
    assert not accepts(circuit, witness)
    stray = sorted({o for o in bad if not re.search(guard, o)})
    assert not stray, f"constraints outside {guard!r} fail too: {stray}"


# --- forging: the DSL's own define() run without its checks -----------------------------------

class _ForgingSystem(ConstraintSystem):
    """A witnessing ConstraintSystem that never checks a constraint and lets tests rewrite hint values.

    ``tweaks``: [(regex on "<gadget path>.<hint label>", fn(honest values, *args) -> values)].
    A hint that refuses its arguments (e.g. the inverse of 0) yields 0.
    """

    tweaks: list = []

    def _constrain(self, a, b, c, va, vb, vc, what):
        self.n_constraints += 1

    def hint(self, fn, *signals, n_out=1, name=None):
        label = name or (fn.__name__ if fn.__name__.isidentifier() else "hint")
        key = f"{self.path}.{label}"

        def forged(*args):
            try:
                out = fn(*args)
            except Exception:                      # noqa: BLE001 - a refusing hint is a free wire
                out = 0 if n_out == 1 else [0] * n_out
            for pattern, tweak in self.tweaks:
                if re.search(pattern, key):
                    out = tweak(out, *args)
            return out
        return super().hint(forged, *signals, n_out=n_out, name=label)


@contextmanager
def _forging(tweaks):
    saved = dsl_circuit.ConstraintSystem
    _ForgingSystem.tweaks = list(tweaks)
    dsl_circuit.ConstraintSystem = _ForgingSystem
    try:
        yield
    finally:
        dsl_circuit.ConstraintSystem = saved
        _ForgingSystem.tweaks = []


def forge(circuit, inputs: dict, tweaks=()) -> list[int]:
    """The full assignment the circuit's gadgets compute for ``inputs``, true statement or not.

    Nothing is checked on the way (the witness builders are bypassed and so are the
    DSL's per-constraint checks); ``tweaks`` replace hint outputs (see _ForgingSystem).
    """
    compiled = circuit._compiled()
    with _forging(tweaks):
        cs = circuit._run(True, circuit._parse_inputs(inputs))
    return [int(cs.values[w]) % P for w in compiled.kept]


# --- the single-wire freedom finder ------------------------------------------------------------

def _lc(lc, w):
    return sum(mpz(c) * w[i] for i, c in lc.items()) % P


def free_single_wires(r1cs, witness, wires=None) -> dict:
    """{wire: other value} for each wire that can take another value with all other wires fixed.

    Each constraint A·B = C is, in one wire t, (a0 + a1·t)(b0 + b1·t) = c0 + c1·t:
    a quadratic whose honest root t0 is known, so its other root (Vieta) is the
    only alternative it allows; a constraint in which t cancels allows anything.
    """
    w = [mpz(v) for v in witness]
    rows = {}
    for k, row in enumerate(r1cs.constraints):
        for lc in row:
            for i in lc:
                rows.setdefault(i, set()).add(k)
    values = {}
    out = {}
    for i in (range(1, r1cs.n_wires) if wires is None else wires):
        t0 = w[i]
        allowed = None                       # None: anything so far
        for k in rows.get(i, ()):
            if k not in values:
                values[k] = tuple(_lc(lc, w) for lc in r1cs.constraints[k])
            a, b, c = values[k]
            ra, rb, rc = (mpz(lc.get(i, 0)) for lc in r1cs.constraints[k])
            a0, b0, c0 = (a - ra * t0) % P, (b - rb * t0) % P, (c - rc * t0) % P
            q2 = ra * rb % P
            q1 = (a0 * rb + ra * b0 - rc) % P
            if q2:
                other = {(-q1 * invert(q2, P) - t0) % P}
            elif q1:
                other = set()
            elif (a0 * b0 - c0) % P == 0:
                continue                     # t does not occur: no restriction
            else:
                other = set()
            other.discard(t0)
            allowed = other if allowed is None else allowed & other
            if not allowed:
                break
        if allowed is None:
            out[i] = (t0 + 1) % P            # in no constraint at all
        elif allowed:
            out[i] = allowed.pop()
    return out


def undetermined_wires(r1cs, witness) -> list[int]:
    """Internal wires that the inputs do not pin down, by propagation from the inputs.

    A wire becomes known when a constraint whose other wires are known is linear in
    it with a non-zero coefficient (so it has one solution), or, for the hinted bits
    of one Num2Bits (or AliasCheck: bits.py names them "bit"), when each bit is constrained boolean and the constraint holding
    them all (the top bit's) has every other wire known: x = Σ 2^i·b_i with boolean
    b_i has one solution below 2^253, and the 254-bit case adds AliasCheck (whose
    own bits are again a Num2Bits group of a known sum).  What remains is either
    free or needs a closer look.
    """
    w = [mpz(v) for v in witness]
    n_inputs = 1 + r1cs.n_pub_out + r1cs.n_pub_in + r1cs.n_prv_in
    known = set(range(n_inputs))
    rows = r1cs.constraints
    wires_of = [set().union(*map(set, row)) - {0} for row in rows]
    by_wire = {}
    for k, ws in enumerate(wires_of):
        for i in ws:
            by_wire.setdefault(i, []).append(k)
    groups = {}
    for i in range(n_inputs, r1cs.n_wires):
        name = r1cs.wire_name(i)
        if re.search(r"\.bit\[\d+\]$", name):
            groups.setdefault(name.rsplit("[", 1)[0], set()).add(i)
    group_of = {i: g for g, ws in groups.items() for i in ws}
    changed = True
    while changed:
        changed = False
        for k, (a, b, c) in enumerate(rows):
            unknown = wires_of[k] - known
            if len(unknown) == 1:
                (i,) = unknown
                ra, rb, rc = (mpz(lc.get(i, 0)) for lc in (a, b, c))
                a0 = (_lc(a, w) - ra * w[i]) % P
                b0 = (_lc(b, w) - rb * w[i]) % P
                if ra * rb % P == 0 and (a0 * rb + ra * b0 - rc) % P:
                    known.add(i)
                    changed = True
            elif unknown and unknown <= group_of.keys():
                group = groups[group_of[next(iter(unknown))]]
                if unknown == group and all(any(wires_of[j] == {bit} for j in by_wire[bit]) for bit in group):
                    known |= group
                    changed = True
    return [i for i in range(r1cs.n_wires) if i not in known]


# --- honest statements -------------------------------------------------------------------------

def make_pool():
    """Alice's notes of 70 and 30 and Bob's of 11 in a depth-DEPTH tree."""
    alice, bob = SpendingKey.generate(), SpendingKey.generate()
    tree = MerkleTree(DEPTH)
    notes = [Note.new(70, alice.owner), Note.new(30, alice.owner), Note.new(11, bob.owner)]
    idx = [tree.append(n.commitment) for n in notes]
    return alice, bob, tree, notes, idx


def make_escrow():
    """An escrow note of 300 for a driver, a pole paid 3 per Wh and an enclave key, in a tree."""
    enclave = PrivateKey.generate()
    driver, pole = SpendingKey.generate(), SpendingKey.generate()
    terms = EscrowTerms(enclave.public_key, driver.owner, pole.owner, price_per_wh=3, session_id=77,
                        refund_height=100)
    note = Note.new(300, terms.owner)
    tree = MerkleTree(DEPTH)
    tree.append(Note.new(5, driver.owner).commitment)
    index = tree.append(note.commitment)
    return enclave, driver, pole, terms, note, tree, tree.path(index)


@pytest.fixture(scope="session")
def pool():
    return make_pool()


@pytest.fixture(scope="session")
def escrow():
    return make_escrow()


def transfer_statement(pool, public_amount=-5, dummy=False):
    alice, bob, tree, notes, idx = pool
    spends = [SpendInput(notes[0], alice, tree.path(idx[0]))]
    if not dummy:
        spends.append(SpendInput(notes[1], alice, tree.path(idx[1])))
    total = sum(s.note.value for s in spends) + public_amount
    return transfer_inputs(spends, [Note.new(total - 5, bob.owner), Note.new(5, alice.owner)],
                           root=tree.root, public_amount=public_amount, ext_data_hash=1234, depth=DEPTH)


def release_statement(escrow, energy=40, nonce=9):
    enclave, driver, pole, terms, note, tree, path = escrow
    sig = enclave.sign_poseidon(release_message(terms.session_id, energy, nonce, terms.nullifier(note, path.index)))
    return escrow_release_inputs(note, terms, path, root=tree.root, height=50, mode=RELEASE, energy_wh=energy,
                                 final_nonce=nonce, signature=sig, depth=DEPTH)


def refund_statement(escrow, height=100):
    enclave, driver, pole, terms, note, tree, path = escrow
    return escrow_release_inputs(note, terms, path, root=tree.root, height=height, mode=REFUND,
                                 driver_key=driver, depth=DEPTH)


CHANNEL = dict(deposit=1000, price=7, salt=4242)


def channel_statement(paid_old=70, packets=10, direction=0, nonce=5):
    step = packets * CHANNEL["price"] * (-1 if direction else 1)
    old = ChannelState(paid_old, random_blinding(), nonce)
    new = ChannelState(paid_old + step, random_blinding(), nonce + 1)
    return channel_update_inputs(CHANNEL["deposit"], CHANNEL["price"], CHANNEL["salt"], old, new, packets,
                                 direction)


def settle_statement(balance=350):
    """A shielded channel of 700 + 300 at 7 per unit, settled with B's balance at ``balance``."""
    from circuits.escrow.channel_settle import channel_settle_inputs
    from zkescrow.channel.terms import ChannelTerms
    terms = ChannelTerms.new("a" * 64, "b" * 64, 0, 700, 300, shielded=True, unit=7,
                             owner_a=SpendingKey.generate().owner, owner_b=SpendingKey.generate().owner)
    return terms, channel_settle_inputs(terms, balance, random_blinding())


def honest_cases(pool, escrow):
    """[(label, circuit, inputs)]: one or more honest statements per escrow circuit."""
    _registered()
    owner = SpendingKey.generate().owner
    return [
        ("deposit", Deposit(), deposit_inputs(Note.new(5, owner))),
        ("transfer", Transfer(depth=DEPTH), transfer_statement(pool).inputs),
        ("transfer-dummy", Transfer(depth=DEPTH), transfer_statement(pool, public_amount=9, dummy=True).inputs),
        ("release", EscrowRelease(depth=DEPTH), release_statement(escrow).inputs),
        ("refund", EscrowRelease(depth=DEPTH), refund_statement(escrow).inputs),
        ("channel", ChannelUpdate(), channel_statement()),
        ("value_commitment", ValueCommitment(), value_commitment_inputs(77, random_blinding())),
        ("channel_settle", get("channel_settle"), settle_statement()[1]),
    ]


# --- generic checks over every circuit ---------------------------------------------------------

def _registered():
    return list_circuits()


@pytest.mark.parametrize("name", [name for name, _ in _registered()])
def test_every_public_input_is_used_in_a_constraint(name):
    """A public input in no constraint says nothing: the prover may claim any value for it, and unless the
    setup adds snarkjs's extra public-input rows its QAP polynomials vanish, so anyone could change it in
    an existing proof.  Each circuit must constrain (or at least square-bind) every public input."""
    entry = dict(_registered())[name]
    params = {k: min(v, DEPTH) for k, v in entry.defaults.items() if k == "depth"}
    r1cs = get(name, **params).compile()
    used = set()
    for row in r1cs.constraints:
        for lc in row:
            used.update(w for w, c in lc.items() if c % P)
    public = range(1, 1 + r1cs.n_public)
    unused = [r1cs.wire_name(i) for i in public if i not in used]
    assert not unused, f"{name}: public signals in no constraint: {unused}"


@pytest.fixture(scope="session")
def honest(pool, escrow):
    return [(label, circuit, circuit.witness(inputs)) for label, circuit, inputs in honest_cases(pool, escrow)]


def test_no_private_wire_can_change_alone(honest):
    """For every escrow circuit no private input or internal wire has a second value with the rest fixed
    (e.g. a hint whose only constraint is a square, or an IsZero inverse with a non-zero input)."""
    for label, circuit, witness in honest:
        r1cs = circuit.compile()
        private = range(1 + r1cs.n_public, r1cs.n_wires)
        free = free_single_wires(r1cs, witness, private)
        assert not free, f"{label}: free wires {[r1cs.wire_name(i) for i in free]}"


def test_every_internal_wire_is_a_function_of_the_inputs(honest):
    for label, circuit, witness in honest:
        r1cs = circuit.compile()
        left = undetermined_wires(r1cs, witness)
        assert not left, f"{label}: {len(left)} wires not pinned by the inputs, e.g. {r1cs.wire_name(left[0])}"


def test_the_finders_find_free_wires():
    """The two finders are not vacuous: a hint constrained only by its square, an unconstrained bit and an
    input used only by hints."""
    from circuits.dsl import Circuit, Private, Public

    class Loose(Circuit):
        x = Public()
        y = Private()

        def define(self, cs):
            root = cs.hint(lambda v: v, self.y, name="root")
            cs.assert_product(root, root, self.x)          # ±root
            cs.hint(lambda v: v & 1, self.y, name="bit")    # never constrained

    circuit = Loose()
    w = circuit.witness({"x": 9, "y": 3})
    r1cs = circuit.compile()
    free = free_single_wires(r1cs, w, range(2, r1cs.n_wires))
    assert {r1cs.wire_name(i) for i in free} == {"main.y", "main.root[0]", "main.bit[0]"}   # y: only in hints
    assert free[wire(circuit, "root[0]")] == P - 3
    assert {r1cs.wire_name(i) for i in undetermined_wires(r1cs, w)} == {"main.root[0]", "main.bit[0]"}
