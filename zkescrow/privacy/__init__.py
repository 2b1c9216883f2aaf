"""Privacy measured as an attacker would: a population on one ledger, an adversary, and its scores.

``population``   simulates drivers, poles, concurrent sessions and background traffic (``zkescrow simulate``)
``adversary``    links what the public ledger shows, and only that (``zkescrow observe``)
``evaluation``   scores the adversary's inferences against the ground truth (``zkescrow privacy-eval``)

This package sits above ``zkescrow.escrow`` and ``zkescrow.channel``: it plays their
sessions through their public APIs and never changes how they work.
"""
