"""MSM inputs for tests that compare an MSM variant with zkescrow's: distinct points and awkward scalars."""
from zkescrow.bn254.constants import R


def points(n, rnd, G, add, mul):
    """``n`` distinct multiples of ``G``: G + k·s, G + 2k·s, … for a random step s."""
    step = mul(G, rnd.randrange(1, R))
    out, cur = [], G
    for _ in range(n):
        cur = add(cur, step)
        out.append(cur)
    return out


def scalars(n, rnd):
    """``n`` scalars, about 30 % of them edge cases (0, 1, 2, r − 1, r − 2, 2^64 − 1, around r/2)."""
    pool = [0, 1, 2, R - 1, R - 2, (1 << 64) - 1, R // 2, R // 2 + 1]
    return [rnd.choice(pool) if rnd.random() < 0.3 else rnd.randrange(R) for _ in range(n)]
