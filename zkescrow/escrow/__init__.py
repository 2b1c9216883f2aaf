"""The escrow protocol: the ledger, notes and wallets, the escrow enclave program, and the two escrow modes.

Modules: ``ledger`` (the public chain, SQLite), ``rules`` (what each transaction
must satisfy), ``transactions`` (kinds and encoding), ``proofs`` (circuit keys),
``attestation`` (enclave registration).  Importing this package imports none of them.
"""
