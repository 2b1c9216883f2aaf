"""``zkescrow compare``, ``observe``, ``ledger`` and ``wallet``: the escrow ledger by hand and through an observer's eyes.

Everything lives in a data directory (default ./zkescrow-data): the ledger in
``ledger/``, circuit keys in ``keys/``, wallet key files in ``wallets/NAME.json``
(readable by their owner only).  Each command that changes the ledger submits its
transaction and commits a block at once (an embedded, single-node ledger).
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from .ledger_access import AMOUNT_COMMAND, MAX_AMOUNT, Amount, writer_lock as _writer

DATA_DIR_OPTION = click.option("--data-dir", type=click.Path(file_okay=False), default="zkescrow-data",
                               show_default=True, help="Ledger, keys and wallets.")


def _ledger_dir(data_dir) -> Path:
    return Path(data_dir) / "ledger"


def _open_ledger(data_dir, *, with_keys: bool = False, readonly: bool = False):
    from zkescrow.ledger.ledger import Ledger
    from zkescrow.ledger.proofs import CircuitKeys
    from zkescrow.errors import MalformedInput
    path = _ledger_dir(data_dir)
    if not (path / "ledger.sqlite").exists():
        raise MalformedInput(f"no ledger in {path}: run `zkescrow ledger init` or `zkescrow demo` first")
    ledger = Ledger(path, readonly=readonly)
    if with_keys:
        ledger.keys = CircuitKeys(Path(data_dir) / "keys", ledger.depth,
                                  log=lambda m: click.echo(m, err=True))
    return ledger


def _wallet_path(data_dir, name: str) -> Path:
    from zkescrow.errors import MalformedInput
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise MalformedInput(f"wallet names are letters, digits, '-' and '_': {name!r}")
    return Path(data_dir) / "wallets" / f"{name}.json"


def _load_keys(data_dir, name: str):
    from zkescrow.errors import MalformedInput
    from zkescrow.ledger.keys import WalletKeys
    path = _wallet_path(data_dir, name)
    if not path.exists():
        raise MalformedInput(f"no wallet {name!r} in {path.parent} (zkescrow wallet new {name})")
    return WalletKeys.load(path)


def _echo_json(obj) -> None:
    click.echo(json.dumps(obj, indent=1, sort_keys=True, default=str))


def _commit(ledger, *txs) -> None:
    """Submit and commit in one block; a rejection is TransactionRejected (exit 1) with the ledger's reason."""
    from zkescrow.errors import TransactionRejected
    for tx in txs:
        ledger.submit(tx)
    result = ledger.commit_block()
    if result.rejected:
        kind = next(tx.kind for tx in txs if tx.txid == result.rejected[0][0])
        raise TransactionRejected(f"{kind} rejected by the ledger: {result.rejected[0][1]}")
    for tx in txs:
        click.echo(f"block {result.height}: {tx.kind} {tx.txid[:16]}… ({tx.size:,} bytes)")


# --- compare and observe ------------------------------------------------------------------

@click.command("compare")
@DATA_DIR_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(data_dir, as_json):
    """Print only the transparent-vs-shielded comparison of the last demo (running one first if needed).

    What an observer infers is recomputed from the ledger in DATA_DIR (the privacy
    adversary, public data only); proof counts, times and transaction bytes come from
    the demo's report.

    \b
    Example:
      zkescrow compare --data-dir zkescrow-data
    """
    from zkescrow.cli.demo import REPORT_NAME, run_and_report
    from zkescrow.escrow.demo import comparison, format_comparison
    from zkescrow.privacy.observer import observe
    data = Path(data_dir)
    report_path = data / REPORT_NAME
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    if report is None or "runs" not in report or not (_ledger_dir(data) / "ledger.sqlite").exists():
        click.echo("no two-mode demo in this data directory yet: running `zkescrow demo --mode both` first", err=True)
        report = run_and_report(data, fresh=False, log=lambda m: click.echo(m, err=True), observe=observe)
    ledger = _open_ledger(data, readonly=True)
    observation = observe(ledger)
    ledger.close()
    for run in report["runs"]:
        run["observer"] = observation[run["mode"]]["fields"]
    report["comparison"] = comparison(report["runs"])
    if as_json:
        _echo_json(report["comparison"])
    else:
        click.echo(format_comparison(report))


@click.command("observe")
@DATA_DIR_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the full observation as JSON.")
def observe_cmd(data_dir, as_json):
    """What a third party infers from the public ledger alone: links, cars, poles, amounts, deadlines.

    Runs the adversary's linking heuristics (funder attribution, timing windows, amount
    and price arithmetic, ciphertext lengths, deadline and mode patterns, channel
    deposits and nonces) on DATA_DIR/ledger, or on every DATA_DIR/<mode>/ledger of a
    `zkescrow simulate` run.  `zkescrow privacy-eval` scores the same inferences
    against a simulation's ground truth.

    \b
    Example:
      zkescrow observe --data-dir zkescrow-data
      zkescrow observe --data-dir sim --json
    """
    from zkescrow.errors import MalformedInput
    from zkescrow.ledger.ledger import Ledger
    from zkescrow.privacy.observer import format_observation, observe
    from zkescrow.privacy.population import MODES
    data = Path(data_dir)
    found = [m for m in MODES if (data / m / "ledger" / "ledger.sqlite").exists()]
    if (_ledger_dir(data) / "ledger.sqlite").exists() or not found:
        ledgers = {"": _open_ledger(data_dir, readonly=True)}
    else:
        ledgers = {}
        for mode in found:
            try:
                ledgers[mode] = Ledger(data / mode / "ledger", readonly=True)
            except MalformedInput:
                for ledger in ledgers.values():
                    ledger.close()
                raise
    observations = {}
    for name, ledger in ledgers.items():
        observations[name] = observe(ledger)
        ledger.close()
    if as_json:
        _echo_json(observations[""] if "" in observations else observations)
        return
    for name, observation in observations.items():
        if name:
            click.echo(f"=== {name} ===")
        click.echo(format_observation(observation))


# --- ledger -------------------------------------------------------------------------------

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
    shields = _denominations(denominations)
    amounts = {}
    for item in funds:                        # every argument is checked before anything is written
        name, sep, amount = item.partition("=")
        if not sep or not amount.strip().isdigit():
            raise MalformedInput(f"--fund takes NAME=AMOUNT with a whole AMOUNT ≥ 0, got {item!r}")
        _wallet_path(data_dir, name)
        if name in amounts:
            raise MalformedInput(f"--fund names wallet {name!r} twice")
        amounts[name] = int(amount)
    if (_ledger_dir(data_dir) / "ledger.sqlite").exists():
        raise MalformedInput(f"{_ledger_dir(data_dir)} already holds a ledger; use another --data-dir")
    keys = {name: (WalletKeys.load(_wallet_path(data_dir, name)) if _wallet_path(data_dir, name).exists()
                   else WalletKeys.generate()) for name in amounts}
    accounts = {}
    for name, amount in amounts.items():
        accounts[keys[name].address] = accounts.get(keys[name].address, 0) + amount
    try:
        check_genesis_accounts(accounts)
    except MalformedInput as exc:
        raise MalformedInput(f"--fund: {exc}") from None
    with _writer(data_dir):
        created = []
        try:
            for name in amounts:
                path = _wallet_path(data_dir, name)
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    keys[name].save(path)
                    created.append(path)
            ledger = Ledger.create(_ledger_dir(data_dir), accounts, depth=depth, **shields)
        except BaseException:
            for path in created:              # nothing of a failed init stays behind
                path.unlink(missing_ok=True)
            raise
        for path in created:
            click.echo(f"new wallet {path.stem} in {path}")
    click.echo(f"ledger created in {_ledger_dir(data_dir)}: depth {depth}, supply {sum(accounts.values()):,}")
    ledger.close()


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
    ledger = _open_ledger(data_dir, readonly=True)
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
        _echo_json(info)
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
    ledger = _open_ledger(data_dir, readonly=True)
    blocks = ledger.blocks(start, end)
    txs = ledger.transactions(start, end)
    ledger.close()
    for b in blocks:
        b["txs"] = [{"txid": t["txid"], "kind": t["kind"], "size": t["size"]} for t in txs if t["height"] == b["height"]]
    if as_json:
        _echo_json(blocks)
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
    ledger = _open_ledger(data_dir)
    try:
        ledger.verify_chain()
        info = {"ok": True, "height": ledger.height, "tip": ledger.tip_hash, "chain_id": ledger.chain_id,
                "authorities": ledger.authorities, "threshold": ledger.threshold}
    finally:
        ledger.close()
    if as_json:
        _echo_json(info)
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
    ledger = _open_ledger(data_dir)
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
    ledger = _open_ledger(data_dir)
    try:
        proof = ledger.transaction_proof(txid)
    finally:
        ledger.close()
    _echo_json(proof)


# --- wallet -------------------------------------------------------------------------------

@click.group("wallet")
def wallet_group():
    """Named wallets: keys from one seed, a transparent account and shielded notes.

    \b
    Example:
      zkescrow wallet new alice && zkescrow wallet balance alice
    """


@wallet_group.command("new")
@DATA_DIR_OPTION
@click.argument("name")
def wallet_new(data_dir, name):
    """Create wallet NAME (its seed file is readable by you only) and print its addresses.

    \b
    Example:
      zkescrow wallet new alice
    """
    from zkescrow.errors import MalformedInput
    from zkescrow.ledger.keys import WalletKeys
    path = _wallet_path(data_dir, name)
    if path.exists():
        raise MalformedInput(f"wallet {name} already exists ({path})")
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = WalletKeys.generate()
    keys.save(path)
    click.echo(f"wallet {name}: {path}")
    click.echo(f"account address: {keys.address}")
    click.echo(f"payment address: {keys.payment_address.encode()}")


@wallet_group.command("balance")
@DATA_DIR_OPTION
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
def wallet_balance(data_dir, name, as_json):
    """Transparent balance and shielded notes of wallet NAME (scans the ledger).

    \b
    Example:
      zkescrow wallet balance alice
    """
    from zkescrow.ledger.wallet import Wallet
    keys = _load_keys(data_dir, name)
    ledger = _open_ledger(data_dir, readonly=True)
    wallet = Wallet(keys, ledger, None)
    wallet.scan()
    info = {"name": name, "address": keys.address, "payment_address": keys.payment_address.encode(),
            "transparent": wallet.transparent_balance(), "shielded": wallet.balance(),
            "notes": [{"value": n.note.value, "position": n.position} for n in wallet.notes()]}
    ledger.close()
    if as_json:
        _echo_json(info)
        return
    click.echo(f"{name}: transparent {info['transparent']:,}, shielded {info['shielded']:,} "
               f"in {len(info['notes'])} note(s)")


@wallet_group.command("shield", **AMOUNT_COMMAND)
@DATA_DIR_OPTION
@click.argument("name")
@click.argument("amount", type=Amount())
def wallet_shield(data_dir, name, amount):
    """Move AMOUNT from NAME's transparent account into shielded notes of its own.

    The ledger takes shields only in its denominations (``ledger show``): AMOUNT is cut
    into the fewest of them, one note each, all in one block.

    \b
    Example:
      zkescrow wallet shield alice 500
    """
    from zkescrow.errors import StatementFalse
    from zkescrow.ledger.wallet import Wallet
    keys = _load_keys(data_dir, name)
    with _writer(data_dir):
        ledger = _open_ledger(data_dir, with_keys=True)
        try:
            balance = ledger.balance(keys.address)       # before any key setup or proving
            if amount > balance:
                raise StatementFalse(f"{name} has {balance:,} in its transparent account, less than {amount:,}")
            _commit(ledger, *Wallet(keys, ledger, ledger.keys).shield_split(amount))
        finally:
            ledger.close()


@wallet_group.command("send", **AMOUNT_COMMAND)
@DATA_DIR_OPTION
@click.argument("name")
@click.argument("amount", type=Amount())
@click.option("--to", "to", required=True,
              help="A wallet name, a payment address (zkpay:…, shielded) or an account address (64 hex).")
@click.option("--transparent", is_flag=True, help="Pay from NAME's transparent account instead of its notes.")
def wallet_send(data_dir, name, amount, to, transparent):
    """Pay AMOUNT from wallet NAME: shielded by default (a transfer proof), or --transparent.

    \b
    Example:
      zkescrow wallet send alice 150 --to bob
    """
    from zkescrow.errors import MalformedInput
    from zkescrow.ledger.keys import PaymentAddress
    from zkescrow.ledger.transactions import Transaction
    from zkescrow.ledger.wallet import Wallet
    keys = _load_keys(data_dir, name)
    account = payment = None
    if to.startswith("zkpay:"):
        payment = PaymentAddress.decode(to)
    elif len(to) == 64 and all(c in "0123456789abcdef" for c in to):
        account = to
    else:
        other = _load_keys(data_dir, to)
        account, payment = other.address, other.payment_address
    if transparent and account is None:
        raise MalformedInput("a transparent payment goes to an account address or a wallet name")
    if not transparent and payment is None:
        raise MalformedInput("a shielded payment goes to a payment address (zkpay:…) or a wallet name")
    with _writer(data_dir):
        ledger = _open_ledger(data_dir, with_keys=not transparent)
        try:
            wallet = Wallet(keys, ledger, ledger.keys)
            if transparent:
                tx = Transaction("transfer", {"from": keys.address, "to": account, "amount": amount,
                                              "nonce": ledger.nonce(keys.address)}).signed(keys.account, ledger.chain_id)
            else:
                wallet.scan()
                tx = wallet.send(payment, amount)
            _commit(ledger, tx)
        finally:
            ledger.close()
