"""Selection gadgets (circomlib mux1.circom, switcher.circom / DualMux).

The selector is NOT constrained boolean here (as in circomlib's Mux1); callers
pass a bit they have already constrained, e.g. one from num2bits.
"""


def mux(cs, sel, a, b) -> "Signal":
    """sel ? b : a, i.e. a + sel·(b − a) (1 constraint)."""
    a = cs._signal(a)
    with cs.scope("Mux1"):
        return a + cs._signal(sel) * (cs._signal(b) - a)


def dual_mux(cs, sel, a, b) -> tuple:
    """(a, b) if sel = 0, (b, a) if sel = 1: the left/right pair of a Merkle path step (1 constraint)."""
    a, b = cs._signal(a), cs._signal(b)
    with cs.scope("DualMux"):
        t = cs._signal(sel) * (b - a)
        return a + t, b - t


#: A Merkle path step: ``left, right = swap(cs, index_bit, current, sibling)``.
swap = dual_mux
