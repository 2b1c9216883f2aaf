"""A pay-per-request API over a zkescrow payment channel (a third-party-style channel loop).

The server sells one API response for ``PRICE`` base units, µRaiden-paywall style:
a request without payment gets ``402 Payment Required`` with the price; the client
retries with a balance proof in a header (base64 of the update bytes); the server
verifies it with ``verify_update`` and returns the content plus the receipt
header.  The loop, the "HTTP" messages and the headers belong to this example;
zkescrow only supplies the balance proofs, their checks and the settlement.

Run:  .venv/bin/python examples/paywall_channel.py [--shielded] [--requests N]
"""
from __future__ import annotations

import argparse
import base64
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nacl.signing import SigningKey  # noqa: E402

from zkescrow.channel import api  # noqa: E402
from zkescrow.errors import ZkEscrowError  # noqa: E402
from zkescrow.ledger.ledger import Ledger  # noqa: E402

PRICE = 25


class PaywallServer:
    """Sells responses; owns its side of the channel and knows nothing of zkescrow but the API."""

    def __init__(self, channel: api.Channel):
        self.channel = channel
        self.earned = 0

    def handle(self, request: dict) -> dict:
        proof = request["headers"].get("X-Balance-Proof")
        if proof is None:
            return {"status": 402, "headers": {"X-Price": str(PRICE), "X-Channel": self.channel.terms.channel_id}}
        try:
            verified = api.verify_update(self.channel, base64.b64decode(proof))
        except (ZkEscrowError, ValueError) as exc:
            return {"status": 402, "headers": {"X-Error": str(exc), "X-Price": str(PRICE)}}
        if verified.amount < PRICE:
            return {"status": 402, "headers": {"X-Error": f"paid {verified.amount}, price {PRICE}"}}
        self.earned += verified.amount
        return {"status": 200, "body": f"result #{self.earned // PRICE} for {request['path']}",
                "headers": {"X-Receipt": base64.b64encode(verified.receipt).decode()}}


class PaywallClient:
    """Pays per request from its side of the channel."""

    def __init__(self, channel: api.Channel, server: PaywallServer):
        self.channel = channel
        self.server = server

    def get(self, path: str) -> str:
        response = self.server.handle({"path": path, "headers": {}})
        if response["status"] == 402:
            price = int(response["headers"]["X-Price"])
            update = api.make_update(self.channel, price)
            response = self.server.handle({"path": path,
                                           "headers": {"X-Balance-Proof": base64.b64encode(update).decode()}})
        if response["status"] != 200:
            raise RuntimeError(f"request refused: {response['headers']}")
        api.accept_receipt(self.channel, base64.b64decode(response["headers"]["X-Receipt"]))
        return response["body"]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--shielded", action="store_true")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--keys-dir", default=None, help="circuit keys cache (default: DATA_DIR/keys)")
    args = parser.parse_args(argv)
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="paywall-"))

    client_key, server_key = SigningKey.generate(), SigningKey.generate()
    client, server = api.address_of(client_key), api.address_of(server_key)
    prover = None
    if args.shielded:
        from zkescrow.ledger.proofs import CircuitKeys
        prover = CircuitKeys(Path(args.keys_dir) if args.keys_dir else data_dir / "keys", 4)
    ledger = Ledger.create(data_dir / "ledger", {client: 10_000, server: 0}, depth=4, keys=prover,
                           extensions=("channel",))
    terms = api.new_channel(client_key, server, ledger.nonce(client), 1_000, shielded=args.shielded, unit=PRICE,
                            chain_id=ledger.chain_id)
    ledger.submit(api.open_transaction(terms, client_key, ledger.nonce(client), server_key))
    ledger.commit_block()

    server_app = PaywallServer(api.Channel(terms, server_key, prover=prover))
    client_app = PaywallClient(api.Channel(terms, client_key, prover=prover), server_app)
    for k in range(args.requests):
        print(client_app.get(f"/quote/{k}"))

    closing = api.settle(server_app.channel, peer_signature=api.closing_signature(client_app.channel, ledger),
                         ledger=ledger, prover=prover)
    for tx in closing:
        ledger.submit(tx)
    result = ledger.commit_block()
    assert not result.rejected, result.rejected
    summary = {"requests": args.requests, "earned": server_app.earned, "server_balance": ledger.balance(server),
               "client_balance": ledger.balance(client), "shielded_pool": ledger.total_value()["shielded"]}
    print(f"settled: {summary}")
    ledger.close()
    return summary


if __name__ == "__main__":
    main()
