"""Basic gadgets: values against plain Python, soundness against forged witnesses, and
constraint counts and outputs against the circomlib templates compiled by circom2 (--O2)."""
import json
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from groth16_fixtures import _build_once
from hypothesis import given, settings, strategies as st

import circuits.gadgets.bits as bits_module
from circuits.dsl import Circuit, Output, Private, Public
from circuits.gadgets.bits import bits2num, comp_constant, num2bits, range_check
from circuits.gadgets.compare import (assert_less_eq_than, assert_less_than, greater_eq_than, greater_than, is_equal,
                                      is_zero, less_eq_than, less_than, safe_less_eq_than, safe_less_than)
from circuits.gadgets.mux import dual_mux, mux, swap
from conftest import CIRCOMLIB_CIRCUITS, TESTS_DIR, run_circom, run_node_script
from zkescrow.bn254.constants import R
from zkescrow.errors import UnsatisfiedConstraint
from zkescrow.formats import read_r1cs

r = int(R)


# --- DSL mirrors of circomlib main templates (same signal names and order) -------------------
# Inputs are public on both sides: circom --O2 substitutes away *private* inputs of the main
# component when a linear constraint allows it (its Num2Bits(8) main keeps 8 wires, not 9),
# which a circuit meant for proving must not do.

class Num2Bits(Circuit):
    out = Output(n="n")
    inp = Public()
    n = 8

    def define(self, cs):
        self.out = num2bits(cs, self.inp, self.n)


class Bits2Num(Circuit):
    out = Output()
    inp = Public(n="n")
    n = 8

    def define(self, cs):
        self.out = bits2num(cs, self.inp)


class IsZero(Circuit):
    out = Output()
    inp = Public()

    def define(self, cs):
        self.out = is_zero(cs, self.inp)


class IsEqual(Circuit):
    out = Output()
    inp = Public(n=2)

    def define(self, cs):
        self.out = is_equal(cs, self.inp[0], self.inp[1])


class Compare(Circuit):
    """circomlib LessThan/LessEqThan/GreaterThan/GreaterEqThan(n) by `op`."""
    out = Output()
    inp = Public(n=2)
    n = 16
    op = "less_than"

    def define(self, cs):
        fn = {"less_than": less_than, "less_eq_than": less_eq_than, "greater_than": greater_than,
              "greater_eq_than": greater_eq_than, "safe_less_than": safe_less_than,
              "safe_less_eq_than": safe_less_eq_than}[self.op]
        self.out = fn(cs, self.inp[0], self.inp[1], self.n)


class Mux1(Circuit):
    out = Output()
    c = Public(n=2)
    s = Public()

    def define(self, cs):
        self.out = mux(cs, self.s, self.c[0], self.c[1])


class Switcher(Circuit):
    outL = Output()
    outR = Output()
    sel = Public()
    L = Public()
    R = Public()

    def define(self, cs):
        self.outL, self.outR = dual_mux(cs, self.sel, self.L, self.R)


class CompConstant(Circuit):
    out = Output()
    inp = Private(n=254)
    ct = 0

    def define(self, cs):
        for b in self.inp:
            cs.assert_bool(b)
        self.out = comp_constant(cs, self.inp, self.ct)


class RangeOnly(Circuit):
    x = Private()
    bits = 8

    def define(self, cs):
        range_check(cs, self.x, self.bits)


def bits_of(v, n):
    return [(v >> i) & 1 for i in range(n)]


# --- bits --------------------------------------------------------------------------------

@given(st.data())
@settings(max_examples=40, deadline=None)
def test_num2bits_values_and_cost(data):
    n = data.draw(st.integers(1, 253))
    x = data.draw(st.integers(0, (1 << n) - 1))
    circuit = Num2Bits(n=n)
    witness = circuit.witness({"inp": x})
    assert witness[1:1 + n] == bits_of(x, n)
    # n constraints: n − 1 boolean hints + the boolean top combination; one more to bind
    # the outputs, the same count as circom's Num2Bits(n) as the main component.
    assert circuit.compile().n_constraints == n + 1
    with pytest.raises(UnsatisfiedConstraint, match=r"Num2Bits\[0\]"):
        circuit.witness({"inp": x + (1 << n)} if x + (1 << n) < r else {"inp": r - 1})


@pytest.mark.parametrize("n", [1, 2, 8, 64, 253])
def test_range_check_costs_exactly_bits_constraints(n):
    circuit = RangeOnly(bits=n)
    assert circuit.compile().n_constraints == n
    circuit.witness({"x": (1 << n) - 1})
    with pytest.raises(UnsatisfiedConstraint, match="RangeCheck"):
        circuit.witness({"x": 1 << n})


def test_range_check_degenerate_widths():
    assert RangeOnly(bits=254).compile().n_constraints == 0       # every field element is < 2^254
    RangeOnly(bits=254).witness({"x": r - 1})
    assert RangeOnly(bits=0).compile().n_constraints == 1          # x = 0
    with pytest.raises(UnsatisfiedConstraint):
        RangeOnly(bits=0).witness({"x": 1})
    with pytest.raises(ValueError):
        Num2Bits(n=255).compile()


def test_num2bits_254_is_strict():
    circuit = Num2Bits(n=254)
    for x in (0, 1, r - 1, random.randrange(r)):
        assert circuit.witness({"inp": x})[1:255] == bits_of(x, 254)


def test_num2bits_254_rejects_the_alias_x_plus_r(monkeypatch):
    """For x < 2^254 − r, x + r also fits in 254 bits: only the alias check stops that witness."""
    real = bits_module._decompose

    def forged(cs, x, positions):
        if positions != list(range(254)):
            return real(cs, x, positions)
        low = cs.hint(lambda v: [((v + r) >> i) & 1 for i in range(253)], x, n_out=253, name="bit")
        for b in low:
            cs.assert_bool(b)
        top = (x - cs.sum(b.scale(1 << i) for i, b in enumerate(low))).scale(pow(2, -253, r))
        cs.assert_bool(top)
        return low + [top]

    monkeypatch.setattr(bits_module, "_decompose", forged)

    def strict():
        class Strict(Circuit):          # a new class each time: compile() caches per class
            x = Private()

            def define(self, cs):
                num2bits(cs, self.x, 254)
        return Strict()

    with pytest.raises(UnsatisfiedConstraint, match="AliasCheck"):
        strict().witness({"x": 12345})
    monkeypatch.setattr(bits_module, "alias_check", lambda cs, bits: None)
    strict().witness({"x": 12345})      # without the alias check the forgery is accepted


@pytest.mark.parametrize("ct", [0, 1, r - 1, (1 << 253) + 12345])
def test_comp_constant(ct):
    circuit = CompConstant(ct=ct)
    for v in {0, ct, min(ct + 1, (1 << 254) - 1), max(ct - 1, 0), (1 << 254) - 1, random.getrandbits(254)}:
        assert circuit.witness({"inp": bits_of(v, 254)})[1] == int(v > ct)


def test_bits2num_is_free_but_binds_the_output():
    circuit = Bits2Num(n=8)
    assert circuit.compile().n_constraints == 1
    assert circuit.witness({"inp": bits_of(0xA5, 8)})[1] == 0xA5


# --- compare -----------------------------------------------------------------------------

@given(st.integers(0, r - 1))
@settings(max_examples=30, deadline=None)
def test_is_zero_and_is_equal(x):
    assert IsZero().witness({"inp": x})[1] == int(x == 0)
    assert IsEqual().witness({"inp": [x, x]})[1] == 1
    assert IsEqual().witness({"inp": [x, (x + 1) % r]})[1] == 0


def test_is_zero_cannot_lie():
    system = IsZero().compile()
    assert system.n_constraints == 2 and system.n_wires == 4     # one, out, in, inv
    for x in (0, 5):
        honest = IsZero().witness({"inp": x})
        for inv in (0, 1, pow(5, -1, r), random.randrange(r)):
            forged = [1, 1 - honest[1], x, inv]
            assert not system.is_satisfied(forged)


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_comparators_match_python(data):
    n = data.draw(st.sampled_from([1, 8, 16, 64, 252]))
    a, b = (data.draw(st.integers(0, (1 << n) - 1)) for _ in range(2))
    if data.draw(st.booleans()):
        b = a + data.draw(st.sampled_from([-1, 0, 1])) if 0 < a < (1 << n) - 1 else b
    expect = {"less_than": a < b, "less_eq_than": a <= b, "greater_than": a > b, "greater_eq_than": a >= b,
              "safe_less_than": a < b, "safe_less_eq_than": a <= b}
    for op, value in expect.items():
        assert Compare(n=n, op=op).witness({"inp": [a, b]})[1] == int(value), (op, a, b, n)


def test_comparator_costs_and_limits():
    assert Compare(n=16).compile().n_constraints == 17
    assert Compare(n=16, op="safe_less_than").compile().n_constraints == 17 + 32
    with pytest.raises(ValueError, match="bits = 253"):
        Compare(n=253).compile()


def test_safe_comparators_reject_out_of_range_inputs():
    with pytest.raises(UnsatisfiedConstraint, match=r"SafeLessThan\[0\].RangeCheck"):
        Compare(n=8, op="safe_less_than").witness({"inp": [256, 3]})

    class Ordered(Circuit):
        a = Private()
        b = Private()

        def define(self, cs):
            assert_less_than(cs, self.a, self.b, 32)
            assert_less_eq_than(cs, self.a, self.b, 32)

    Ordered().witness({"a": 4, "b": 5})
    with pytest.raises(UnsatisfiedConstraint):
        Ordered().witness({"a": 5, "b": 5})
    with pytest.raises(UnsatisfiedConstraint, match="RangeCheck"):
        Ordered().witness({"a": 1, "b": r - 1})


# --- mux -----------------------------------------------------------------------------------

@given(st.integers(0, r - 1), st.integers(0, r - 1), st.sampled_from([0, 1]))
@settings(max_examples=30, deadline=None)
def test_mux_and_swap(a, b, sel):
    assert Mux1().witness({"c": [a, b], "s": sel})[1] == (b if sel else a)
    assert Switcher().witness({"sel": sel, "L": a, "R": b})[1:3] == ([b, a] if sel else [a, b])
    assert swap is dual_mux
    assert Mux1().compile().n_constraints == 1


# --- circomlib, compiled by circom2 ------------------------------------------------------------

#: name -> (circom main, our circuit, random input generator)
CIRCOMLIB_TWINS = {
    "num2bits8": ("Num2Bits(8)", "bitify.circom", Num2Bits(n=8), lambda g: {"inp": g.randrange(256)}),
    "num2bits_strict": ("Num2Bits_strict()", "bitify.circom", Num2Bits(n=254), lambda g: {"inp": g.randrange(r)}),
    "bits2num8": ("Bits2Num(8)", "bitify.circom", Bits2Num(n=8), lambda g: {"inp": bits_of(g.randrange(256), 8)}),
    "iszero": ("IsZero()", "comparators.circom", IsZero(), lambda g: {"inp": g.choice([0, g.randrange(r)])}),
    "isequal": ("IsEqual()", "comparators.circom", IsEqual(),
                lambda g: {"inp": (lambda x: [x, g.choice([x, g.randrange(r)])])(g.randrange(r))}),
    "lessthan16": ("LessThan(16)", "comparators.circom", Compare(n=16, op="less_than"),
                   lambda g: {"inp": [g.randrange(1 << 16), g.randrange(1 << 16)]}),
    "lesseqthan16": ("LessEqThan(16)", "comparators.circom", Compare(n=16, op="less_eq_than"),
                     lambda g: {"inp": (lambda x: [x, g.choice([x, g.randrange(1 << 16)])])(g.randrange(1 << 16))}),
    "greaterthan16": ("GreaterThan(16)", "comparators.circom", Compare(n=16, op="greater_than"),
                      lambda g: {"inp": [g.randrange(1 << 16), g.randrange(1 << 16)]}),
    "greatereqthan16": ("GreaterEqThan(16)", "comparators.circom", Compare(n=16, op="greater_eq_than"),
                        lambda g: {"inp": (lambda x: [x, g.choice([x, g.randrange(1 << 16)])])(g.randrange(1 << 16))}),
    "lessthan252": ("LessThan(252)", "comparators.circom", Compare(n=252, op="less_than"),
                    lambda g: {"inp": [g.randrange(1 << 252), g.randrange(1 << 252)]}),
    "mux1": ("Mux1()", "mux1.circom", Mux1(), lambda g: {"c": [g.randrange(r), g.randrange(r)], "s": g.randrange(2)}),
    "switcher": ("Switcher()", "switcher.circom", Switcher(),
                 lambda g: {"sel": g.randrange(2), "L": g.randrange(r), "R": g.randrange(r)}),
}

#: circom input names differ from ours only where ours would shadow Python names.
RENAME = {"inp": "in"}


def _build_twins(root: Path) -> None:
    """Compile every template with circom2 --O2 (all inputs public) and compute its witnesses with
    circom's generated wasm for 6 random inputs each; results go to root/witnesses.json."""
    def build(name):
        main, include, circuit, _ = CIRCOMLIB_TWINS[name]
        public = ", ".join(dict.fromkeys(RENAME.get(n, n) for n, kind, _ in circuit.signals("public")))
        source = root / f"{name}.circom"
        source.write_text(f'pragma circom 2.0.0;\ninclude "{include}";\n'
                          f'component main {{public [{public}]}} = {main};\n')
        run_circom(source, "--r1cs", "--wasm", "--O2", "-o", root, "-l", CIRCOMLIB_CIRCUITS, cwd=TESTS_DIR.parent)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(build, CIRCOMLIB_TWINS))
    rng = random.Random(2026)
    inputs = {name: [spec[3](rng) for _ in range(6)] for name, spec in CIRCOMLIB_TWINS.items()}

    def decimal(v):          # JSON numbers would lose precision in JavaScript
        return [decimal(x) for x in v] if isinstance(v, list) else str(v)
    circom_inputs = {name: [{RENAME.get(k, k): decimal(v) for k, v in i.items()} for i in batch]
                     for name, batch in inputs.items()}
    script = f"""
const fs = require("fs");
const root = {json.dumps(str(root))};
const inputs = {json.dumps(circom_inputs)};
(async () => {{
  const out = {{}};
  for (const [name, batch] of Object.entries(inputs)) {{
    const builder = require(`${{root}}/${{name}}_js/witness_calculator.js`);
    const calc = await builder(fs.readFileSync(`${{root}}/${{name}}_js/${{name}}.wasm`));
    out[name] = [];
    for (const input of batch) out[name].push((await calc.calculateWitness(input, true)).map(String));
  }}
  console.log(JSON.stringify(out));
}})().catch(e => {{ console.error(e); process.exit(1); }});
"""
    witnesses = run_node_script(script)
    (root / "witnesses.json").write_text(json.dumps({"inputs": decimal_tree(inputs), "witnesses": witnesses}))


def decimal_tree(obj):
    if isinstance(obj, dict):
        return {k: decimal_tree(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [decimal_tree(v) for v in obj]
    return str(obj) if isinstance(obj, int) else obj


@pytest.fixture(scope="session")
def circomlib_twins(tmp_path_factory):
    root = _build_once(tmp_path_factory, "circomlib-twins", _build_twins)
    data = json.loads((root / "witnesses.json").read_text())
    return root, data["inputs"], {k: [[int(x) for x in w] for w in ws] for k, ws in data["witnesses"].items()}


@pytest.mark.interop
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CIRCOMLIB_TWINS))
def test_same_constraint_count_and_outputs_as_circomlib(circomlib_twins, name):
    root, inputs, witnesses = circomlib_twins
    theirs = read_r1cs(root / f"{name}.r1cs")
    ours = CIRCOMLIB_TWINS[name][2]
    mine = ours.compile()
    assert mine.n_constraints == theirs.n_constraints
    assert (mine.n_pub_out, mine.n_pub_in, mine.n_prv_in) == (theirs.n_pub_out, theirs.n_pub_in, theirs.n_prv_in)
    for given_inputs, their_witness in zip(inputs[name], witnesses[name]):
        theirs.check(their_witness)                       # circom's witness satisfies circom's R1CS for us too
        my_witness = ours.witness(given_inputs)
        assert mine.public_signals(my_witness) == theirs.public_signals(their_witness)
