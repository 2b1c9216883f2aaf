"""Core ledger rules: what the kinds every ledger knows must satisfy, and what they change.

``BlockState`` is the state a block's transactions see and change (accounts, the
shielded pool, the registries); the ``_field``/``_int``/``_address`` checkers and
``_spend_common`` are shared with the extensions' handlers; they parse strictly
(``parse``) before any value reaches SQL.  Each proof-carrying
kind assembles its public inputs from the body (the ledger never trusts a submitted
list).  ``install_core`` adds the core kinds to a ledger's ``Rulebook``, whose
``apply`` checks one transaction and applies it or raises ``TransactionRejected``.
Proofs are verified before, a block's proofs in batches (``Ledger.commit_block``).
"""
from __future__ import annotations

import re

from circuits.notes import MAX_VALUE, to_field
from zkescrow.errors import InvalidSignature, MerkleTreeFull, TransactionRejected, ZkEscrowError

from . import parse
from .note_encryption import CIPHERTEXT_HEX_LENGTH
from .transactions import Transaction, ext_data_hash

#: Largest amount a body may carry: the circuits' value bound, within what SQLite stores as INTEGER.
VALUE_MAX = min(MAX_VALUE, parse.SQL_INT_MAX)
_CIPHERTEXT = re.compile(f"^[0-9a-f]{{{CIPHERTEXT_HEX_LENGTH}}}$")
#: How many recent blocks' hashes an enclave registration may use as its freshness nonce.
NONCE_WINDOW = 16


def _reject(reason: str):
    raise TransactionRejected(reason)


def _int(body: dict, name: str, *, low: int = 0, high: int = VALUE_MAX) -> int:
    """An int in [low, high]: a Python int or a canonical decimal string (``parse.integer``)."""
    return parse.integer(body.get(name), name, low=low, high=high)


def _field(body: dict, name: str) -> int:
    from zkescrow.bn254.constants import R
    return _int(body, name, high=int(R) - 1)


def _fields(body: dict, name: str, n: int) -> list[int]:
    values = parse.items(body.get(name), name, n=n)
    return [_field({f"{name}[{i}]": v}, f"{name}[{i}]") for i, v in enumerate(values)]


def _address(body: dict, name: str) -> str:
    return parse.hex_string(body.get(name), f"{name} (an address)", length=64)


class BlockState:
    """The ledger state seen and changed by the transactions of one block (inside its SQLite transaction)."""

    #: The ledger's chain id (set by the ledger; "" while block 0 makes it): what signatures must bind.
    chain_id = ""
    #: The amounts ``shield`` accepts (set by the ledger from its metadata); None: any amount (older ledgers).
    denominations: frozenset | None = None

    def __init__(self, db, height: int, frontier, roots, pool_value: int, recent_hashes: list[str],
                 enclave_policy=None):
        self.db = db
        self.height = height
        self.frontier = frontier
        self.roots = roots
        self.pool_value = pool_value
        self.recent_hashes = recent_hashes
        self.enclave_policy = enclave_policy
        self.spent_in_block: set[int] = set()

    # --- accounts ------------------------------------------------------------------------
    def account(self, address: str):
        return self.db.execute("SELECT balance, nonce FROM accounts WHERE address = ?", (address,)).fetchone()

    def credit(self, address: str, amount: int) -> None:
        self.db.execute("INSERT INTO accounts(address, balance, nonce) VALUES (?, ?, 0) "
                        "ON CONFLICT(address) DO UPDATE SET balance = balance + excluded.balance", (address, amount))

    def debit_signed(self, tx: Transaction, address: str, amount: int) -> None:
        """Check the signature and nonce of ``address`` on ``tx``, then take ``amount`` from it."""
        _verify(self, tx, address)
        row = self.account(address)
        if row is None:
            _reject(f"account {address[:16]}… does not exist")
        if _int(tx.body, "nonce", high=parse.SQL_INT_MAX) != row["nonce"]:
            _reject(f"nonce {tx.body.get('nonce')} is not the account's next nonce {row['nonce']}")
        if row["balance"] < amount:
            _reject(f"balance {row['balance']} is less than {amount}")
        self.db.execute("UPDATE accounts SET balance = balance - ?, nonce = nonce + 1 WHERE address = ?",
                        (amount, address))

    # --- shielded pool -------------------------------------------------------------------
    def require_known_root(self, root: int) -> None:
        if root not in self.roots:
            _reject(f"Merkle root {str(root)[:20]}… is not one of the last {self.roots.capacity} roots")

    def spend(self, nullifiers: list[int], txid: str) -> None:
        if len(set(nullifiers)) != len(nullifiers):
            _reject("the same nullifier appears twice in one transaction")
        for nf in nullifiers:
            if nf in self.spent_in_block or self.db.execute(
                    "SELECT 1 FROM nullifiers WHERE nullifier = ?", (str(nf),)).fetchone():
                _reject(f"nullifier {str(nf)[:20]}… is already spent (double spend)")
        for nf in nullifiers:
            self.spent_in_block.add(nf)
            self.db.execute("INSERT INTO nullifiers(nullifier, txid) VALUES (?, ?)", (str(nf), txid))

    def add_notes(self, commitments: list[int], ciphertexts, txid: str) -> None:
        if not isinstance(ciphertexts, list) or len(ciphertexts) != len(commitments) or \
                not all(isinstance(c, str) and _CIPHERTEXT.match(c) for c in ciphertexts):
            _reject(f"expected {len(commitments)} note ciphertexts of {CIPHERTEXT_HEX_LENGTH} hex digits each "
                    f"(one length for every note, so that no length tells a value)")
        for cm, ct in zip(commitments, ciphertexts):
            try:
                position = self.frontier.append(cm)
            except MerkleTreeFull:
                _reject(f"the note tree is full ({self.frontier.capacity} leaves)")
            self.db.execute("INSERT INTO commitments(position, commitment, ciphertext, txid) VALUES (?, ?, ?, ?)",
                            (position, str(cm), ct, txid))


def _verify(state: BlockState, tx: Transaction, public_key_hex: str, prefix: bytes = b"") -> None:
    """TransactionRejected unless ``tx`` is signed by ``public_key_hex`` for this ledger (its chain id)."""
    try:
        tx.verify_signature(public_key_hex, state.chain_id, prefix=prefix)
    except InvalidSignature as exc:
        _reject(str(exc))


# --- one function per kind ------------------------------------------------------------------

def _genesis(state: BlockState, tx: Transaction) -> None:
    if state.height != 0:
        _reject("genesis is only valid in block 0")
    accounts = parse.obj(tx.body.get("accounts"), "accounts")
    recorded = tx.body.get("denominations")
    expected = None if state.denominations is None else sorted(state.denominations)
    if recorded != expected:
        _reject(f"genesis denominations {recorded!r} are not the ledger's {expected!r}")
    for address, amount in accounts.items():
        state.credit(_address({"a": address}, "a"), _int({"v": amount}, "v"))


def _transfer(state: BlockState, tx: Transaction) -> None:
    b = tx.body
    source, target, amount = _address(b, "from"), _address(b, "to"), _int(b, "amount", low=1)
    state.debit_signed(tx, source, amount)
    state.credit(target, amount)


def _register_service(state: BlockState, tx: Transaction) -> None:
    b = tx.body
    operator = _address(b, "operator")
    pole_id = parse.text(b.get("pole_id"), "pole_id", max_len=64)
    location = b.get("location")
    if not isinstance(location, str) or len(location) > 256:
        _reject("location must be text of at most 256 characters")
    price, meter_key = _int(b, "price_per_wh", low=1, high=2**32 - 1), _address(b, "meter_key")
    state.debit_signed(tx, operator, 0)
    if state.db.execute("SELECT 1 FROM services WHERE pole_id = ?", (pole_id,)).fetchone():
        _reject(f"pole {pole_id} is already registered")
    state.db.execute("INSERT INTO services(pole_id, operator, price_per_wh, location, meter_key, txid) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (pole_id, operator, price, location, meter_key, tx.txid))


def _register_enclave(state: BlockState, tx: Transaction) -> None:
    from .attestation import check_registration
    if state.enclave_policy is None:
        _reject("this ledger has no enclave policy: it registers no enclaves")
    try:
        record = check_registration(tx.body, state.enclave_policy, state.recent_hashes)
    except ZkEscrowError as exc:
        _reject(f"enclave quote rejected: {exc}")
    if state.db.execute("SELECT 1 FROM enclaves WHERE enclave_id = ?", (record["enclave_id"],)).fetchone():
        _reject("this enclave is already registered")
    state.db.execute("INSERT INTO enclaves(enclave_id, measurement, signing_key, eddsa_key, box_key, quote, verdict, "
                     "txid) VALUES (:enclave_id, :measurement, :signing_key, :eddsa_key, :box_key, :quote, :verdict, "
                     ":txid)", {**record, "txid": tx.txid})


def _shield(state: BlockState, tx: Transaction) -> None:
    b = tx.body
    amount = _int(b, "amount", low=1)
    if state.denominations is not None and amount not in state.denominations:
        _reject(f"shield amount {amount} is not one of this ledger's denominations "
                f"({', '.join(f'{d:,}' for d in sorted(state.denominations))})")
    state.debit_signed(tx, _address(b, "from"), amount)
    state.add_notes([_field(b, "commitment")], [b.get("ciphertext")], tx.txid)
    state.pool_value += amount


def _spend_common(state: BlockState, tx: Transaction) -> int:
    b = tx.body
    state.require_known_root(_field(b, "root"))
    state.spend(_fields(b, "nullifiers", 2), tx.txid)
    state.add_notes(_fields(b, "commitments", 2), b.get("ciphertexts"), tx.txid)
    return _int(b, "public_amount", low=-VALUE_MAX)


def _shielded_transfer(state: BlockState, tx: Transaction) -> None:
    b = tx.body
    amount = _int(b, "public_amount", low=-VALUE_MAX)
    if amount > 0:
        _reject("a shielded transfer cannot bring value into the pool (use shield)")
    recipient = _address(b, "recipient") if amount < 0 else None
    _spend_common(state, tx)
    if recipient:
        state.credit(recipient, -amount)
        state.pool_value += amount


def transfer_signals(tx: Transaction, bound: tuple[str, ...] | None = None) -> list[int]:
    """Public inputs of a ``transfer`` proof: root, public amount, asset, ext_data_hash, nullifiers, commitments.

    Kinds built on the join-split (escrows, channels funded from notes) use it too; ``bound`` names the
    body fields their proof binds (default: ``transactions.EXT_FIELDS[kind]``).
    """
    b = tx.body
    amount = _int(b, "public_amount", low=-MAX_VALUE)
    return [_field(b, "root"), to_field(amount), _field(b, "asset"), ext_data_hash(tx.kind, b, bound),
            *_fields(b, "nullifiers", 2), *_fields(b, "commitments", 2)]


def _shield_signals(tx: Transaction) -> list[int]:
    b = tx.body
    return [_field(b, "commitment"), _int(b, "amount"), _field(b, "asset")]


def install_core(rulebook) -> None:
    """The kinds every ledger knows: genesis, transfers, the shielded pool, and the service/enclave registries."""
    rulebook.add("genesis", _genesis)
    rulebook.add("transfer", _transfer)
    rulebook.add("register_service", _register_service)
    rulebook.add("register_enclave", _register_enclave)
    rulebook.add("shield", _shield, circuit="deposit", public_signals=_shield_signals)
    rulebook.add("shielded_transfer", _shielded_transfer, circuit="transfer", public_signals=transfer_signals)
