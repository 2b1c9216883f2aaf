"""``zkescrow channel-demo``: stream a charging session over a payment channel and settle it."""
from __future__ import annotations

import json

import click


@click.command("channel-demo")
@click.option("--data-dir", type=click.Path(file_okay=False), default="zkescrow-data", show_default=True,
              help="Where the demo ledger (DATA_DIR/channel-demo) and circuit keys (DATA_DIR/keys) live.")
@click.option("--v2g", is_flag=True, help="Reverse the energy direction mid-session (vehicle-to-grid feed-in).")
@click.option("--price-signal", "price_signal", type=click.Path(dir_okay=False, exists=True), default=None,
              help='JSON list of {"at_packet": n, "price_per_wh": p, "direction": 0|1}, signed by the grid key '
                   "as each entry comes due.")
@click.option("--shielded", is_flag=True, help="Pedersen-committed balance proofs with Groth16 step proofs.")
@click.option("--packets", type=click.IntRange(1, 100_000), default=40, show_default=True,
              help="Packets of 10 Wh to stream.")
@click.option("--proof-every", type=click.IntRange(0, 10_000), default=10, show_default=True,
              help="Shielded: attach a channel_update proof to every k-th update (0: none).")
@click.option("--pay-ahead", is_flag=True, help="The payer pays one packet ahead (its risk) instead of after.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the session summary as JSON to this file.")
def channel_demo(data_dir, v2g, price_signal, shielded, packets, proof_every, pay_ahead, json_path):
    """Stream a charging session car → pole over a payment channel, one payment per 10 Wh packet.

    The controller releases each packet only after the previous one is paid (or
    takes payment one packet ahead), so neither side is ever owed more than one
    packet; the grid's signed price signals change the price or the direction;
    the channel then closes cooperatively and settles on the ledger (into
    shielded notes with --shielded).

    \b
    Example:
      zkescrow channel-demo --v2g
      zkescrow channel-demo --shielded --packets 20 --proof-every 5
    """
    from zkescrow.channel.demo import run_channel_demo

    summary = run_channel_demo(data_dir, v2g=v2g, price_signal_path=price_signal, out=click.get_text_stream("stdout"),
                               shielded=shielded, packets=packets, proof_every=proof_every, pay_ahead=pay_ahead)
    if json_path:
        with open(json_path, "w") as fh:
            json.dump(summary, fh, indent=1, default=str)
