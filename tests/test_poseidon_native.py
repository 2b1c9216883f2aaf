"""Native Poseidon: circomlibjs test vectors, sparse form == literal form, input checks, constants generation."""
import json
import random

import pytest

from circuits.crypto import grain, mds_checks
from circuits.crypto.poseidon import (MAX_INPUTS, permute, permute_reference, poseidon, poseidon_ex,
                                      poseidon_reference)
from circuits.crypto.poseidon_constants import PARTIAL_ROUNDS, optimized, params
from zkescrow.bn254.constants import R
from zkescrow.errors import InvalidFieldElement, MalformedInput

# circomlibjs test/poseidon.js and zk-interop.md §10
VECTORS = [
    ([1, 2], 7853200120776062878684798364095072458815029376092732009249414926327459813530),
    ([1], 18586133768512220936620570745912940619677854269274689475585506675881198879027),
    ([1, 2, 3, 4], 0x299c867db6c1fdd79dcefa40e4510b9837e60ebb1ce0663dbaa525df65250465),
    (list(range(1, 17)), 9989051620750914585850546081941653841776809718687451684622678807385399211877),
    ([0, 0], 14744269619966411208579211824598458697587494354926760081771325075741142829156),
]


@pytest.mark.parametrize("inputs, expected", VECTORS)
def test_circomlibjs_vectors(inputs, expected):
    assert poseidon(inputs) == expected
    assert poseidon_reference(inputs) == expected


def test_hex_vector_of_interop_doc():
    assert poseidon([1, 2]) == 0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a


@pytest.mark.parametrize("t", range(2, 18))
def test_sparse_form_equals_literal_rounds(t):
    rng = random.Random(t)
    for _ in range(3):
        state = [rng.randrange(R) for _ in range(t)]
        assert permute(state) == permute_reference(state)
    edge = [R - 1] * t
    assert permute(edge) == permute_reference(edge)


def test_poseidon_ex_is_the_permutation_prefix():
    rng = random.Random(7)
    inputs = [rng.randrange(R) for _ in range(4)]
    init = rng.randrange(R)
    full = permute_reference([init, *inputs])
    assert poseidon_ex(inputs, init, 5) == full
    assert poseidon_ex(inputs, init, 2) == full[:2]
    assert poseidon_ex(inputs) == [poseidon(inputs)]


def test_results_are_plain_ints_in_field():
    h = poseidon([5, 6])
    assert type(h) is int and 0 <= h < R


@pytest.mark.parametrize("bad", [[R], [1, R + 5], [-1], [2**256]])
def test_out_of_range_inputs_rejected(bad):
    with pytest.raises(InvalidFieldElement):
        poseidon(bad)


@pytest.mark.parametrize("bad", [[1.0], ["1"], [True], [None]])
def test_non_integer_inputs_rejected(bad):
    with pytest.raises(InvalidFieldElement):
        poseidon(bad)


def test_arity_and_outputs_checked():
    with pytest.raises(MalformedInput):
        poseidon([])
    with pytest.raises(MalformedInput):
        poseidon(list(range(MAX_INPUTS + 1)))
    with pytest.raises(MalformedInput):
        poseidon_ex([1, 2], 0, 4)
    with pytest.raises(InvalidFieldElement):
        poseidon_ex([1, 2], R, 1)


def test_inputs_are_not_reduced_silently():
    # x and x + r must not hash alike: the second is refused
    assert poseidon([R - 1])
    with pytest.raises(InvalidFieldElement):
        poseidon([2 * R - 1])


def test_shipped_constants_have_circomlib_shape():
    for t in range(2, 18):
        p = params(t)
        assert p.partial_rounds == PARTIAL_ROUNDS[t - 2]
        assert len(p.round_constants) == 8 + p.partial_rounds
        assert all(len(row) == t for row in p.round_constants)
        assert len(p.mds) == t and all(len(row) == t for row in p.mds)
        assert all(0 <= c < R for row in p.round_constants for c in row)
    with pytest.raises(ValueError):
        params(18)


def test_optimized_form_shape():
    o = optimized(3)
    assert len(o.partial) == 57
    assert len(o.full_first) == 3 and len(o.full_last) == 3
    assert all(len(row_rest) == 2 and len(col) == 2 for _, _, row_rest, col in o.partial)


# --- Grain LFSR --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("t", [2, 3])
def test_grain_regenerates_shipped_constants(t):
    constants, matrix = grain.generate(t)
    p = params(t)
    assert constants == [c for row in p.round_constants for c in row]
    assert matrix == [list(row) for row in p.mds]


def test_grain_seed_layout_and_determinism():
    a = grain.GrainLFSR(1, 0, 254, 3, 8, 57)
    b = grain.GrainLFSR(1, 0, 254, 3, 8, 57)
    c = grain.GrainLFSR(1, 0, 254, 4, 8, 56)
    first = a.bits(64)
    assert first == b.bits(64)
    assert first != c.bits(64)
    with pytest.raises(ValueError):
        grain.GrainLFSR(1, 0, 254, 1 << 12, 8, 57)   # t does not fit its 12 bits


def test_grain_cli_writes_a_loadable_file(tmp_path):
    out = tmp_path / "c.json"
    assert grain.main(["-t", "2", "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["C"]["2"] == [hex(c) for row in params(2).round_constants for c in row]
    assert doc["partial_rounds"] == list(PARTIAL_ROUNDS)


@pytest.mark.slow
def test_grain_regenerates_the_whole_shipped_file():
    from circuits.crypto import poseidon_constants
    shipped = json.loads(poseidon_constants._DATA_FILE.read_text())
    assert grain.parameter_set() == shipped


# --- MDS checks ----------------------------------------------------------------------------------------------------

P = int(R)


def test_shipped_matrices_pass_the_security_checks():
    for t in (2, 3, 5):
        assert mds_checks.is_secure_mds([list(map(int, row)) for row in params(t).mds], P)


def test_checks_reject_a_matrix_with_an_invariant_subspace():
    # e_0 stays inside span(e_0, e_1): a subspace trail that never activates the S-box of words 2..
    block = [[2, 3, 0], [5, 7, 0], [0, 0, 11]]
    assert not mds_checks.algorithm_2(block, P)
    assert not mds_checks.is_secure_mds(block, P)


def test_checks_reject_scalar_and_eigenvector_trails():
    assert not mds_checks.algorithm_1([[5, 0], [0, 5]], P)                    # M itself is 5·I
    # a swap of words 0 and 1: e_2 is an eigenvector that never enters the S-box
    assert not mds_checks.algorithm_1([[0, 1, 0], [1, 0, 0], [0, 0, 1]], P)


def test_checks_reject_a_power_that_is_not_cyclic():
    m = [[0, 1], [5, 0]]   # cyclic itself, but M² = 5·I is not
    assert mds_checks.algorithm_2(m, P)
    assert not mds_checks.algorithm_3(m, P)


def test_polynomial_helpers():
    # (x-2)(x-3)(x-p+1) and a polynomial without roots, x² - 5 (5 is not a square mod r)
    assert mds_checks.roots_in_field([6, P - 5, 1], P) == [2, 3]
    f = [P - 5, 0, 1]
    assert mds_checks.roots_in_field(f, P) == []
    a = [[1, 2], [3, 4]]
    assert mds_checks.characteristic_polynomial(a, P) == [P - 2, P - 5, 1]
    inv = mds_checks.mat_inv(a, P)
    assert mds_checks.mat_mul(a, inv, P) == mds_checks.identity(2)
