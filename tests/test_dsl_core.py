"""The circuit DSL: wire order, costs, witness checking, input validation, caching."""
import pytest
from hypothesis import given, settings, strategies as st

from circuits.dsl import Circuit, ConstraintSystem, Output, Private, Public, Signal
from zkescrow.bn254.constants import R
from zkescrow.errors import MalformedInput, UnsatisfiedConstraint, WitnessError

r = int(R)


class Multiplier(Circuit):
    """c = a·b."""
    c = Output()
    a = Private()
    b = Private()

    def define(self, cs):
        self.c = self.a * self.b


class Layout(Circuit):
    """Declaration order deliberately mixes kinds: wires must still be out, public, private."""
    p = Private(n=2)
    x = Public()
    out = Output(n=2)
    ys = Public(n="k")
    k = 3

    def define(self, cs):
        total = cs.sum(self.ys) + self.x
        self.out[0] = total * self.p[0]
        self.out[1] = total + self.p[1] + 7


def test_multiplier_is_one_constraint_in_circom_layout():
    system = Multiplier().compile()
    assert (system.n_wires, system.n_pub_out, system.n_pub_in, system.n_prv_in) == (4, 1, 0, 2)
    assert system.constraints == [({2: 1}, {3: 1}, {1: 1})]
    assert system.wire_names == ["one", "main.c", "main.a", "main.b"]
    assert Multiplier().witness({"a": 3, "b": "5"}) == [1, 15, 3, 5]


def test_wire_order_outputs_public_private_internal():
    circuit = Layout(k=2)
    assert circuit.signals() == [("out", "output", 2), ("x", "public", None), ("ys", "public", 2),
                                 ("p", "private", 2)]
    system = circuit.compile()
    assert system.wire_names[:8] == ["one", "main.out[0]", "main.out[1]", "main.x", "main.ys[0]", "main.ys[1]",
                                     "main.p[0]", "main.p[1]"]
    assert (system.n_pub_out, system.n_pub_in, system.n_prv_in, system.n_wires) == (2, 3, 2, 8)
    w = circuit.witness({"x": 1, "ys": [2, 3], "p": [10, 20]})
    assert w == [1, 60, 33, 1, 2, 3, 10, 20]
    assert system.public_signals(w) == [60, 33, 1, 2, 3]
    assert system.n_constraints == 2


def test_free_operations_cost_nothing_and_products_cost_one():
    class Ops(Circuit):
        out = Output()
        a = Private()
        b = Private()

        def define(self, cs):
            lin = 3 * self.a - self.b + 5 - (-self.a) * 2 + self.b * 4 + cs.constant(9) * self.a
            prod = lin * (self.a + 1)
            prod2 = cs.mul(prod, self.b)
            cs.assert_equal(lin + lin, 2 * lin)          # identical combinations: no constraint
            cs.assert_product(self.a, self.b, prod2 * 0 + self.a * self.b)
            self.out = prod2 + lin

    system = Ops().compile()
    # lin·(a+1), prod·b, a·b (inside assert_product), assert_product itself; output aliased away
    assert system.n_constraints == 4
    a, b = 7, 11
    lin = (3 * a - b + 5 + 2 * a + 4 * b + 9 * a) % r
    assert Ops().witness({"a": a, "b": b})[1] == (lin * (a + 1) * b + lin) % r


def test_assert_equal_is_one_linear_constraint():
    class Eq(Circuit):
        x = Public()
        y = Private(n=2)

        def define(self, cs):
            cs.assert_equal(self.x, self.y[0] + 2 * self.y[1])

    system = Eq().compile()
    assert system.constraints == [({1: 1, 2: r - 1, 3: r - 2}, {0: 1}, {})]
    Eq().witness({"x": 7, "y": [3, 2]})
    with pytest.raises(UnsatisfiedConstraint, match=r"constraint 0 \(main: a = b\)"):
        Eq().witness({"x": 8, "y": [3, 2]})


def test_false_statement_names_the_gadget():
    class Inverse(Circuit):
        x = Public()

        def define(self, cs):
            with cs.scope("Inverse"):
                inv = cs.hint(lambda v: pow(v, -1, r) if v else 0, self.x, name="inv")
                cs.assert_product(self.x, inv, 1)

    assert Inverse().witness({"x": 5})[2] * 5 % r == 1
    assert Inverse().compile().constraint_origins == ["main.Inverse[0]"]
    assert Inverse().compile().wire_names[2] == "main.Inverse[0].inv[0]"
    with pytest.raises(UnsatisfiedConstraint, match=r"main.Inverse\[0\]"):
        Inverse().witness({"x": 0})


def test_hint_with_several_outputs_and_int_arguments():
    class DivMod(Circuit):
        q = Output()
        x = Private()

        def define(self, cs):
            q, rem = cs.hint(divmod, self.x, 10, n_out=2)
            cs.assert_equal(q * 10 + rem, self.x)
            self.q = q

    assert DivMod().witness({"x": 1234})[1] == 123
    assert DivMod().compile().n_constraints == 1


def test_assert_bool_and_always_false_constants():
    class Bit(Circuit):
        b = Private()

        def define(self, cs):
            cs.assert_bool(self.b)

    Bit().witness({"b": 0})
    Bit().witness({"b": 1})
    with pytest.raises(UnsatisfiedConstraint):
        Bit().witness({"b": 2})

    class Never(Circuit):
        def define(self, cs):
            cs.assert_equal(cs.constant(1), 2)

    with pytest.raises(WitnessError, match="never hold"):
        Never().compile()


@pytest.mark.parametrize("inputs, message", [
    ({"a": 1}, "missing input.*b"),
    ({"a": 1, "b": 2, "c": 3}, "unknown input.*c"),
    ({"a": r, "b": 2}, "input a = .* is not in"),
    ({"a": -1, "b": 2}, "input a = -1"),
    ({"a": True, "b": 2}, "boolean"),
    ({"a": "12x", "b": 2}, "not an integer"),
    ({"a": 1.5, "b": 2}, "must be an integer"),
    ({"a": [1], "b": 2}, "scalar"),
])
def test_malformed_scalar_inputs(inputs, message):
    with pytest.raises(MalformedInput, match=message):
        Multiplier().witness(inputs)


@pytest.mark.parametrize("inputs, message", [
    ({"x": 1, "ys": [1], "p": [1, 2]}, "ys must have 2 elements, got 1"),
    ({"x": 1, "ys": 5, "p": [1, 2]}, "ys is an array"),
    ({"x": 1, "ys": [1, r], "p": [1, 2]}, r"ys\[1\]"),
])
def test_malformed_array_inputs(inputs, message):
    with pytest.raises(MalformedInput, match=message):
        Layout(k=2).witness(inputs)


def test_hex_and_decimal_strings_are_accepted():
    assert Multiplier().witness({"a": "0x10", "b": " 3 "})[1] == 48


def test_compile_is_cached_per_class_and_parameters_and_deterministic():
    assert Layout(k=2).compile() is Layout(k=2).compile()
    assert Layout(k=3).compile() is not Layout(k=2).compile()
    assert Layout(k=3).compile().n_pub_in == 4
    fresh = Layout(k=2)._run(False, None)
    assert fresh.constraints == Layout(k=2)._run(False, None).constraints


def test_parameters_cannot_shadow_signals_or_methods():
    with pytest.raises(MalformedInput, match="not a circuit parameter"):
        Layout(x=1)
    with pytest.raises(MalformedInput, match="not a circuit parameter"):
        Layout(compile=1)


def test_output_misuse_is_a_programming_error():
    class Twice(Circuit):
        out = Output()
        a = Private()

        def define(self, cs):
            self.out = self.a
            self.out = self.a

    class Never(Circuit):
        out = Output()

        def define(self, cs):
            pass

    class ReadFirst(Circuit):
        out = Output()

        def define(self, cs):
            cs.assert_equal(self.out, 1)

    with pytest.raises(ValueError, match="assigned twice"):
        Twice().compile()
    with pytest.raises(ValueError, match="never assigns output out"):
        Never().compile()
    with pytest.raises(ValueError, match="read before it is assigned"):
        ReadFirst().compile()
    with pytest.raises(AttributeError, match="only while define"):
        Multiplier().a


def test_output_of_only_inputs_costs_one_linear_constraint():
    class Copy(Circuit):
        out = Output()
        a = Private()

        def define(self, cs):
            self.out = self.a * 2 + 1

    system = Copy().compile()
    assert system.n_constraints == 1
    assert Copy().witness({"a": 4})[1] == 9


def test_outputs_alias_internal_wires_transitively():
    class Chain(Circuit):
        o = Output(n=3)
        a = Private()
        b = Private()

        def define(self, cs):
            t = self.a * self.b
            u = t * self.a
            self.o[0] = u + t            # eliminates u
            self.o[1] = t * 3 + 1        # eliminates t (also inside u's replacement)
            self.o[2] = u - self.o[0]    # = −t: no internal wire left, one linear constraint

    system = Chain().compile()
    assert system.n_wires == 1 + 3 + 2
    assert system.n_constraints == 3
    a, b = 5, 9
    t, u = a * b, a * b * a
    assert Chain().witness({"a": a, "b": b})[1:4] == [u + t, 3 * t + 1, (-t) % r]


def test_structure_may_not_depend_on_values():
    class Branchy(Circuit):
        a = Private()

        def define(self, cs):
            if cs.is_witnessing and self.a.value == 3:
                cs.hint(lambda: 0)

    with pytest.raises(RuntimeError, match="must not depend on input values"):
        Branchy().witness({"a": 3})


def test_signals_of_two_systems_do_not_mix():
    one, two = ConstraintSystem(False), ConstraintSystem(False)
    with pytest.raises(ValueError, match="different constraint systems"):
        one.constant(1) + two.constant(2)
    with pytest.raises(TypeError, match="no truth value"):
        bool(one.constant(1))


ops = st.lists(st.tuples(st.sampled_from("+-*sn"), st.integers(0, 3), st.integers(-5, r + 5)), max_size=12)


@given(ops, st.lists(st.integers(0, r - 1), min_size=4, max_size=4))
@settings(max_examples=40, deadline=None)
def test_random_programs_match_plain_arithmetic(program, inputs):
    """Signal values follow integer arithmetic mod r and the witness satisfies the R1CS."""

    class Program(Circuit):
        out = Output()
        x = Private(n=4)

        def define(self, cs):
            acc, ref = self.x[0], None
            for op, i, k in program:
                other = self.x[i]
                if op == "+":
                    acc = acc + other + k
                elif op == "-":
                    acc = k - acc - other
                elif op == "*":
                    acc = acc * other
                elif op == "s":
                    acc = acc * k
                else:
                    acc = -acc
            self.out = acc

    expected = inputs[0]
    for op, i, k in program:
        other = inputs[i]
        expected = {"+": lambda: expected + other + k, "-": lambda: k - expected - other,
                    "*": lambda: expected * other, "s": lambda: expected * k, "n": lambda: -expected}[op]() % r
    circuit = Program()
    witness = circuit.witness({"x": inputs})
    assert witness[1] == expected
    assert circuit.compile().n_constraints <= 1 + sum(op == "*" for op, _, _ in program)


def test_signal_repr_and_constants():
    cs = ConstraintSystem(False)
    c = cs.constant(-1)
    assert c.is_constant and c.constant_value == r - 1
    assert isinstance(c * 3, Signal) and (c * 3).constant_value == r - 3
    assert "value=None" in repr(cs.hint(lambda: 1))
    assert cs.as_signal(5).constant_value == 5 and cs.as_signal(c) is c
    assert repr(Layout(k=2)) == "Layout(k=2)"


def test_compile_is_byte_identical_across_processes():
    """No dependence on hash seeds or object ids: two interpreters write the same .r1cs."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import hashlib\n"
        "from circuits.dsl import Circuit, Output, Private, Public\n"
        "from circuits.gadgets.compare import less_than, is_zero\n"
        "from circuits.gadgets.bits import num2bits\n"
        "from zkescrow.formats import r1cs_to_bytes\n"
        "class C(Circuit):\n"
        "    o = Output(n=2)\n"
        "    a = Public()\n"
        "    b = Private(n=3)\n"
        "    def define(self, cs):\n"
        "        self.o[0] = less_than(cs, self.a, self.b[0] * self.b[1], 64)\n"
        "        self.o[1] = is_zero(cs, cs.sum(num2bits(cs, self.b[2], 254)))\n"
        "print(hashlib.sha256(r1cs_to_bytes(C().compile())).hexdigest())\n")
    root = Path(__file__).resolve().parent.parent
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)}
        digests.add(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                                   check=True, cwd=root).stdout.strip())
    assert len(digests) == 1 and len(digests.pop()) == 64
