"""A shielded wallet: finds its notes on the ledger and builds the transactions that spend them.

``scan`` reads the note commitments added since the last scan, mirrors them into
a local Merkle tree (for spend paths) and keeps those whose ciphertext opens with
the wallet's viewing key to a note it owns; a note is spent once its nullifier
is on the ledger.  Builders return ``Transaction`` objects ready to ``submit``;
proofs are made with the ledger's circuit keys (``proofs.CircuitKeys``).

Shields come in the ledger's denominations: ``shield_split`` cuts an amount into them;
``prefund`` shields notes of standard deposit sizes ahead of use and ``prefund_from_pool``
cuts one from notes already held, so funding an escrow later spends one whole (``select``
prefers a note of exactly the amount) with no shield right before it.
"""
from __future__ import annotations

from dataclasses import dataclass

from circuits.crypto.merkle import MerkleTree
from circuits.escrow.deposit import deposit_inputs
from circuits.escrow.transfer import SpendInput, transfer_inputs
from circuits.notes import NATIVE_ASSET, Note
from zkescrow.errors import MalformedInput, WitnessError

from . import denominations
from .keys import PaymentAddress, WalletKeys
from .note_encryption import dummy_ciphertext, encrypt_note, try_decrypt
from .transactions import Transaction, ext_data_hash


@dataclass
class OwnedNote:
    """A note this wallet can spend, where it sits in the tree, and its nullifier."""

    note: Note
    position: int
    nullifier: int
    spent: bool = False


class Wallet:
    """Notes and transactions of one participant on one ledger (see the module docstring)."""

    def __init__(self, keys: WalletKeys, ledger, circuit_keys):
        self.keys = keys
        self.ledger = ledger
        self.circuit_keys = circuit_keys
        self.tree = MerkleTree(ledger.depth)
        self._notes: dict[int, OwnedNote] = {}
        self._positions: dict[int, int] = {}        # commitment -> its first position in the tree
        #: (circuit, seconds) of every proof this wallet made, for reports.
        self.proof_times: list[tuple[str, float]] = []
        self._next_nonce = 0

    # --- finding notes -------------------------------------------------------------------------

    def scan(self) -> list[OwnedNote]:
        """Read new commitments from the ledger; returns the notes found for this wallet."""
        found = []
        for position, commitment, ciphertext in self.ledger.commitments(len(self.tree)):
            self.tree.append(commitment)
            self._positions.setdefault(commitment, position)
            note = try_decrypt(ciphertext, self.keys.viewing) if ciphertext else None
            if note is not None and note.commitment == commitment and note.owner == self.keys.owner:
                owned = OwnedNote(note, position, note.nullifier(self.keys.spending.nullifier_key, position))
                self._notes[position] = owned
                found.append(owned)
        for owned in self._notes.values():
            if not owned.spent and self.ledger.is_spent(owned.nullifier):
                owned.spent = True
        return found

    def adopt(self, note: Note) -> OwnedNote | None:
        """Keep ``note``, whose opening this wallet learned outside its ciphertext (e.g. rebuilt from a
        settlement's terms), if its commitment is on the ledger and this wallet owns it; else None."""
        self.scan()
        if note.owner != self.keys.owner:
            return None
        position = self._positions.get(note.commitment)
        if position is None:
            return None
        if position not in self._notes:
            self._notes[position] = OwnedNote(note, position, note.nullifier(self.keys.spending.nullifier_key,
                                                                             position))
            self.scan()
        return self._notes[position]

    def notes(self) -> list[OwnedNote]:
        """Unspent notes, largest first."""
        return sorted((n for n in self._notes.values() if not n.spent), key=lambda n: -n.note.value)

    def balance(self) -> int:
        """Shielded balance: the sum of unspent notes."""
        return sum(n.note.value for n in self.notes())

    def transparent_balance(self) -> int:
        return self.ledger.balance(self.keys.address)

    def next_nonce(self) -> int:
        """The account nonce for the next signed transaction (counts ones built but not yet in a block)."""
        nonce = max(self.ledger.nonce(self.keys.address), self._next_nonce)
        self._next_nonce = nonce + 1
        return nonce

    def merkle_path(self, position: int):
        return self.tree.path(position)

    def select(self, amount: int) -> list[OwnedNote]:
        """At most two unspent notes worth at least ``amount``: one of exactly ``amount`` if there is one
        (a pre-funded note, spent whole with no change), else the largest."""
        notes = self.notes()
        exact = [n for n in notes if n.note.value == amount]
        if exact:
            return exact[-1:]
        for k in (1, 2):
            if sum(n.note.value for n in notes[:k]) >= amount:
                chosen = notes[:k]
                while len(chosen) > 1 and chosen[-1].note.value and sum(n.note.value for n in chosen[:-1]) >= amount:
                    chosen.pop()
                return chosen
        raise WitnessError(f"insufficient shielded funds: need {amount}, the two largest of "
                           f"{len(notes)} notes hold {sum(n.note.value for n in notes[:2])}")

    # --- building transactions ---------------------------------------------------------------

    def _prove(self, circuit: str, inputs: dict):
        proof, public, seconds = self.circuit_keys.prove(circuit, inputs)
        self.proof_times.append((circuit, seconds))
        return proof

    def shield(self, amount: int) -> Transaction:
        """Move ``amount`` from this wallet's transparent account into a new note of its own."""
        note = Note.new(amount, self.keys.owner)
        proof = self._prove("deposit", deposit_inputs(note))
        body = {"from": self.keys.address, "nonce": self.next_nonce(), "amount": amount,
                "asset": NATIVE_ASSET, "commitment": str(note.commitment),
                "ciphertext": encrypt_note(note, bytes(self.keys.viewing.public_key)), "proof": proof}
        return Transaction("shield", body).signed(self.keys.account, self.ledger.chain_id)

    def shield_split(self, amount: int) -> list[Transaction]:
        """Shield ``amount`` as one ``shield`` per piece of it in the ledger's denominations (fewest pieces);
        a ledger without denominations takes it in one piece."""
        allowed = self.ledger.denominations
        pieces = [amount] if allowed is None else denominations.split(amount, allowed)
        return [self.shield(piece) for piece in pieces]

    def prefund(self, deposits) -> list[Transaction]:
        """Notes of exactly the standard ``deposits`` (each a denomination), shielded ahead of use, so that
        funding a session later spends one of them whole (``select``) with no shield right before it."""
        allowed = self.ledger.denominations
        deposits = list(deposits)
        for d in deposits:
            if allowed is not None and d not in allowed:
                raise MalformedInput(f"deposit {d:,} is not one of the ledger's denominations")
        return [self.shield(d) for d in deposits]

    def prefund_from_pool(self, deposit: int) -> Transaction:
        """A note of exactly ``deposit`` (a denomination) cut from this wallet's shielded notes, change back to
        itself: a shielded_transfer like any payment, so value already in the pool (refunds, change) becomes a
        standard deposit note with no shield at all."""
        allowed = self.ledger.denominations
        if allowed is not None and deposit not in allowed:
            raise MalformedInput(f"deposit {deposit:,} is not one of the ledger's denominations")
        spends = [n for n in self.notes() if n.note.value != deposit][:2]
        if sum(n.note.value for n in spends) < deposit:
            raise WitnessError(f"insufficient shielded funds outside notes of {deposit:,} to cut one")
        spends = spends[:1] if spends[0].note.value >= deposit else spends
        view = bytes(self.keys.viewing.public_key)
        change = sum(n.note.value for n in spends) - deposit
        outputs = [(Note.new(deposit, self.keys.owner), view)] + ([(Note.new(change, self.keys.owner), view)]
                                                                   if change else [])
        return self.build_transfer(spends, outputs, 0, "shielded_transfer", {"recipient": None})

    def prefunded(self, amount: int) -> int:
        """How many unspent notes of exactly ``amount`` this wallet holds (after its last ``scan``)."""
        return sum(1 for n in self.notes() if n.note.value == amount)

    def send(self, to: PaymentAddress, amount: int) -> Transaction:
        """A shielded payment of ``amount`` to ``to`` (change back to this wallet)."""
        spends = self.select(amount)
        change = sum(n.note.value for n in spends) - amount
        outputs = [(Note.new(amount, to.owner), to.viewing_public)]
        if change:
            outputs.append((Note.new(change, self.keys.owner), bytes(self.keys.viewing.public_key)))
        return self.build_transfer(spends, outputs, 0, "shielded_transfer", {"recipient": None})

    def unshield(self, amount: int, recipient: str) -> Transaction:
        """Take ``amount`` out of the pool into the transparent account ``recipient``."""
        spends = self.select(amount)
        change = sum(n.note.value for n in spends) - amount
        outputs = [(Note.new(change, self.keys.owner), bytes(self.keys.viewing.public_key))] if change else []
        return self.build_transfer(spends, outputs, -amount, "shielded_transfer", {"recipient": recipient})

    def build_transfer(self, spends: list[OwnedNote], outputs: list[tuple[Note, bytes | None]],
                       public_amount: int, kind: str, extra_body: dict, *, prover_key=None,
                       bound: tuple[str, ...] | None = None,
                       spend_inputs: list[SpendInput] | None = None) -> Transaction:
        """A transfer-circuit transaction of ``kind`` spending ``spends`` into ``outputs``.

        ``outputs`` pairs each note template with the viewing key to encrypt it to
        (None: nobody); its ρ is derived from the first nullifier here.
        ``extra_body`` holds the kind's other fields (recipient, escrow terms…), bound
        into the proof through ext_data_hash (``bound`` names them when ``EXT_FIELDS``
        does not know ``kind``).  ``prover_key`` spends with another spending key (e.g. none: outputs
        only); ``spend_inputs`` gives the inputs outright instead of ``spends`` (e.g. the zero-value
        inputs an escrow payout derives from its escrow).
        """
        key = prover_key or self.keys.spending
        if spend_inputs is None:
            spend_inputs = [SpendInput(n.note, key, self.tree.path(n.position)) for n in spends]
        statement = transfer_inputs(spend_inputs, [note for note, _ in outputs], root=self.tree.root,
                                    public_amount=public_amount, depth=self.ledger.depth)
        views = [view for _, view in outputs] + [None] * 2
        ciphertexts = [encrypt_note(final, view) if view else dummy_ciphertext()
                       for final, view in zip(statement.output_notes, views)]
        public = statement.public
        body = {"root": str(public["root"]), "nullifiers": [str(x) for x in public["nullifiers"]],
                "commitments": [str(x) for x in public["commitments"]], "public_amount": public_amount,
                "asset": public["asset"], "ciphertexts": ciphertexts, **extra_body}
        inputs = dict(statement.inputs, ext_data_hash=ext_data_hash(kind, body, bound))
        body["proof"] = self._prove("transfer", inputs)
        self.last_output_notes = statement.output_notes
        return Transaction(kind, body)
