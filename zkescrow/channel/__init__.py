"""Token streaming over payment channels: signed and Pedersen-committed balance proofs.

A peer of the escrow protocol on the ledger (``zkescrow.ledger``): it imports nothing from the escrow package.
Its circuit, channel_settle, lives in ``circuits.escrow.channel_settle``.

Modules:
``proofs``          BalanceProof, ShieldedBalanceProof, StepProof, Opening
``terms``           ChannelTerms and the hashes the ledger and circuits bind
``state``           one party's Channel: pay, receive, countersign
``controller``      packet/payment synchronisation, a pure event-driven state machine
``pricing``         signed price signals (price and direction)
``session``         a Party: channel + controller, bytes in and bytes out
``storage``         a party's channel on disk
``adjudicator``     the ledger extension: ``install(rulebook)`` (with ``opening``, ``contract``, ``funding``)
``transactions``    builders of the channel's ledger transactions
``api``             the integration API for channel libraries
``demo``            the streaming demo
Importing this package imports none of them.
"""
