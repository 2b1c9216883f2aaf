"""The Groth16 verification key, read and written as snarkjs ``verification_key.json``.

A key is (α ∈ G1, β, γ, δ ∈ G2, IC_0..IC_ℓ ∈ G1) for ℓ public signals; a proof (A, B, C) for public
signals x verifies when

    e(−A, B) · e(vk_x, γ) · e(C, δ) · e(α, β) = 1,    vk_x = IC_0 + Σ x_i·IC_i.

β, γ and δ are the same for every proof, so their Miller-loop lines are computed once per key and
cached on it (``prepared``).  ``to_json`` writes the snarkjs layout including ``vk_alphabeta_12`` =
e(α, β) in snarkjs's Fq12 encoding; ``from_json`` checks every field and point of an untrusted key.

A well-formed key can still be worthless.  With γ = δ, A = α, B = β, C = −vk_x satisfies the equation
for *any* public signals (the e(α, β) terms cancel, and so do e(vk_x, γ)·e(−vk_x, δ)); with γ = −δ,
C = vk_x does the same.  δ = ±G2 means no phase-2 contribution: δ's discrete logarithm is public.
``insecurity`` names such a key and ``check_trusted`` refuses it (``InsecureKey``); ``verify`` calls it
unless told ``allow_insecure=True``.  γ = G2 alone is fine: snarkjs fixes γ = 1 in every key
(``zkey_new.js``), and soundness rests on δ, which the contributions randomise.
"""
from dataclasses import dataclass, field

from ..bn254.constants import G2_GENERATOR
from ..bn254.curve import g1_validate, g2_neg, g2_validate
from ..bn254.serialize import g1_from_snarkjs, g1_to_snarkjs, g2_from_snarkjs, g2_to_snarkjs
from ..errors import InsecureKey, InvalidPoint, MalformedInput
from .proof import CURVE, PROTOCOL, _load, _point, check_curve_name


@dataclass(eq=False)
class VerificationKey:
    """A snarkjs-compatible Groth16 verification key (affine points, ``None`` = infinity)."""

    alpha1: tuple
    beta2: tuple
    gamma2: tuple
    delta2: tuple
    ic: list
    n_public: int | None = None
    _lines: tuple | None = field(default=None, init=False, repr=False)

    def __post_init__(self):
        self.ic = list(self.ic)
        if not self.ic:
            raise MalformedInput("verification key: IC must hold at least IC[0]")
        if self.n_public is None:
            self.n_public = len(self.ic) - 1
        if self.n_public != len(self.ic) - 1:
            raise MalformedInput(f"verification key: nPublic = {self.n_public} but IC has {len(self.ic)} points "
                                 f"(expected nPublic + 1)")

    def __eq__(self, other):
        if not isinstance(other, VerificationKey):
            return NotImplemented
        return (self.alpha1, self.beta2, self.gamma2, self.delta2, self.ic) == \
            (other.alpha1, other.beta2, other.gamma2, other.delta2, other.ic)

    __hash__ = None

    def _check_finite(self) -> None:
        for name in ("alpha1", "beta2", "gamma2", "delta2"):
            if getattr(self, name) is None:
                raise InvalidPoint(f"verification key {name} is the point at infinity")

    def validate(self) -> None:
        """Raise ``InvalidPoint`` unless every point is on its curve (G2 points in the order-r subgroup)
        and α, β, γ, δ are not the point at infinity."""
        self._check_finite()
        checks = [("vk_alpha_1", self.alpha1, g1_validate), ("vk_beta_2", self.beta2, g2_validate),
                  ("vk_gamma_2", self.gamma2, g2_validate), ("vk_delta_2", self.delta2, g2_validate)]
        checks += [(f"IC[{i}]", p, g1_validate) for i, p in enumerate(self.ic)]
        for name, point, check in checks:
            try:
                check(point)
            except InvalidPoint as exc:
                raise InvalidPoint(f"verification key {name}: {exc}") from None

    def insecurity(self) -> str | None:
        """Why proofs under this key prove nothing (see the module docstring), or None for a usable key."""
        gamma, delta = self.gamma2, self.delta2
        if gamma is None or delta is None:
            return None                         # validate() reports the point at infinity
        if delta == gamma:
            return "gamma_2 = delta_2, so (alpha, beta, -vk_x) verifies for any public signals"
        if delta == g2_neg(gamma):
            return "gamma_2 = -delta_2, so (alpha, beta, vk_x) verifies for any public signals"
        if delta in (G2_GENERATOR, g2_neg(G2_GENERATOR)):
            return "delta_2 is the G2 generator (no phase-2 contribution), so its discrete logarithm is public"
        return None

    def check_trusted(self) -> None:
        """Raise ``InsecureKey`` when ``insecurity`` names a reason."""
        reason = self.insecurity()
        if reason is not None:
            raise InsecureKey(f"insecure verification key: {reason}; add a phase-2 contribution "
                              f"(zkescrow zkey contribute) or use a key from a real ceremony")

    def prepared(self):
        """Miller-loop lines of (β, γ, δ), computed on first use and kept on the key."""
        if self._lines is None:
            from ..bn254.pairing import prepare_g2
            self._lines = (prepare_g2(self.beta2), prepare_g2(self.gamma2), prepare_g2(self.delta2))
        return self._lines

    def alphabeta(self):
        """e(α, β) ∈ Fq12."""
        from ..bn254.pairing import pairing
        return pairing(self.alpha1, self.beta2)

    def to_json(self) -> dict:
        """The snarkjs ``verification_key.json`` object, keys in snarkjs order."""
        from ..bn254.tower import fq12_to_snarkjs_object
        return {
            "protocol": PROTOCOL,
            "curve": CURVE,
            "nPublic": self.n_public,
            "vk_alpha_1": g1_to_snarkjs(self.alpha1),
            "vk_beta_2": g2_to_snarkjs(self.beta2),
            "vk_gamma_2": g2_to_snarkjs(self.gamma2),
            "vk_delta_2": g2_to_snarkjs(self.delta2),
            "vk_alphabeta_12": fq12_to_snarkjs_object(self.alphabeta()),
            "IC": [g1_to_snarkjs(p) for p in self.ic],
        }

    @classmethod
    def from_json(cls, obj) -> "VerificationKey":
        """Parse and validate a snarkjs verification key object (or its JSON text).

        ``vk_alphabeta_12`` is redundant (snarkjs's verifier never reads it): it may be absent, and when
        present only its shape and range are checked, not its value.
        """
        obj = _load(obj, "verification key")
        if not isinstance(obj, dict):
            raise MalformedInput("verification key: expected a JSON object")
        if obj.get("protocol") != PROTOCOL:
            raise MalformedInput(f"verification key: protocol {obj.get('protocol')!r} is not groth16")
        check_curve_name(obj.get("curve"), "verification key")
        missing = [k for k in ("nPublic", "vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC")
                   if k not in obj]
        if missing:
            raise MalformedInput(f"verification key: missing {', '.join(missing)}")
        n_public = obj["nPublic"]
        if isinstance(n_public, bool) or not isinstance(n_public, int) or n_public < 0:
            raise MalformedInput(f"verification key: nPublic {n_public!r} is not a non-negative integer")
        if not isinstance(obj["IC"], list):
            raise MalformedInput("verification key: IC is not a list of G1 points")
        if len(obj["IC"]) != n_public + 1:
            raise MalformedInput(f"verification key: nPublic = {n_public} but IC has {len(obj['IC'])} points")
        if "vk_alphabeta_12" in obj:
            from ..bn254.tower import fq12_from_snarkjs_object
            try:
                fq12_from_snarkjs_object(obj["vk_alphabeta_12"])
            except MalformedInput as exc:
                raise type(exc)(f"verification key vk_alphabeta_12: {exc}") from None
            except (TypeError, ValueError, IndexError) as exc:
                raise MalformedInput(f"verification key vk_alphabeta_12 is not an Fq12 object ({exc})") from None
        vk = cls(
            alpha1=_point(g1_from_snarkjs, obj["vk_alpha_1"], "verification key vk_alpha_1"),
            beta2=_point(g2_from_snarkjs, obj["vk_beta_2"], "verification key vk_beta_2"),
            gamma2=_point(g2_from_snarkjs, obj["vk_gamma_2"], "verification key vk_gamma_2"),
            delta2=_point(g2_from_snarkjs, obj["vk_delta_2"], "verification key vk_delta_2"),
            ic=[_point(g1_from_snarkjs, p, f"verification key IC[{i}]") for i, p in enumerate(obj["IC"])],
            n_public=n_public,
        )
        vk._check_finite()      # the snarkjs parsers have checked curve and subgroup membership
        return vk
