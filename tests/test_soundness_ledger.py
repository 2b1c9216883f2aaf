"""Non-malleability of the escrow_release transaction: its proof binds the ciphertexts it carries.

Without a binding anyone relaying a release could replace the two ciphertexts; the
proof and the nullifier would still be valid, and the pole and the driver would
never learn the blinding factors of the notes created for them (their value frozen
forever).  The circuit's ext_data_hash is H(EXT_DATA, digest of the ciphertexts),
recomputed by the ledger from the body, as for transfers.
"""
from nacl.public import PrivateKey as BoxKey

from circuits.crypto.eddsa import PrivateKey
from circuits.escrow.escrow_release import EscrowRelease
from circuits.notes import EscrowTerms, release_message
from escrow_statement_keys import StatementKeys, make_world
from zkescrow.escrow import shielded
from zkescrow.ledger.extensions import build_rulebook
from zkescrow.ledger.transactions import Transaction

PRICE, DEPOSIT = 5, 1500


def test_ext_data_hash_is_the_last_public_input():
    names = [name for name, _, _ in EscrowRelease(depth=4).signals("public")]
    assert names[-1] == "ext_data_hash" and len(names) == 7


def test_a_release_with_swapped_ciphertexts_is_rejected(tmp_path):
    world, car, pole = make_world(tmp_path / "w", StatementKeys(4), price=PRICE)
    enclave = PrivateKey.generate()
    terms = EscrowTerms(enclave.public_key, car.keys.owner, pole.keys.owner, PRICE, 99, world.ledger.height + 50)
    tx, note = shielded.fund_escrow(car.wallet, terms, DEPOSIT, bytes(BoxKey.generate().public_key))
    assert not world.mine(tx).rejected
    car.wallet.scan()
    position = shielded.locate(world.ledger, note.commitment)
    signature = enclave.sign_poseidon(release_message(99, 40, 4, terms.nullifier(note, position))).pack().hex()

    def release():              # proved for the next block (a release is accepted only at the height it proves)
        return shielded.release(car.wallet, note, position, terms, pole=pole.keys.payment_address,
                                driver=car.keys.payment_address, energy_wh=40, final_nonce=4, signature_hex=signature)
    rulebook = build_rulebook(["escrow"])
    for swap in (lambda c: c[::-1], lambda c: ["00" * 16, c[1]]):
        honest = release()
        forged = Transaction("escrow_release", dict(honest.body, ciphertexts=swap(honest.body["ciphertexts"])))
        assert rulebook.public_signals(forged)[-1] != rulebook.public_signals(honest)[-1]
        result = world.mine(forged)
        assert [reason for _, reason in result.rejected] == ["proof does not verify"]
    assert not world.mine(release()).rejected
    pole.wallet.scan()
    assert pole.wallet.balance() == 40 * PRICE
