"""The MDS security checks of the Poseidon reference script (``generate_parameters_grain.sage``).

A Cauchy matrix is always MDS, but some MDS matrices let an invariant subspace survive the partial rounds
("infinitely long subspace trails", Grassi–Rechberger–Schofnegger, eprint 2020/500).  The script draws Cauchy matrices
from the Grain stream until one passes three algorithms; this module is those algorithms over GF(p), s = 1 S-box per
partial round, written with plain lists of ints (the script uses Sage's linear algebra):

* ``algorithm_1``: for i = 1..t-1, M^i is not a scalar matrix; the subspace S_i of states that stay out of the S-box
  for i rounds meets the eigenspaces of M^i (eigenvalues in GF(p)) in nothing or everything; and M^j·S_i ≠ S_i (j ≤ i).
* ``algorithm_2``: e_0 is a cyclic vector of M (its Krylov space is all of GF(p)^t), so no proper invariant subspace
  avoids the S-box.
* ``algorithm_3``: ``algorithm_2`` holds for M^r, r = 2..4t.
"""
from __future__ import annotations

Matrix = list[list[int]]
Vector = list[int]


# --- linear algebra over GF(p) -----------------------------------------------------------------------------------

def mat_mul(a: Matrix, b: Matrix, p: int) -> Matrix:
    cols = list(zip(*b))
    return [[sum(x * y for x, y in zip(row, col)) % p for col in cols] for row in a]


def mat_vec(a: Matrix, v: Vector, p: int) -> Vector:
    return [sum(x * y for x, y in zip(row, v)) % p for row in a]


def identity(n: int) -> Matrix:
    return [[int(i == j) for j in range(n)] for i in range(n)]


def mat_pow(a: Matrix, e: int, p: int) -> Matrix:
    result = identity(len(a))
    base = a
    while e:
        if e & 1:
            result = mat_mul(result, base, p)
        base = mat_mul(base, base, p)
        e >>= 1
    return result


def mat_inv(a: Matrix, p: int) -> Matrix:
    """The inverse of a square matrix by Gauss–Jordan elimination; ValueError if singular."""
    n = len(a)
    rows = [list(row) + [int(i == j) for j in range(n)] for i, row in enumerate(a)]
    for col in range(n):
        pivot = next((r for r in range(col, n) if rows[r][col] % p), None)
        if pivot is None:
            raise ValueError("matrix is singular")
        rows[col], rows[pivot] = rows[pivot], rows[col]
        inv = pow(rows[col][col], -1, p)
        rows[col] = [x * inv % p for x in rows[col]]
        for r in range(n):
            if r != col and rows[r][col]:
                f = rows[r][col]
                rows[r] = [(x - f * y) % p for x, y in zip(rows[r], rows[col])]
    return [row[n:] for row in rows]


class Span:
    """A subspace of GF(p)^n kept as a reduced row-echelon basis, so equal subspaces have equal bases."""

    def __init__(self, n: int, p: int, vectors=()):
        self.n, self.p = n, p
        self.rows: list[Vector] = []      # reduced echelon rows
        self.pivots: list[int] = []
        for v in vectors:
            self.add(v)

    def _reduce(self, v: Vector) -> Vector:
        v = [x % self.p for x in v]
        for row, col in zip(self.rows, self.pivots):
            if v[col]:
                f = v[col]
                v = [(x - f * y) % self.p for x, y in zip(v, row)]
        return v

    def add(self, v: Vector) -> bool:
        """Add v; True if it enlarged the span."""
        v = self._reduce(v)
        col = next((i for i, x in enumerate(v) if x), None)
        if col is None:
            return False
        inv = pow(v[col], -1, self.p)
        v = [x * inv % self.p for x in v]
        for k, row in enumerate(self.rows):
            if row[col]:
                f = row[col]
                self.rows[k] = [(x - f * y) % self.p for x, y in zip(row, v)]
        at = next((k for k, c in enumerate(self.pivots) if c > col), len(self.pivots))
        self.rows.insert(at, v)
        self.pivots.insert(at, col)
        return True

    @property
    def dimension(self) -> int:
        return len(self.rows)

    def __eq__(self, other) -> bool:
        return isinstance(other, Span) and self.rows == other.rows

    def image(self, a: Matrix) -> "Span":
        return Span(self.n, self.p, (mat_vec(a, v, self.p) for v in self.rows))

    def annihilator(self) -> "Span":
        """{x : r·x = 0 for every row r}: the solution space of the echelon system."""
        free = [c for c in range(self.n) if c not in self.pivots]
        basis = []
        for f in free:
            x = [0] * self.n
            x[f] = 1
            for row, col in zip(self.rows, self.pivots):
                x[col] = -row[f] % self.p
            basis.append(x)
        return Span(self.n, self.p, basis)

    def intersection(self, other: "Span") -> "Span":
        both = Span(self.n, self.p, self.annihilator().rows + other.annihilator().rows)
        return both.annihilator()


def kernel(a: Matrix, n: int, p: int) -> Span:
    """The right kernel {x : a·x = 0} of a matrix with n columns."""
    return Span(n, p, a).annihilator()


# --- polynomials over GF(p), coefficient lists lowest degree first -----------------------------------------------

def _trim(f: list[int]) -> list[int]:
    while f and f[-1] == 0:
        f.pop()
    return f


def _poly_mod(f: list[int], g: list[int], p: int) -> list[int]:
    f = list(f)
    inv = pow(g[-1], -1, p)
    while len(f) >= len(g):
        q = f[-1] * inv % p
        shift = len(f) - len(g)
        for i, c in enumerate(g):
            f[shift + i] = (f[shift + i] - q * c) % p
        _trim(f)
    return f


def _poly_mul_mod(f: list[int], g: list[int], m: list[int], p: int) -> list[int]:
    if not f or not g:
        return []
    out = [0] * (len(f) + len(g) - 1)
    for i, a in enumerate(f):
        if a:
            for j, b in enumerate(g):
                out[i + j] += a * b
    return _poly_mod([c % p for c in out], m, p)


def _poly_pow_mod(base: list[int], e: int, m: list[int], p: int) -> list[int]:
    result, base = [1], _poly_mod(base, m, p)
    while e:
        if e & 1:
            result = _poly_mul_mod(result, base, m, p)
        base = _poly_mul_mod(base, base, m, p)
        e >>= 1
    return result


def _poly_gcd(f: list[int], g: list[int], p: int) -> list[int]:
    f, g = _trim(list(f)), _trim(list(g))
    while g:
        f, g = g, _poly_mod(f, g, p)
    inv = pow(f[-1], -1, p)
    return [c * inv % p for c in f]


def _poly_sub(f: list[int], g: list[int], p: int) -> list[int]:
    n = max(len(f), len(g))
    f, g = f + [0] * (n - len(f)), g + [0] * (n - len(g))
    return _trim([(a - b) % p for a, b in zip(f, g)])


def roots_in_field(f: list[int], p: int) -> list[int]:
    """The distinct roots in GF(p) of f (monic or not): gcd with x^p - x, then Cantor–Zassenhaus splitting."""
    f = _trim([c % p for c in f])
    if len(f) <= 1:
        return []
    linear_part = _poly_gcd(f, _poly_sub(_poly_pow_mod([0, 1], p, f, p), [0, 1], p), p)
    roots: list[int] = []
    pending = [linear_part]
    shift = 0
    while pending:
        g = pending.pop()
        if len(g) == 1:
            continue
        if len(g) == 2:
            roots.append(-g[0] * pow(g[1], -1, p) % p)
            continue
        while True:
            shift += 1
            h = _poly_gcd(g, _poly_sub(_poly_pow_mod([shift, 1], (p - 1) // 2, g, p), [1], p), p)
            if 1 < len(h) < len(g):
                pending.append(h)
                pending.append(_poly_divexact(g, h, p))
                break
    return sorted(roots)


def _poly_divexact(f: list[int], g: list[int], p: int) -> list[int]:
    f = list(f)
    inv = pow(g[-1], -1, p)
    q = [0] * (len(f) - len(g) + 1)
    while len(f) >= len(g) and f:
        c = f[-1] * inv % p
        shift = len(f) - len(g)
        q[shift] = c
        for i, b in enumerate(g):
            f[shift + i] = (f[shift + i] - c * b) % p
        _trim(f)
    return q


def characteristic_polynomial(a: Matrix, p: int) -> list[int]:
    """det(xI - a) by the Faddeev–LeVerrier recurrence (n < p, so dividing by k ≤ n is fine)."""
    n = len(a)
    coeffs = [0] * (n + 1)
    coeffs[n] = 1
    m = [[0] * n for _ in range(n)]
    for k in range(1, n + 1):
        m = mat_mul(a, m, p)
        for i in range(n):
            m[i][i] = (m[i][i] + coeffs[n - k + 1]) % p
        am = mat_mul(a, m, p)
        coeffs[n - k] = -sum(am[i][i] for i in range(n)) * pow(k, -1, p) % p
    return coeffs


# --- the three algorithms ------------------------------------------------------------------------------------------

def _trail_subspace(rounds: int, powers: list[Matrix], t: int, p: int) -> Span:
    """States whose first word stays S-box-free through `rounds` rounds (``generate_vectorspace``, s = 1)."""
    if rounds == 0:
        return Span(t, p, identity(t))
    if rounds == 1:
        return Span(t, p, identity(t)[1:])
    conditions = [powers[i][0][1:] for i in range(rounds - 1)]
    tail = kernel(conditions, t - 1, p)
    return Span(t, p, ([0] + v for v in tail.rows))


def algorithm_1(m: Matrix, p: int) -> bool:
    t = len(m)
    powers = [mat_pow(m, j + 1, p) for j in range(t + 1)]        # powers[j] = M^(j+1)
    whole = Span(t, p, identity(t))
    for i in range(1, t):
        mi = powers[i - 1]
        if all(mi[r][c] == (mi[0][0] if r == c else 0) for r in range(t) for c in range(t)):
            return False
        s = _trail_subspace(i, powers, t, p)
        invariant = Span(t, p)
        for lam in roots_in_field(characteristic_polynomial(mi, p), p):
            shifted = [[(x - lam) % p if r == c else x for c, x in enumerate(row)] for r, row in enumerate(mi)]
            for v in s.intersection(kernel(shifted, t, p)).rows:
                invariant.add(v)
        if invariant.dimension >= 1 and invariant != whole:
            return False
        for j in range(1, i + 1):
            if s.image(powers[j - 1]) == s:
                return False
    return True


def algorithm_2(m: Matrix, p: int) -> bool:
    t = len(m)
    krylov = Span(t, p, [identity(t)[0]])
    v = identity(t)[0]
    while krylov.dimension < t:
        v = mat_vec(m, v, p)
        if not krylov.add(v):
            return False
    return True


def algorithm_3(m: Matrix, p: int) -> bool:
    t = len(m)
    power = mat_mul(m, m, p)
    for _ in range(2, 4 * t + 1):
        if not algorithm_2(power, p):
            return False
        power = mat_mul(power, m, p)
    return True


def is_secure_mds(m: Matrix, p: int) -> bool:
    """True if the matrix passes all three checks of the reference script."""
    return algorithm_1(m, p) and algorithm_2(m, p) and algorithm_3(m, p)
