"""The escrow protocol: the escrow enclave program, the two escrow modes and the charging sessions.

It stands on ``zkescrow.ledger`` (chain, notes, wallets, keys) as a peer of ``zkescrow.channel``;
``ledger_rules`` is its ledger extension (escrow_open, escrow_payout, escrow_release), installed
into a ledger's rulebook under the registry name "escrow".  Importing this package imports none of its modules.
"""
