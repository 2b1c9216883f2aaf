"""Fixed shield denominations, pre-funded deposit notes, deposits that name no price, drawn deadlines (issue 13,
leaks 2, 4 and 5): what the ledger accepts, and what a population of sessions puts on the public ledger."""
import json
import random

import pytest

from escrow_statement_keys import StatementKeys, make_world
from zkescrow.errors import MalformedInput, WitnessError
from zkescrow.escrow.session import ChargingSession, standard_deposit
from zkescrow.ledger import denominations
from zkescrow.ledger.keys import WalletKeys
from zkescrow.ledger.ledger import Ledger
from zkescrow.ledger.wallet import Wallet

DEPTH = 8


def _ledger(tmp_path, funds: int, **options):
    keys = StatementKeys(DEPTH)
    alice = WalletKeys.generate()
    ledger = Ledger.create(tmp_path / "ledger", {alice.address: funds}, depth=DEPTH, keys=keys, **options)
    return ledger, Wallet(alice, ledger, keys)


def _genesis_body(ledger) -> dict:
    return json.loads(ledger.transactions(0, 0)[0]["body"])["body"]


def test_a_shield_of_no_denomination_is_rejected_and_nothing_moves(tmp_path):
    ledger, wallet = _ledger(tmp_path, 5_000)
    assert ledger.denominations == list(denominations.DEFAULT)
    before = (ledger.total_value(), ledger.nonce(wallet.keys.address), ledger.commitments(), ledger.pool_value)
    ledger.submit(wallet.shield(400))
    result = ledger.commit_block()
    assert result.accepted == [] and "shield amount 400 is not one of this ledger's denominations" in \
        result.rejected[0][1]
    assert (ledger.total_value(), ledger.nonce(wallet.keys.address), ledger.commitments(), ledger.pool_value) == \
        before
    wallet._next_nonce = 0                               # the rejected shield used no nonce on the ledger
    ledger.submit(wallet.shield(1_000))
    assert ledger.commit_block().rejected == []
    assert ledger.balance(wallet.keys.address) == 4_000 and ledger.pool_value == 1_000


def test_the_denominations_are_the_ledgers_own_recorded_at_creation(tmp_path):
    ledger, wallet = _ledger(tmp_path, 5_000, denominations=(250, 50))
    assert ledger.denominations == [50, 250]
    genesis = _genesis_body(ledger)
    assert genesis["denominations"] == [50, 250]          # in the genesis block: the chain id binds them
    path = ledger.store.data_dir
    ledger.close()
    reopened = Ledger(path, keys=wallet.circuit_keys)
    wallet.ledger = reopened
    reopened.submit(wallet.shield(250))
    reopened.submit(wallet.shield(1_000))                # a default denomination, not this ledger's
    result = reopened.commit_block()
    assert len(result.accepted) == 1 and "not one of this ledger's denominations" in result.rejected[0][1]
    reopened.close()
    for bad in ((), (0, 10), (10, 10), (1.5,), ("10",)):
        with pytest.raises(MalformedInput, match="denominations"):
            Ledger.create(tmp_path / f"bad-{len(bad)}-{bad!r}", {}, depth=DEPTH, denominations=bad)


def test_a_ledger_without_denominations_keeps_taking_any_amount(tmp_path):
    ledger, wallet = _ledger(tmp_path, 5_000, denominations=None)
    assert ledger.denominations is None and "denominations" not in _genesis_body(ledger)
    ledger.submit(wallet.shield(437))
    assert ledger.commit_block().rejected == []
    assert [tx.body["amount"] for tx in wallet.shield_split(437)] == [437]


@pytest.mark.parametrize("allowed", [denominations.DEFAULT, tuple(2 ** k for k in range(20)), (1, 2, 5, 10, 20, 50),
                                     (3, 5, 7), (4, 9, 10)])
def test_the_splitter_covers_amounts_exactly_with_the_fewest_pieces(allowed):
    rng = random.Random(13)
    for amount in [1, 9, 10, 11, 99, 1234, 150_000, 999_999, *(rng.randrange(1, 10 ** 7) for _ in range(200))]:
        try:
            pieces = denominations.split(amount, allowed)
        except MalformedInput:
            assert allowed in ((3, 5, 7), (4, 9, 10)) and not _reachable(amount, allowed)
            continue
        assert sum(pieces) == amount and set(pieces) <= set(allowed) and pieces == sorted(pieces, reverse=True)
        if amount <= 2_000:
            assert len(pieces) == _fewest(amount, allowed)
        if allowed == denominations.DEFAULT:
            assert len(pieces) == sum(int(c) for c in str(amount))            # the digit sum: no fewer exist
    assert denominations.split(18, (4, 9, 10)) == [9, 9]                     # greedy (10+4+4) would take three
    assert denominations.split(11, (3, 5, 7)) == [5, 3, 3]
    with pytest.raises(MalformedInput):
        denominations.split(0, allowed)
    assert denominations.covering(1, allowed) == min(allowed)
    with pytest.raises(MalformedInput, match="no denomination covers"):
        denominations.covering(max(allowed) + 1, allowed)


def _reachable(amount: int, allowed) -> bool:
    return amount > 2_000 or _fewest(amount, allowed) is not None    # these small sets reach every large amount


def _fewest(amount: int, allowed) -> int | None:
    """The fewest pieces adding up to ``amount`` (None: no sum does), by brute force over all smaller amounts."""
    best = [0] + [None] * amount
    for k in range(1, amount + 1):
        counts = [best[k - d] for d in allowed if d <= k and best[k - d] is not None]
        best[k] = min(counts) + 1 if counts else None
    return best[amount]


def test_a_wallet_shields_an_amount_as_denomination_notes_adding_up_to_it(tmp_path):
    ledger, wallet = _ledger(tmp_path, 100_000)
    txs = wallet.shield_split(12_345)
    assert sorted(tx.body["amount"] for tx in txs) == sorted([10_000, 1_000, 1_000, 100, 100, 100, 10, 10, 10, 10,
                                                             1, 1, 1, 1, 1])
    for tx in txs:
        ledger.submit(tx)
    assert ledger.commit_block().rejected == []
    wallet.scan()
    assert wallet.balance() == 12_345 and ledger.balance(wallet.keys.address) == 100_000 - 12_345
    with pytest.raises(MalformedInput, match="not one of the ledger's denominations"):
        wallet.prefund([1_500])


def _population(tmp_path, prices, needs):
    """One driver, a pole per price; it pre-funds a deposit note per session, then charges at each pole in turn."""
    world, car, first = make_world(tmp_path / "w", StatementKeys(DEPTH), price=prices[0], shield=1)
    poles = [first] + [world.add_pole(f"pole-{k + 2}", "operator", p) for k, p in enumerate(prices[1:])]
    plan = [(poles[k % len(poles)], needs[k % len(needs)]) for k in range(len(poles) * 2)]
    deposits = [standard_deposit(world.ledger, wh, pole.price_per_wh) for pole, wh in plan]
    assert not world.mine(*car.wallet.prefund(deposits)).rejected
    prefund_height = world.ledger.height
    world.mine_until(world.ledger.height + 3)           # the notes wait: funding comes blocks later
    car.wallet.scan()
    sessions = []
    for k, ((pole, wh), deposit) in enumerate(zip(plan, deposits)):
        session = ChargingSession(world, car, pole, ("transparent", "shielded")[k % 2], deposit=deposit,
                                  target_wh=wh)
        result = session.run()
        assert result.outcome == "settled" and result.energy_wh == wh
        funded = next(t["height"] for t in result.transactions if t["kind"] in ("escrow_open", "shielded_transfer"))
        sessions.append((session, funded))
    return world, sessions, prefund_height


def test_a_population_of_sessions_deposits_from_the_denominations_with_drawn_deadlines(tmp_path):
    prices = [3, 5, 7, 11]
    world, sessions, prefund_height = _population(tmp_path, prices, needs=[80, 120, 200, 260])
    ledger = world.ledger
    allowed = set(ledger.denominations)
    deposits = [s.deposit for s, _ in sessions]
    assert set(deposits) <= allowed
    prices_per_deposit: dict = {}
    for s, _ in sessions:                                # the smallest denomination covering the need ...
        assert s.deposit == denominations.covering(s.target_wh * s.price, allowed) >= s.target_wh * s.price
        prices_per_deposit.setdefault(s.deposit, set()).add(s.price)
    assert all(len(p) >= 2 for p in prices_per_deposit.values())    # ... paid at several poles' prices alike
    public = [ledger.escrow(s.session_id)["deposit"] for s, _ in sessions if s.escrow.name == "transparent"]
    assert public and set(public) <= allowed
    # the funding spent a pre-funded note whole: no shield after the pre-funding block
    assert [tx["kind"] for tx in ledger.transactions(prefund_height + 1) if tx["kind"] == "shield"] == []
    # deadlines: drawn per session, not a fixed offset from funding (or from opening)
    low, high = world.refund_delays
    offsets = [s.refund_height - funded for s, funded in sessions]
    assert all(low - 1 <= o <= high for o in offsets)
    assert len(set(offsets)) > 1
    for s, funded in sessions:
        assert s.terms["close_height"] == s.refund_height - world.settle_window


def test_deadline_draws_cover_the_configured_range(tmp_path):
    world, _, _ = make_world(tmp_path / "w", StatementKeys(DEPTH), shield=1, refund_delays=(10, 13))
    tip = world.ledger.height
    drawn = {world.draw_refund_height() - tip for _ in range(400)}
    assert drawn == {10, 11, 12, 13}
    with pytest.raises(MalformedInput, match="refund delays"):
        make_world(tmp_path / "x", StatementKeys(DEPTH), shield=1, refund_delays=(5, 10))
    with pytest.raises(MalformedInput, match="refund delays"):
        make_world(tmp_path / "y", StatementKeys(DEPTH), shield=1, refund_delays=(16, 5000))


def test_ledger_init_records_the_denominations_and_show_prints_them(tmp_path, capsys):
    from zkescrow.cli.main import main

    def run(*args):
        with pytest.raises(SystemExit) as exit_info:
            main(list(args))
        out, err = capsys.readouterr()
        return exit_info.value.code, out, err

    for option, shown in ((["--denominations", "50,5"], "shield amounts: 5, 50"), (["--denominations", "any"],
                                                                                   "shield amounts: any"),
                          ([], "shield amounts: 1, 10, 100, 1,000")):
        data = str(tmp_path / f"d{len(shown)}")
        code, _, err = run("ledger", "init", "--data-dir", data, "--depth", "4", "--fund", "a=100", *option)
        assert code == 0, err
        code, out, _ = run("ledger", "show", "--data-dir", data)
        assert code == 0 and shown in out
    for bad in ("5,x", "0,5", "5,5", ""):
        code, _, err = run("ledger", "init", "--data-dir", str(tmp_path / "bad"), "--fund", "a=1",
                           "--denominations", bad)
        assert code == 2 and "denominations" in err and "Traceback" not in err
        assert not (tmp_path / "bad" / "wallets").exists()


def test_a_wallet_cuts_deposit_notes_from_value_already_in_the_pool(tmp_path):
    ledger, wallet = _ledger(tmp_path, 100_000)
    ledger.submit(wallet.shield(10_000))
    assert ledger.commit_block().rejected == []
    for expected in ([9_000, 1_000], [8_000, 1_000, 1_000]):
        wallet.scan()
        tx = wallet.prefund_from_pool(1_000)
        assert tx.kind == "shielded_transfer" and tx.body["public_amount"] == 0
        ledger.submit(tx)
        assert ledger.commit_block().rejected == []
        wallet.scan()
        assert [n.note.value for n in wallet.notes()] == expected
    assert wallet.prefunded(1_000) == 2 and wallet.balance() == 10_000
    assert [n.note.value for n in wallet.select(1_000)] == [1_000]            # funding spends one whole
    with pytest.raises(WitnessError, match="insufficient"):
        wallet.prefund_from_pool(10_000)
    with pytest.raises(MalformedInput, match="not one of the ledger's denominations"):
        wallet.prefund_from_pool(2_000)


def test_a_world_can_be_made_on_a_ledger_without_denominations(tmp_path):
    world, car, _ = make_world(tmp_path / "w", StatementKeys(DEPTH), shield=437, denominations=None)
    assert world.ledger.denominations is None and car.wallet.balance() == 437
    world, car, _ = make_world(tmp_path / "v", StatementKeys(DEPTH), shield=437)
    assert world.ledger.denominations == list(denominations.DEFAULT) and len(car.wallet.notes()) == 4 + 3 + 7
