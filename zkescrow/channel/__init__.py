"""Token streaming over payment channels: signed and Pedersen-committed balance proofs.

Modules: ``proofs`` (BalanceProof, ShieldedBalanceProof, StepProof), ``terms``
(ChannelTerms and the hashes the ledger binds), ``state`` (one party's Channel),
``controller`` (packet/payment synchronisation, a pure state machine),
``pricing`` (signed price signals), ``storage`` (a party's channel on disk), ``session`` (a Party: channel + controller as
bytes in/out), ``adjudicator`` with ``opening`` and ``contract`` (the ledger extension),
``funding`` (opening from shielded notes), ``transactions`` (transaction builders), ``settle_circuit`` (channel_settle), ``api`` (the
integration API for channel libraries), ``demo`` (the streaming demo).
Importing this package imports none of them.
"""
