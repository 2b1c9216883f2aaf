"""Block headers, Merkle inclusion proofs and the header-following light client (zkescrow.ledger.headers)."""
import hashlib

import pytest
from nacl.signing import SigningKey

from zkescrow.errors import InvalidSignature, MalformedInput
from zkescrow.ledger.headers import (GENESIS_PREV, Header, HeaderChain, SignedHeader, inclusion_proof, merkle_root,
                                     tx_leaf, verify_inclusion)

AUTH = SigningKey(bytes(range(32)))
OTHER = SigningKey(bytes(range(1, 33)))
AUTH_HEX = bytes(AUTH.verify_key).hex()


def _leaves(n):
    return [tx_leaf({"kind": "transfer", "body": {"i": i}}) for i in range(n)]


def _chain(n, key=AUTH):
    """n signed headers from genesis, each with a different note root."""
    genesis = Header("", 0, GENESIS_PREV, merkle_root(_leaves(1)), "7", authorities=(AUTH_HEX,), threshold=1)
    chain_id, out, prev = genesis.hash(), [SignedHeader(genesis, [genesis.sign(key)])], genesis.hash()
    for h in range(1, n):
        header = Header(chain_id, h, prev, merkle_root(_leaves(h)), str(100 + h))
        out.append(SignedHeader(header, [header.sign(key)]))
        prev = header.hash()
    return chain_id, out


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 8, 13])
def test_every_leaf_has_a_proof_that_verifies(n):
    leaves = _leaves(n)
    root = merkle_root(leaves)
    for i, leaf in enumerate(leaves):
        proof = inclusion_proof(leaves, i)
        assert verify_inclusion(root, leaf, i, proof)
        assert not verify_inclusion(root, leaf, i ^ 1, proof) or n == 1


def test_a_tampered_proof_leaf_index_or_root_fails():
    leaves = _leaves(6)
    root, proof = merkle_root(leaves), inclusion_proof(leaves, 4)
    assert verify_inclusion(root, leaves[4], 4, proof)
    assert not verify_inclusion(root, leaves[3], 4, proof)
    assert not verify_inclusion(root, leaves[4], 5, proof)
    assert not verify_inclusion(root, leaves[4], 4 + 8, proof)
    flipped = [proof[0][:-1] + ("0" if proof[0][-1] != "0" else "1")] + proof[1:]
    assert not verify_inclusion(root, leaves[4], 4, flipped)
    assert not verify_inclusion(root, leaves[4], 4, proof[:-1])
    assert not verify_inclusion(merkle_root(leaves[:5]), leaves[4], 4, proof)
    assert not verify_inclusion(root, leaves[4], 4, ["zz"] * 3)
    assert not verify_inclusion(root, leaves[4], -1, proof)


def test_an_inner_node_is_not_a_leaf():
    """Second preimage: presenting an inner node as a leaf one level up does not verify."""
    leaves = _leaves(4)
    root = merkle_root(leaves)
    proof = inclusion_proof(leaves, 0)
    node = hashlib.sha256(b"\x01" + hashlib.sha256(b"\x00" + leaves[0]).digest()
                          + hashlib.sha256(b"\x00" + leaves[1]).digest()).digest()
    assert not verify_inclusion(root, node, 0, proof[1:])


def test_tx_leaf_commits_to_body_and_signature():
    tx = {"kind": "transfer", "body": {"amount": 5}, "signature": "ab"}
    assert tx_leaf(tx) != tx_leaf({**tx, "body": {"amount": 6}})
    assert tx_leaf(tx) != tx_leaf({**tx, "signature": "cd"})
    assert tx_leaf({"kind": "genesis", "body": {}}) == tx_leaf({"kind": "genesis", "body": {}, "signature": None})


def test_header_json_round_trip_and_strictness():
    _, headers = _chain(3)
    for signed in headers:
        again = SignedHeader.from_json(signed.to_json())
        assert again.header == signed.header and again.header.hash() == signed.header.hash()
    bad = headers[1].header.to_json()
    for field, value in (("height", "1"), ("height", True), ("note_root", "01"), ("prev", "AB" * 32),
                         ("authorities", [AUTH_HEX]), ("chain_id", "")):
        with pytest.raises(MalformedInput):
            Header.from_json({**bad, field: value})
    with pytest.raises(MalformedInput):
        Header.from_json({**bad, "extra": 1})


def test_header_chain_follows_a_signed_chain():
    chain_id, headers = _chain(10)
    client = HeaderChain([AUTH_HEX], 1, chain_id, window=4)
    assert client.extend(headers) == 9
    assert client.tip_height == 9 and client.tip_hash == headers[-1].header.hash()
    assert client.knows_note_root(109) and client.knows_note_root("106") and not client.knows_note_root(105)
    assert client.has_block(8, headers[8].header.hash()) and not client.has_block(5, headers[5].header.hash())
    assert client.header(3) is None
    again = HeaderChain.from_dict(client.to_dict())
    assert again.tip_height == 9 and again.knows_note_root(107)
    assert client.extend(headers) == 9                       # already known headers are skipped


def test_header_chain_rejects_bad_signature_wrong_prev_and_skipped_height():
    chain_id, headers = _chain(4)
    client = HeaderChain([AUTH_HEX], 1, chain_id)
    client.extend(headers[:2])
    forged = SignedHeader(headers[2].header, [headers[2].header.sign(OTHER)])
    with pytest.raises(InvalidSignature):
        client.append(forged)
    with pytest.raises(InvalidSignature):
        client.append(SignedHeader(headers[2].header, []))
    with pytest.raises(MalformedInput, match="does not follow"):
        client.append(headers[3])                             # skips height 2
    h = headers[2].header
    wrong_prev = Header(h.chain_id, h.height, "11" * 32, h.tx_root, h.note_root)
    with pytest.raises(MalformedInput, match="link"):
        client.append(SignedHeader(wrong_prev, [wrong_prev.sign(AUTH)]))
    other_chain = Header("22" * 32, h.height, h.prev, h.tx_root, h.note_root)
    with pytest.raises(MalformedInput, match="chain"):
        client.append(SignedHeader(other_chain, [other_chain.sign(AUTH)]))
    assert client.tip_height == 1
    client.append(headers[2])
    assert client.tip_height == 2


def test_header_chain_pins_the_genesis():
    chain_id, headers = _chain(2)
    _, other = _chain(2, key=OTHER)                  # the same genesis, signed by a key that is not the authority
    g = headers[0].header
    fork = Header("", 0, GENESIS_PREV, g.tx_root, "8", authorities=g.authorities, threshold=1)
    client = HeaderChain([AUTH_HEX], 1, chain_id)
    with pytest.raises(MalformedInput, match="not the pinned chain"):
        client.append(SignedHeader(fork, [fork.sign(AUTH)]))
    with pytest.raises(InvalidSignature):
        client.append(other[0])
    client.append(headers[0])


def test_threshold_counts_distinct_authorities():
    keys = [SigningKey(bytes([i]) * 32) for i in range(1, 4)]
    hexes = tuple(bytes(k.verify_key).hex() for k in keys)
    genesis = Header("", 0, GENESIS_PREV, merkle_root([]), "0", authorities=hexes, threshold=2)
    client = HeaderChain(hexes, 2, genesis.hash())
    one = genesis.sign(keys[0])
    with pytest.raises(InvalidSignature):
        client.append(SignedHeader(genesis, [one, one]))
    client.append(SignedHeader(genesis, [one, genesis.sign(keys[2])]))
    assert client.tip_height == 0


def test_the_headers_module_stays_pure():
    """The enclave measures this module: it may import only the standard library, PyNaCl and zkescrow.errors."""
    import ast
    from pathlib import Path

    import zkescrow.ledger.headers as module
    allowed = {"__future__", "hashlib", "json", "re", "dataclasses", "nacl.exceptions", "nacl.signing",
               "zkescrow.errors"}
    tree = ast.parse(Path(module.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert imported <= allowed, imported - allowed
