"""The public setup of one mode's ledger: accounts, the enclave (escrow), registered poles, cars, residents."""
from __future__ import annotations

import random
from pathlib import Path

from zkescrow.channel.funding import DENOMINATIONS as CHANNEL_DENOMINATIONS
from zkescrow.channel.funding import deposit_for
from zkescrow.escrow.session import standard_deposit
from zkescrow.escrow.settlement_timing import POLICIES, HiddenSettlement
from zkescrow.escrow.actors import Pole
from zkescrow.ledger.keys import WalletKeys
from zkescrow.ledger.ledger import Ledger
from zkescrow.ledger.wallet import Wallet

from .players import channel_session, escrow_session

DRIVER_FUNDS = 100_000_000
RESIDENT_FUNDS = 20_000_000
CHANNEL_EXTENSION = "channel"


class World:
    """Ledger and parties of one mode; ``commit`` mines one block of the given transactions."""

    def __init__(self, config, mode: str, data_dir: Path, keys):
        from .population import ESCROW_MODES, pole_prices
        self.config, self.mode, self.keys = config, mode, keys
        self.escrow = mode in ESCROW_MODES
        self.prices = pole_prices(config.poles)
        self.timing = None                      # the mode's own (transparent: prompt)
        if mode == "shielded":                  # the drivers' and poles' draws, replayable from the seed
            self.timing = POLICIES[config.settlement]() if config.settlement == "prompt" else \
                HiddenSettlement(rng=random.Random(config.seed * 15485863 + 11))
        residents = config.residents or config.drivers
        funds = {f"driver-{d:02d}": DRIVER_FUNDS for d in range(config.drivers)}
        funds.update({f"resident-{r:02d}": RESIDENT_FUNDS for r in range(residents)})
        funds.update({f"operator-{p:02d}": 0 for p in range(config.poles)})
        if self.escrow:
            from zkescrow.escrow.world import EscrowWorld, MeteredKeys
            self.escrow_world = EscrowWorld.create(data_dir, MeteredKeys(keys), depth=config.depth, funds=funds,
                                                   packet_wh=10, rng=random.Random(config.seed * 104729 + 3))
            if not self.escrow_world.enclave_registered:
                raise AssertionError("the ledger rejected the genuine escrow enclave")
            self.ledger, self.people = self.escrow_world.ledger, self.escrow_world.people
            for p, price in enumerate(pole_prices(config.poles)):
                self.escrow_world.add_pole(f"pole-{p:02d}", f"operator-{p:02d}", price)
            self.poles = self.escrow_world.poles
            self.cars = {}
            for d in range(config.drivers):
                car = self.escrow_world.car(f"driver-{d:02d}")
                car.verify_enclave(self.escrow_world.host)
                self.cars[f"driver-{d:02d}"] = car
        else:
            self.people = {name: WalletKeys.generate() for name in funds}
            accounts = {self.people[n].address: v for n, v in funds.items()}
            self.ledger = Ledger.create(Path(data_dir) / "ledger", accounts, depth=config.depth, keys=keys,
                                        extensions=(CHANNEL_EXTENSION,), denominations=CHANNEL_DENOMINATIONS)
            self.poles, self.cars = {}, {}
            for p, price in enumerate(pole_prices(config.poles)):
                operator = self.people[f"operator-{p:02d}"]
                pole = Pole(f"pole-{p:02d}", operator, price)
                self.ledger.submit(pole.registration(self.ledger.nonce(operator.address), self.ledger.chain_id))
                if self.ledger.commit_block().rejected:
                    raise AssertionError("pole registration rejected")
                self.poles[pole.pole_id] = pole
        self.residents = {name: Wallet(self.people[name], self.ledger, keys)
                          for name in self.people if name.startswith("resident")}
        # every shield is in the ledger's denominations (the ledger refuses any other amount)
        shields = [tx for w in self.residents.values() for tx in w.shield_split(RESIDENT_FUNDS // 2)]
        if config.funding == "prefund" and self.escrow:   # notes of exactly the standard deposit, ahead of use
            per_driver = 2 * -(-config.sessions // config.drivers) + 2
            for car in self.cars.values():
                shields += car.wallet.prefund([self.deposit(None)] * per_driver)
        if not self.escrow:                            # channel deposits are paid from notes shielded ahead of time
            shields += [tx for name in self.people if name.startswith("driver")
                        for tx in Wallet(self.people[name], self.ledger, keys).shield_split(DRIVER_FUNDS // 2)]
        block = self.commit(shields)
        if block.rejected:
            raise AssertionError(f"initial shielding rejected: {block.rejected[0][1]}")

    def deposit(self, spec: dict | None) -> int:
        """The standard deposit, the same for every session and pole (``spec`` is not consulted): the smallest
        denomination covering ``deposit_wh`` at the highest price, so the amount names no pole and no energy."""
        highest = max(self.prices)
        if self.escrow:
            return standard_deposit(self.ledger, self.config.deposit_wh, highest)
        return deposit_for(self.config.deposit_wh * highest)

    def session_body(self, spec: dict):
        pole = self.poles[spec["pole"]]
        spec = dict(spec, deposit=self.deposit(spec), price_per_wh=pole.price_per_wh)
        if self.escrow:
            return escrow_session(self.escrow_world, spec, self.cars[spec["driver"]], pole,
                                  packets_per_block=self.config.packets_per_block,
                                  timing=self.timing)
        return channel_session(self.ledger.store.data_dir, self.keys, spec, self.people[spec["driver"]],
                               self.people[f"operator-{spec['pole'][-2:]}"],
                               packets_per_block=self.config.packets_per_block)

    def commit(self, txs):
        for tx in txs:
            self.ledger.submit(tx)
        return self.ledger.commit_block()

    def identities(self) -> dict:
        """Who is who: names to public account addresses (ground truth; the adversary never reads it)."""
        return {"accounts": {name: keys.address for name, keys in self.people.items()},
                "poles": {pid: {"price_per_wh": p.price_per_wh, "operator": p.operator.address}
                          for pid, p in self.poles.items()}}

    def close(self) -> None:
        self.ledger.close()


def build_world(config, mode: str, data_dir: Path, keys) -> World:
    return World(config, mode, Path(data_dir), keys)
