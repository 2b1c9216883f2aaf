"""Parameters of BN254 (alt_bn128), the curve of Ethereum's precompiles and snarkjs "bn128".

E:  y² = x³ + 3            over Fq
E': y² = x³ + 3/ξ, ξ = 9+u  over Fq2 = Fq[u]/(u²+1)  (D-type sextic twist)
G1 = E(Fq), G2 = the order-r subgroup of E'(Fq2), GT ⊂ Fq12*.
"""
from gmpy2 import mpz

#: BN parameter x (called u or z in papers): q and r are polynomials in it.
BN_X = 4965661367192848881

#: Base field modulus q = 36x⁴ + 36x³ + 24x² + 6x + 1.
Q = mpz(21888242871839275222246405745257275088696311157297823662689037894645226208583)
#: Scalar field modulus r (the group order) = 36x⁴ + 36x³ + 18x² + 6x + 1.
R = mpz(21888242871839275222246405745257275088548364400416034343698204186575808495617)

#: Curve coefficient b of E.
B = mpz(3)
#: Twist coefficient b' = 3/(9+u), as (c0, c1) meaning c0 + c1·u.
B2 = (mpz(19485874751759354771024239261021720505790618469301721065564631296452457478373),
      mpz(266929791119991161246907387137283842545076965332900288569378510910307636690))

#: Generator of G1 (affine).
G1_GENERATOR = (mpz(1), mpz(2))
#: Generator of G2 (affine), coordinates as (c0, c1); the same point snarkjs and EIP-197 use.
G2_GENERATOR = (
    (mpz(10857046999023057135944570762232829481370756359578518086990519993285655852781),
     mpz(11559732032986387107991004021392285783925812861821192530917403151452391805634)),
    (mpz(8495653923123431417604973247489272438418190587263600148770280649306958101930),
     mpz(4082367875863433681332203403145435568316851327593401208105741076214120093531)),
)

#: Cofactor of G2 in E'(Fq2): #E'(Fq2) = r · G2_COFACTOR.
G2_COFACTOR = 21888242871839275222246405745257275088844257914179612981679871602714643921549

#: Optimal ate loop count 6x + 2.
ATE_LOOP_COUNT = 6 * BN_X + 2

#: GLV endomorphism on G1: φ(x, y) = (β·x, y) = [λ]·(x, y), β a cube root of unity in Fq.
GLV_BETA = mpz(2203960485148121921418603742825762020974279258880205651966)
GLV_LAMBDA = 4407920970296243842393367215006156084916469457145843978461

#: Two-adicity of r − 1 and the generator snarkjs/ffjavascript use for roots of unity.
FR_TWO_ADICITY = 28
FR_ROOT_GENERATOR = 5

#: Montgomery radix used by snarkjs binary files (R = 2^256).
MONT_R = 1 << 256

#: Byte length of one field element in every binary encoding.
N8 = 32
