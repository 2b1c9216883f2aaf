"""``zkescrow ledger``: create the embedded ledger and inspect it (state, blocks, signed headers, proofs, integrity).

The ledger lives in DATA_DIR/ledger (``ledger_access``); ``init`` also makes the wallets it funds.
"""
from __future__ import annotations

import json

import click

from .ledger_access import DATA_DIR_OPTION, MAX_AMOUNT, echo_json, ledger_dir, open_ledger, wallet_path, writer_lock


@click.group("ledger")
def ledger_group():
    """Create and inspect the embedded ledger.

    \b
    Example:
      zkescrow ledger init --fund alice=1000 --fund bob=0 && zkescrow ledger show
    """


@ledger_group.command("init")
@DATA_DIR_OPTION
@click.option("--depth", type=click.IntRange(2, 32), default=20, show_default=True, help="Merkle depth of the note tree.")
@click.option("--fund", "funds", multiple=True, metavar="NAME=AMOUNT",
              help="Genesis balance of wallet NAME (created if missing); repeatable.")
@click.option("--denominations", "denominations", metavar="A,B,…|any", default=None,
              help="The only amounts `wallet shield` may bring into the pool (default: powers of ten, "
                   "1 … 10^12); 'any' accepts every amount.")
def ledger_init(data_dir, depth, funds, denominations):
    """Create a ledger whose genesis block funds named wallets.

    \b
    Example:
      zkescrow ledger init --depth 20 --fund alice=1000000 --fund bob=0
    """
    from zkescrow.errors import MalformedInput
    from zkescrow.ledger.keys import WalletKeys
    from zkescrow.ledger.ledger import Ledger, check_genesis_accounts
    shields = _denominations(denominations)     # every argument is checked before anything is written
    amounts = _fund_amounts(data_dir, funds)
    if (ledger_dir(data_dir) / "ledger.sqlite").exists():
        raise MalformedInput(f"{ledger_dir(data_dir)} already holds a ledger; use another --data-dir")
    keys = {name: (WalletKeys.load(wallet_path(data_dir, name)) if wallet_path(data_dir, name).exists()
                   else WalletKeys.generate()) for name in amounts}
    accounts = {}
    for name, amount in amounts.items():
        accounts[keys[name].address] = accounts.get(keys[name].address, 0) + amount
    try:
        check_genesis_accounts(accounts)
    except MalformedInput as exc:
        raise MalformedInput(f"--fund: {exc}") from None
    with writer_lock(data_dir):
        created = []
        try:
            for name in amounts:
                path = wallet_path(data_dir, name)
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    keys[name].save(path)
                    created.append(path)
            ledger = Ledger.create(ledger_dir(data_dir), accounts, depth=depth, **shields)
        except BaseException:
            for path in created:              # nothing of a failed init stays behind
                path.unlink(missing_ok=True)
            raise
        for path in created:
            click.echo(f"new wallet {path.stem} in {path}")
    click.echo(f"ledger created in {ledger_dir(data_dir)}: depth {depth}, supply {sum(accounts.values()):,}")
    ledger.close()


def _fund_amounts(data_dir, funds) -> dict[str, int]:
    """{wallet name: genesis amount} from the ``--fund NAME=AMOUNT`` options (each name a valid wallet name, once)."""
    from zkescrow.errors import MalformedInput
    amounts = {}
    for item in funds:
        name, sep, amount = item.partition("=")
        if not sep or not amount.strip().isdigit():
            raise MalformedInput(f"--fund takes NAME=AMOUNT with a whole AMOUNT ≥ 0, got {item!r}")
        wallet_path(data_dir, name)
        if name in amounts:
            raise MalformedInput(f"--fund names wallet {name!r} twice")
        amounts[name] = int(amount)
    return amounts


def _denominations(text: str | None) -> dict:
    """``Ledger.create``'s denominations argument from ``--denominations`` (nothing: the default set)."""
    from zkescrow.errors import MalformedInput
    if text is None:
        return {}
    if text.strip() == "any":
        return {"denominations": None}
    items = [item.strip() for item in text.split(",")]
    if not all(item.isdigit() and item.isascii() for item in items):
        raise MalformedInput(f"--denominations takes positive integers separated by commas, or 'any', got {text!r}")
    from zkescrow.ledger import denominations, rules
    return {"denominations": denominations.check([int(item) for item in items], rules.VALUE_MAX)}


@ledger_group.command("show")
@DATA_DIR_OPTION
@click.option("--json", "as_json", is_flag=True)
def ledger_show(data_dir, as_json):
    """Height, tip, where the value sits, registered poles and enclaves, escrows.

    \b
    Example:
      zkescrow ledger show
    """
    ledger = open_ledger(data_dir, readonly=True)
    escrows = [dict(r) for r in ledger.store.all("SELECT session_id, pole_id, deposit, balance, status, "
                                                 "refund_height FROM escrows")]
    enclaves = [{"enclave_id": r["enclave_id"], "measurement": r["measurement"], "verdict": r["verdict"]}
                for r in ledger.store.all("SELECT * FROM enclaves")]
    info = {"height": ledger.height, "tip": ledger.tip_hash, "chain_id": ledger.chain_id, "depth": ledger.depth,
            "root": str(ledger.root), "denominations": ledger.denominations,
            "value": ledger.total_value(), "services": ledger.services(), "enclaves": enclaves, "escrows": escrows,
            "rejected": len(ledger.rejections())}
    ledger.close()
    if as_json:
        echo_json(info)
        return
    v = info["value"]
    click.echo(f"height {info['height']}  tip {info['tip'][:16]}…  depth {info['depth']}")
    shields = info["denominations"]
    click.echo("shield amounts: " + ("any" if shields is None else ", ".join(f"{d:,}" for d in shields)))
    click.echo(f"value: transparent {v['transparent']:,} + shielded {v['shielded']:,} + escrow {v['escrow']:,}"
               f" = {v['total']:,}")
    for s in info["services"]:
        click.echo(f"pole {s['pole_id']}: {s['price_per_wh']} per Wh, {s['sessions']} settled sessions, "
                   f"operator {s['operator'][:16]}…")
    for e in enclaves:
        click.echo(f"enclave {e['enclave_id'][:16]}…: {e['verdict']}")
    for e in escrows:
        click.echo(f"escrow {e['session_id'][:12]}…: deposit {e['deposit']:,} at {e['pole_id']}, {e['status']}")
    click.echo(f"{info['rejected']} rejected transaction(s)")


@ledger_group.command("blocks")
@DATA_DIR_OPTION
@click.option("--from", "start", type=click.IntRange(0, MAX_AMOUNT), default=0, show_default=True,
              help="First block height.")
@click.option("--to", "end", type=click.IntRange(0, MAX_AMOUNT), default=None, help="Last block height.")
@click.option("--json", "as_json", is_flag=True)
def ledger_blocks(data_dir, start, end, as_json):
    """Blocks and their transactions (kind, txid, bytes).

    \b
    Example:
      zkescrow ledger blocks --from 1 --to 5
    """
    ledger = open_ledger(data_dir, readonly=True)
    blocks = ledger.blocks(start, end)
    txs = ledger.transactions(start, end)
    ledger.close()
    for b in blocks:
        b["txs"] = [{"txid": t["txid"], "kind": t["kind"], "size": t["size"]} for t in txs if t["height"] == b["height"]]
    if as_json:
        echo_json(blocks)
        return
    for b in blocks:
        click.echo(f"block {b['height']:>4}  {b['hash'][:16]}…  {b['n_txs']} tx")
        for t in b["txs"]:
            click.echo(f"        {t['kind']:<18} {t['txid'][:16]}…  {t['size']:>6,} B")


@ledger_group.command("verify")
@DATA_DIR_OPTION
@click.option("--json", "as_json", is_flag=True)
def ledger_verify(data_dir, as_json):
    """Re-derive every block from the stored transactions: headers, links, authority signatures, tx_roots.

    A tampered or damaged ledger is one line on stderr naming the first broken block (exit 2).

    \b
    Example:
      zkescrow ledger verify --json
    """
    ledger = open_ledger(data_dir)
    try:
        ledger.verify_chain()
        info = {"ok": True, "height": ledger.height, "tip": ledger.tip_hash, "chain_id": ledger.chain_id,
                "authorities": ledger.authorities, "threshold": ledger.threshold}
    finally:
        ledger.close()
    if as_json:
        echo_json(info)
        return
    click.echo(f"ledger OK: {info['height'] + 1} blocks signed by the authority, chain id {info['chain_id'][:16]}…, "
               f"tip {info['tip'][:16]}…")


@ledger_group.command("headers")
@DATA_DIR_OPTION
@click.option("--from", "start", type=click.IntRange(0), default=0, show_default=True)
@click.option("--to", "end", type=click.IntRange(0), default=None)
def ledger_headers(data_dir, start, end):
    """The authority-signed block headers (JSON lines), what a light client such as the enclave follows.

    \b
    Example:
      zkescrow ledger headers --from 0 > headers.jsonl
    """
    ledger = open_ledger(data_dir)
    try:
        lines = [json.dumps(h.to_json(), sort_keys=True) for h in ledger.headers(start, end)]
    finally:
        ledger.close()
    click.echo("\n".join(lines))


@ledger_group.command("proof")
@DATA_DIR_OPTION
@click.argument("txid")
def ledger_proof(data_dir, txid):
    """An accepted transaction with its signed header and Merkle inclusion proof (JSON).

    \b
    Example:
      zkescrow ledger proof 3f9c…e1 > proof.json
    """
    ledger = open_ledger(data_dir)
    try:
        proof = ledger.transaction_proof(txid)
    finally:
        ledger.close()
    echo_json(proof)
