"""``zkescrow enclave measure | quote | verify``: simulated TEE enclaves and remote attestation.

Thin glue over enclave_sim.  A platform directory made by ``quote`` holds:
``vendor/`` (the simulated vendor's CAs: root.pem, platform-ca.pem, platform-ca.crl.pem),
``platform/`` (one simulated machine) and ``signer.pem`` (a development enclave-signing key, made when
``--signer-key`` is not given).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ..errors import MalformedInput


def _hex_nonce(value: str | None, *, required: bool) -> bytes | None:
    if value is None:
        if required:
            raise MalformedInput("--nonce is required")
        return None
    try:
        nonce = bytes.fromhex(value)
    except ValueError:
        raise MalformedInput("--nonce must be hex") from None
    if not 16 <= len(nonce) <= 64:
        raise MalformedInput(f"--nonce must be 16 to 64 bytes, got {len(nonce)}")
    return nonce


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise MalformedInput(f"cannot read {what} {path}: {exc.strerror}") from None


def _emit(as_json: bool, data: dict, lines: list[str]) -> None:
    click.echo(json.dumps(data, indent=2) if as_json else "\n".join(lines))


@click.group("enclave")
def enclave():
    """Simulated TEE enclaves: measure programs, produce and verify quotes.

    \b
    Example:
      zkescrow enclave measure enclave_sim.examples.kvstore
      zkescrow enclave quote enclave_sim.examples.kvstore --platform-dir plat \\
          --nonce $(openssl rand -hex 32) -o quote.json --write-policy policy.toml
      zkescrow enclave verify quote.json --policy policy.toml --nonce <same hex>
    """


@enclave.command("measure")
@click.argument("program")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def measure_cmd(program, as_json):
    """Print the measurement (MRENCLAVE) of PROGRAM: a .py file or a module name, optionally :Class.

    \b
    Example:
      zkescrow enclave measure enclave_sim/examples/kvstore.py --json
    """
    from enclave_sim import ProgramImage
    image = ProgramImage.load(program)
    _emit(as_json, {"mrenclave": image.measurement.hex(), "program": image.class_name, "origin": image.origin,
                    "config": dict(image.config)}, [image.measurement.hex()])


def _open_platform(platform_dir: Path, tcb_level: int):
    from enclave_sim import Platform, Vendor
    vendor_dir = platform_dir / "vendor"
    if (vendor_dir / "root.pem").exists():
        vendor = Vendor.load(vendor_dir)
    else:
        vendor = Vendor.create()
    vendor.save(vendor_dir)             # also refreshes the CRL
    return vendor_dir, Platform.open_or_create(platform_dir / "platform", vendor, tcb_level=tcb_level)


def _signer(platform_dir: Path, signer_key: str | None):
    from enclave_sim import EnclaveSigner
    if signer_key is not None:
        return EnclaveSigner.from_pem(_read(signer_key, "signer key"))
    path = platform_dir / "signer.pem"
    if path.exists():
        return EnclaveSigner.from_pem(path.read_bytes())
    signer = EnclaveSigner.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(signer.to_pem())
    return signer


def _policy_toml(policy_path: Path, identity, vendor_dir: Path, tcb_level: int) -> str:
    def rel(p: Path) -> str:
        return os.path.relpath(p.resolve(), policy_path.resolve().parent)
    return (f'# Accepts exactly this enclave build on platforms of this simulated vendor.\n'
            f'[enclave]\nmrenclave = ["{identity.mrenclave.hex()}"]\nmrsigner = "{identity.mrsigner.hex()}"\n'
            f'product_id = {identity.product_id}\nmin_svn = {identity.svn}\nallow_debug = false\n\n'
            f'[platform]\nroot_ca = "{rel(vendor_dir / "root.pem")}"\nmin_tcb_level = {tcb_level}\n'
            f'crl = ["{rel(vendor_dir / "platform-ca.crl.pem")}"]\n')


@enclave.command("quote")
@click.argument("program")
@click.option("--platform-dir", required=True, help="Simulated platform directory (created if absent).")
@click.option("--nonce", required=True, help="Verifier's nonce, hex (16 to 64 bytes).")
@click.option("-o", "--output", required=True, help="Where to write quote.json.")
@click.option("--chain-out", default=None, help="Where to write the PEM chain [chain.pem next to the quote].")
@click.option("--signer-key", default=None, help="Ed25519 PEM enclave-signing key [DIR/signer.pem].")
@click.option("--product-id", type=click.IntRange(0, 0xFFFF), default=1, show_default=True)
@click.option("--svn", type=click.IntRange(0, 0xFFFF), default=1, show_default=True, help="Security version.")
@click.option("--debug", is_flag=True, help="Launch with the DEBUG attribute (production policies reject it).")
@click.option("--tcb-level", type=click.IntRange(0, 0xFFFF), default=1, show_default=True,
              help="TCB level of a newly created platform.")
@click.option("--write-policy", default=None, help="Also write a policy.toml accepting exactly this enclave.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def quote_cmd(program, platform_dir, nonce, output, chain_out, signer_key, product_id, svn, debug, tcb_level,
              write_policy, as_json):
    """Launch PROGRAM on a simulated platform and write its quote for NONCE.

    The quote binds the enclave's Ed25519 and X25519 keys to the nonce:
    report_data = SHA-512(ed25519 ‖ x25519 ‖ nonce).

    \b
    Example:
      zkescrow enclave quote enclave_sim.examples.kvstore --platform-dir plat \\
          --nonce 00112233445566778899aabbccddeeff -o quote.json
    """
    from enclave_sim import ProgramImage
    nonce_bytes = _hex_nonce(nonce, required=True)
    image = ProgramImage.load(program)
    directory = Path(platform_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MalformedInput(f"cannot create {directory}: {exc.strerror}") from None
    signer = _signer(directory, signer_key)
    vendor_dir, platform = _open_platform(directory, tcb_level)
    running = platform.launch(image, signer.sign(image, product_id=product_id, svn=svn), debug=debug)
    quote = running.attest(nonce_bytes)
    out = Path(output)
    chain_path = Path(chain_out) if chain_out else out.parent / "chain.pem"
    out.write_text(quote.to_json())
    chain_path.write_text(platform.chain.to_pem())
    result = {"quote": str(out), "chain": str(chain_path), "mrenclave": quote.identity.mrenclave.hex(),
              "mrsigner": quote.identity.mrsigner.hex(), "platform_id": quote.platform_id.hex(),
              "tcb_level": quote.tcb_level, "root_ca": str(vendor_dir / "root.pem"),
              "crl": str(vendor_dir / "platform-ca.crl.pem")}
    lines = [f"quote written to {out} (chain: {chain_path})",
             f"mrenclave {result['mrenclave']}", f"mrsigner  {result['mrsigner']}"]
    if write_policy:
        policy_path = Path(write_policy)
        policy_path.write_text(_policy_toml(policy_path, quote.identity, vendor_dir, platform.tcb_level))
        result["policy"] = str(policy_path)
        lines.append(f"policy written to {policy_path}")
    _emit(as_json, result, lines)


@enclave.command("verify")
@click.argument("quote_file")
@click.option("--policy", "policy_file", required=True, help="Attestation policy (TOML).")
@click.option("--chain", default=None, help="PEM chain [the chain embedded in the quote].")
@click.option("--nonce", default=None, help="The nonce sent to the enclave, hex [the policy's nonce].")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def verify_cmd(quote_file, policy_file, chain, nonce, as_json):
    """Check QUOTE_FILE against a policy: prints OK (exit 0) or the reason it fails (exit 1).

    Malformed quote, chain or policy files exit 2.

    \b
    Example:
      zkescrow enclave verify quote.json --policy policy.toml --chain chain.pem \\
          --nonce 00112233445566778899aabbccddeeff
    """
    from enclave_sim import CertificateChain, Policy, Quote, verify_quote
    try:
        quote = Quote.from_json(_read(quote_file, "quote"))
    except RecursionError:
        raise MalformedInput(f"{quote_file}: quote JSON nested too deeply") from None
    policy = Policy.from_toml(policy_file)
    chain_obj = CertificateChain.from_pem(_read(chain, "chain")) if chain else None
    trusted = verify_quote(quote, chain_obj, policy, _hex_nonce(nonce, required=False))
    ident = trusted.identity
    _emit(as_json, {"ok": True, **ident.to_dict(), "platform_id": trusted.platform_id.hex(),
                    "tcb_level": trusted.tcb_level, "enclave_keys": trusted.keys.to_dict()},
          [f"OK: enclave {ident.mrenclave.hex()} (signer {ident.mrsigner.hex()[:16]}…, product {ident.product_id}, "
           f"SVN {ident.svn}) on platform {trusted.platform_id.hex()} at TCB level {trusted.tcb_level}"])
