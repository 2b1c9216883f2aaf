"""The iden3 container, .r1cs v1, .wtns v2 and .sym: lossless round trips and precise rejections."""
import struct

import pytest
from hypothesis import given, settings, strategies as st

from zkescrow.bn254.constants import R
from zkescrow.errors import MalformedFile, MalformedInput
from zkescrow.formats import (SymEntry, r1cs_to_bytes, read_r1cs, read_sym, read_wtns, write_r1cs,
                              write_sym, write_wtns, wtns_to_bytes)
from zkescrow.formats.binfile import build_binfile, parse_binfile
from zkescrow.r1cs import R1CS

r = int(R)
field = st.integers(0, r - 1)


@st.composite
def r1cs_systems(draw):
    n_out, n_pub, n_prv = (draw(st.integers(0, 3)) for _ in range(3))
    n_wires = 1 + n_out + n_pub + n_prv + draw(st.integers(0, 6))
    lc = st.dictionaries(st.integers(0, n_wires - 1), field, max_size=4)
    constraints = draw(st.lists(st.tuples(lc, lc, lc), max_size=6))
    n_labels = n_wires + draw(st.integers(0, 3))
    labels = draw(st.lists(st.integers(0, n_labels - 1), min_size=n_wires, max_size=n_wires))
    return R1CS(n_wires=n_wires, n_pub_out=n_out, n_pub_in=n_pub, n_prv_in=n_prv,
                constraints=constraints, n_labels=n_labels, wire_labels=labels)


@given(r1cs_systems())
@settings(max_examples=60, deadline=None)
def test_r1cs_round_trip(system):
    back = read_r1cs(r1cs_to_bytes(system))
    assert back.constraints == system.constraints
    assert (back.n_wires, back.n_pub_out, back.n_pub_in, back.n_prv_in, back.n_labels, back.wire_labels) == \
        (system.n_wires, system.n_pub_out, system.n_pub_in, system.n_prv_in, system.n_labels, system.wire_labels)
    assert r1cs_to_bytes(back) == r1cs_to_bytes(system)


@given(st.lists(field, max_size=20))
@settings(max_examples=60, deadline=None)
def test_wtns_round_trip(values):
    witness = [1] + values
    assert read_wtns(wtns_to_bytes(witness)) == witness


names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
                min_size=1, max_size=12).filter(str.strip)


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(-1, 10**6), st.integers(0, 999), names), max_size=10))
@settings(max_examples=60, deadline=None)
def test_sym_round_trip(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("sym") / "x.sym"
    write_sym(rows, path)
    assert read_sym(path) == [SymEntry(*row) for row in rows]


def test_files_on_disk(tmp_path):
    system = R1CS(n_wires=4, n_pub_out=1, n_pub_in=0, n_prv_in=2, constraints=[({2: 1}, {3: 1}, {1: 1})])
    write_r1cs(system, tmp_path / "m.r1cs")
    write_wtns([1, 6, 2, 3], tmp_path / "m.wtns")
    assert read_r1cs(tmp_path / "m.r1cs").same_system(system)
    assert read_wtns(str(tmp_path / "m.wtns")) == [1, 6, 2, 3]


def test_terms_are_written_sorted_and_read_as_a_map():
    system = R1CS(n_wires=300, n_pub_out=0, n_pub_in=0, n_prv_in=0,
                  constraints=[({256: 5, 2: 7, 17: 1}, {}, {0: 1})])
    data = r1cs_to_bytes(system)
    body = parse_binfile(data, b"r1cs", (1,)).sections[2]
    assert [struct.unpack_from("<I", body, 4 + 36 * k)[0] for k in range(3)] == [2, 17, 256]
    # circom's byte-lexicographic order (256 before 2) and repeated wires are read as a map
    shuffled = struct.pack("<I", 3) + b"".join(struct.pack("<I", w) + c.to_bytes(32, "little")
                                               for w, c in [(256, 5), (2, 3), (2, 4)])
    shuffled += struct.pack("<I", 0) + struct.pack("<I", 1) + struct.pack("<I", 0) + (1).to_bytes(32, "little")
    sections = dict(parse_binfile(data, b"r1cs", (1,)).sections)
    sections[2] = shuffled
    back = read_r1cs(build_binfile(b"r1cs", 1, [(2, sections[2]), (1, sections[1]), (3, sections[3])]))
    assert back.constraints == [({256: 5, 2: 7}, {}, {0: 1})]


# --- malformed files ------------------------------------------------------------------------

def _sample():
    system = R1CS(n_wires=4, n_pub_out=1, n_pub_in=0, n_prv_in=2, constraints=[({2: 1}, {3: 1}, {1: 1})])
    return parse_binfile(r1cs_to_bytes(system), b"r1cs", (1,)).sections


def _file(sections, order=(1, 2, 3), magic=b"r1cs", version=1):
    return build_binfile(magic, version, [(i, sections[i]) for i in order])


def _header(n_wires=4, n_out=1, n_pub=0, n_prv=2, n_labels=4, n_constraints=1, prime=r, n8=32):
    return (struct.pack("<I", n8) + prime.to_bytes(n8, "little") + struct.pack("<IIII", n_wires, n_out, n_pub, n_prv)
            + struct.pack("<Q", n_labels) + struct.pack("<I", n_constraints))


def test_section_order_does_not_matter():
    s = _sample()
    assert read_r1cs(_file(s, order=(2, 1, 3))).constraints == read_r1cs(_file(s)).constraints


@pytest.mark.parametrize("mutate, message", [
    (lambda s: _file(s, magic=b"r1cx"), "not a r1cs file"),
    (lambda s: _file(s, version=2), "unsupported r1cs version 2"),
    (lambda s: _file(s)[:11], "truncated header"),
    (lambda s: _file(s)[:-5], "truncated: section 3"),
    (lambda s: _file(s) + b"\0", "trailing bytes"),
    (lambda s: _file(s, order=(1, 2, 2, 3)), "section 2 appears twice"),
    (lambda s: _file(s, order=(1, 3)), r"no section 2 \(constraints\)"),
    (lambda s: _file(s, order=(2, 3)), r"no section 1 \(header\)"),
    (lambda s: _file({**s, 1: _header(prime=r + 2)}), "is not the BN254 scalar field"),
    (lambda s: _file({**s, 1: _header(n8=48, prime=r)}), "n8 = 48"),
    (lambda s: _file({**s, 1: _header(n_constraints=2)}), "truncated in constraint 1"),
    (lambda s: _file({**s, 1: _header(n_constraints=0)}), "beyond the 0 constraints"),
    (lambda s: _file({**s, 1: _header(n_wires=1, n_labels=1)}), "smaller than 1 \\+ nPubOut"),
    (lambda s: _file({**s, 1: _header(n_wires=5, n_labels=5)}), "wire->label section has 32 bytes"),
    (lambda s: _file({**s, 1: _header(n_labels=3)}), "nLabels = 3 is smaller"),
    (lambda s: _file({**s, 1: _header(n_wires=4, n_prv=1, n_labels=4)[:-4]}), "header.*truncated"),
    (lambda s: _file({**s, 2: s[2].replace(struct.pack("<I", 3), struct.pack("<I", 9), 1)}), "wire 9"),
    (lambda s: _file({**s, 2: s[2][:8] + r.to_bytes(32, "little") + s[2][40:]}), "coefficient .* ≥ r"),
    (lambda s: _file({**s, 4: b""}, order=(1, 2, 3, 4)), "custom gates"),
])
def test_malformed_r1cs(mutate, message):
    with pytest.raises(MalformedFile, match=message):
        read_r1cs(mutate(_sample()))


def _wtns(n8=32, prime=r, count=2, values=(1, 5)):
    header = struct.pack("<I", n8) + prime.to_bytes(n8, "little") + struct.pack("<I", count)
    return header, b"".join(v.to_bytes(32, "little") for v in values)


@pytest.mark.parametrize("data, message", [
    (build_binfile(b"wtns", 1, [(1, _wtns()[0]), (2, _wtns()[1])]), "unsupported wtns version 1"),
    (build_binfile(b"wtns", 2, [(1, _wtns(count=3)[0]), (2, _wtns()[1])]), "declares 3 values"),
    (build_binfile(b"wtns", 2, [(1, _wtns(prime=r - 2)[0]), (2, _wtns()[1])]), "not the BN254 scalar field"),
    (build_binfile(b"wtns", 2, [(1, _wtns()[0])]), r"no section 2"),
    (build_binfile(b"wtns", 2, [(1, _wtns(values=(1, r))[0]), (2, _wtns(values=(1, r))[1])]), r"witness\[1\]"),
    (build_binfile(b"r1cs", 2, [(1, _wtns()[0]), (2, _wtns()[1])]), "not a wtns file"),
])
def test_malformed_wtns(data, message):
    with pytest.raises(MalformedFile, match=message):
        read_wtns(data)


def test_wtns_writer_rejects_out_of_range():
    with pytest.raises(MalformedInput, match=r"witness\[1\]"):
        wtns_to_bytes([1, r])


@pytest.mark.parametrize("text, message", [
    (b"1,2,3\n", "expected labelId"),
    (b"1,x,3,main.a\n", "must be integers"),
    (b"1,-2,0,main.a\n", "negative id"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_malformed_sym(text, message):
    with pytest.raises(MalformedFile, match=message):
        read_sym(text)


def test_sym_keeps_commas_in_names_and_minus_one():
    assert read_sym(b"3,-1,2,main.f(a,b)\n\n") == [SymEntry(3, -1, 2, "main.f(a,b)")]
