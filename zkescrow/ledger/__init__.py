"""The ledger: the public chain, the shielded pool, accounts and wallets that the escrow and the channels share.

Modules, one job each:
``ledger``           a ``Ledger``: submit transactions, commit authority-signed blocks, read the chain
``blocks``           one block judged and written: batch proof checks, rules in order, public rejections, conservation
``genesis``          how a ledger begins: genesis accounts, the metadata its creation records, the genesis transaction
``headers``          block headers, Merkle inclusion proofs, ``HeaderChain`` (a light client); pure, enclave-measurable
``authority``        the authority key file, stored headers, inclusion proofs, integrity checks (``CorruptLedger``)
``verdicts``         one transaction's failure (an exception in a rule or a proof check) is only its own rejection
``parse``            strict parsing of body fields before any SQL
``rulebook``         a ledger's own ``Rulebook``: kinds -> rule, circuit and public-signal builder, tables, value holders
``rules``            the core kinds (genesis, transfer, shield, shielded_transfer, service and enclave registries)
``extensions``       the registry of ledger extensions by name ("escrow", "channel") and their installers
``backend``          ``ChainBackend``: the operations a chain-state backend provides
``sqlite_backend``   the first backend's reads, over ``store``
``store``            the SQLite file: tables, one SQLite transaction per block
``transactions``     ``Transaction`` (kind, body, Ed25519 signature bound to the chain id), txids, ext_data_hash
``codec``            canonical JSON encoding and digests
``attestation``      the enclave registration rule (quote, keys, policy)
``keys``             wallet keys: spending, viewing, payment addresses
``note_encryption``  note ciphertexts for the recipient's viewing key
``wallet``           a ``Wallet``: scan the note tree, shield, transfer, unshield
``denominations``    the fixed amounts ``shield`` accepts; cutting amounts into them
``proofs``           ``CircuitKeys``: the circuits' proving and verification keys, made once and cached
Importing this package imports none of them.

Rulebooks.  A ledger records the registry names of its extensions when it is created
(``Ledger.create(extensions=("escrow",))``, the default) and builds a fresh ``Rulebook``
from the core kinds and those extensions whenever it is opened.  Extensions add their
kinds with ``rulebook.add(kind, handler, circuit=..., public_signals=...)``, their tables
with ``add_schema`` and locked value with ``add_value_holder``; nothing is registered in
module globals, so a ledger without an extension rejects its kinds as unknown whatever
the process has imported.

Backends.  The chain state sits behind ``backend.ChainBackend``; the Ledger's reads go
through ``sqlite_backend.SqliteBackend``.  A second backend (an EVM chain through
web3.py) provides the same operations:

    submit(tx) -> txid, commit_block() -> BlockResult       write: queue, then the block that includes them
    height, tip_hash, blocks(start, end), recent_hashes(n)   blocks
    depth, root, recent_roots(), pool_value                  the shielded pool's tree and value
    is_spent(nullifier), commitments(since)                  nullifiers; note commitments with ciphertexts
    balance(address), nonce(address), total_value()          accounts and where the supply sits
    services(), enclave(enclave_id)                          the service and enclave registries
    transactions(start, end), rejections()                   event scan: accepted and rejected transactions
"""
