"""A Groth16 proof (π_A ∈ G1, π_B ∈ G2, π_C ∈ G1) and its public signals, in snarkjs JSON.

``proof.json`` is ``{"pi_a": G1, "pi_b": G2, "pi_c": G1, "protocol": "groth16", "curve": "bn128"}``
and ``public.json`` a flat list of decimal strings, both written by snarkjs with one-space indentation
and no trailing newline; ``dumps`` reproduces that layout byte for byte.

Everything read from outside is checked: coordinates are integers below q, points lie on their curve,
π_B lies in the order-r subgroup of G2 (snarkjs skips that check; a point outside the subgroup gives
meaningless pairings), public signals are decimal strings below r.  Failures raise ``InvalidPoint`` or
``MalformedInput``.
"""
import json
import re
from dataclasses import dataclass, field

from gmpy2 import mpz

from ..bn254.constants import R
from ..bn254.curve import g1_validate, g2_validate
from ..bn254.serialize import g1_from_snarkjs, g1_to_snarkjs, g2_from_snarkjs, g2_to_snarkjs
from ..errors import InvalidFieldElement, InvalidPoint, MalformedInput
from ..formats.json_text import loads

PROTOCOL = "groth16"
CURVE = "bn128"
#: Curve names snarkjs accepts for bn128 (``getCurveFromName`` upper-cases and drops non-alphanumerics).
CURVE_ALIASES = frozenset({"BN128", "BN254", "ALTBN128"})

_DECIMAL = re.compile(r"[0-9]+\Z")
_R_DIGITS = len(str(R))
_INTEGER = (int, type(mpz(0)))


def dumps(obj) -> str:
    """JSON text laid out as snarkjs writes it (``bfj`` with ``space: 1``): one-space indent, no final newline."""
    return json.dumps(obj, indent=1)


def check_curve_name(name, what: str) -> None:
    """Raise ``MalformedInput`` unless ``name`` names BN254 the way snarkjs accepts it."""
    if not isinstance(name, str) or re.sub(r"[^A-Z0-9]", "", name.upper()) not in CURVE_ALIASES:
        raise MalformedInput(f"{what}: curve {name!r} is not bn128 (BN254)")


@dataclass(frozen=True)
class Proof:
    """A Groth16 proof: affine points, ``None`` is the point at infinity."""

    pi_a: tuple | None
    pi_b: tuple | None
    pi_c: tuple | None
    #: Set once ``validate`` has passed, so a proof read from JSON is not checked twice.
    _validated: bool = field(default=False, init=False, repr=False, compare=False)

    def validate(self) -> None:
        """Raise ``InvalidPoint`` unless π_A, π_C are on G1 and π_B is in the order-r subgroup of G2."""
        if self._validated:
            return
        for name, point, check in (("pi_a", self.pi_a, g1_validate), ("pi_b", self.pi_b, g2_validate),
                                   ("pi_c", self.pi_c, g1_validate)):
            try:
                check(point)
            except InvalidPoint as exc:
                raise InvalidPoint(f"proof {name}: {exc}") from None
            except (TypeError, ValueError, IndexError) as exc:
                raise InvalidPoint(f"proof {name} is not a point: {exc}") from None
        object.__setattr__(self, "_validated", True)

    def to_json(self) -> dict:
        """The snarkjs ``proof.json`` object (keys in snarkjs order)."""
        return {"pi_a": g1_to_snarkjs(self.pi_a), "pi_b": g2_to_snarkjs(self.pi_b),
                "pi_c": g1_to_snarkjs(self.pi_c), "protocol": PROTOCOL, "curve": CURVE}

    @classmethod
    def from_json(cls, obj) -> "Proof":
        """Parse and validate a snarkjs proof object (or its JSON text)."""
        obj = _load(obj, "proof")
        if not isinstance(obj, dict):
            raise MalformedInput("proof: expected a JSON object with pi_a, pi_b, pi_c")
        missing = [k for k in ("pi_a", "pi_b", "pi_c") if k not in obj]
        if missing:
            raise MalformedInput(f"proof: missing {', '.join(missing)}")
        if obj.get("protocol", PROTOCOL) != PROTOCOL:
            raise MalformedInput(f"proof: protocol {obj['protocol']!r} is not groth16")
        if "curve" in obj:
            check_curve_name(obj["curve"], "proof")
        proof = cls(_point(g1_from_snarkjs, obj["pi_a"], "proof pi_a"),
                    _point(g2_from_snarkjs, obj["pi_b"], "proof pi_b"),
                    _point(g1_from_snarkjs, obj["pi_c"], "proof pi_c"))
        # The snarkjs parsers have checked the curve and, for pi_b, the subgroup.
        object.__setattr__(proof, "_validated", True)
        return proof


def _point(parse, obj, what: str):
    try:
        return parse(obj)
    except MalformedInput as exc:
        raise type(exc)(f"{what}: {exc}") from None
    except (TypeError, ValueError, IndexError, KeyError) as exc:
        raise MalformedInput(f"{what}: not a snarkjs point ({exc})") from None


def _load(obj, what: str):
    if isinstance(obj, (bytes, bytearray)):
        obj = obj.decode("utf-8", errors="replace")
    if isinstance(obj, str):
        return loads(obj, what)
    return obj


def parse_public_signals(obj, expected: int | None = None) -> list[int]:
    """Public signals from snarkjs ``public.json`` (JSON text or list) as ints in [0, r).

    Each entry must be a decimal string (as snarkjs writes them) or an integer (int, mpz); anything else,
    a value ≥ r, or a count different from ``expected`` raises ``MalformedInput``.
    """
    obj = _load(obj, "public signals")
    if not isinstance(obj, (list, tuple)):
        raise MalformedInput("public signals: expected a JSON list of decimal strings")
    values = []
    for i, item in enumerate(obj):
        if isinstance(item, str) and _DECIMAL.match(item):
            digits = item.lstrip("0") or "0"
            if len(digits) > _R_DIGITS:                 # before int(): no conversion of huge strings
                raise InvalidFieldElement(f"public signal {i} is not below the scalar field modulus r")
            value = int(digits)
        elif isinstance(item, _INTEGER) and not isinstance(item, bool):
            value = int(item)
        else:
            raise MalformedInput(f"public signal {i}: {item!r} is not a decimal string")
        if not 0 <= value < R:
            raise InvalidFieldElement(f"public signal {i} is not below the scalar field modulus r")
        values.append(value)
    if expected is not None and len(values) != expected:
        raise MalformedInput(f"expected {expected} public signals, got {len(values)}")
    return values


def public_signals_to_json(values) -> list[str]:
    """The snarkjs ``public.json`` list: decimal strings."""
    return [str(int(v)) for v in values]
