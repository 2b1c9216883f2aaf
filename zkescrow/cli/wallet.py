"""``zkescrow wallet``: named wallets in DATA_DIR/wallets: make one, read its balance, shield and pay.

Each payment holds the data directory's writer lock from its first read to its block (``ledger_access``).
"""
from __future__ import annotations

import click

from .ledger_access import (AMOUNT_COMMAND, DATA_DIR_OPTION, Amount, commit, echo_json, load_keys, open_ledger,
                            wallet_path, writer_lock)


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
    path = wallet_path(data_dir, name)
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
    keys = load_keys(data_dir, name)
    ledger = open_ledger(data_dir, readonly=True)
    wallet = Wallet(keys, ledger, None)
    wallet.scan()
    info = {"name": name, "address": keys.address, "payment_address": keys.payment_address.encode(),
            "transparent": wallet.transparent_balance(), "shielded": wallet.balance(),
            "notes": [{"value": n.note.value, "position": n.position} for n in wallet.notes()]}
    ledger.close()
    if as_json:
        echo_json(info)
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
    keys = load_keys(data_dir, name)
    with writer_lock(data_dir):
        ledger = open_ledger(data_dir, with_keys=True)
        try:
            balance = ledger.balance(keys.address)       # before any key setup or proving
            if amount > balance:
                raise StatementFalse(f"{name} has {balance:,} in its transparent account, less than {amount:,}")
            commit(ledger, *Wallet(keys, ledger, ledger.keys).shield_split(amount))
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
    keys = load_keys(data_dir, name)
    account = payment = None
    if to.startswith("zkpay:"):
        payment = PaymentAddress.decode(to)
    elif len(to) == 64 and all(c in "0123456789abcdef" for c in to):
        account = to
    else:
        other = load_keys(data_dir, to)
        account, payment = other.address, other.payment_address
    if transparent and account is None:
        raise MalformedInput("a transparent payment goes to an account address or a wallet name")
    if not transparent and payment is None:
        raise MalformedInput("a shielded payment goes to a payment address (zkpay:…) or a wallet name")
    with writer_lock(data_dir):
        ledger = open_ledger(data_dir, with_keys=not transparent)
        try:
            wallet = Wallet(keys, ledger, ledger.keys)
            if transparent:
                tx = Transaction("transfer", {"from": keys.address, "to": account, "amount": amount,
                                              "nonce": ledger.nonce(keys.address)}).signed(keys.account, ledger.chain_id)
            else:
                wallet.scan()
                tx = wallet.send(payment, amount)
            commit(ledger, tx)
        finally:
            ledger.close()
