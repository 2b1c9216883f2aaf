"""The layering of the guide, read from the source with `ast`, and the CLI's lean start-up.

    zkescrow.bn254 <- zkescrow.r1cs + zkescrow.formats <- circuits <- zkescrow.groth16
        <- zkescrow.ledger <- zkescrow.escrow | zkescrow.channel (peers) <- zkescrow.privacy <- zkescrow.cli

A module may import its own layer and the layers below it (and zkescrow.errors, which every layer
shares) at module level.  enclave_sim depends only on the standard library, the crypto libraries
(cryptography, PyNaCl) and zkescrow.errors; only the ledger and the layers above it may use it.
The escrow and the channels are peers: neither imports the other, at any level.  Imports inside
functions may reach up (they load on demand; `upward_function_imports` lists them for review), but
the ledger reaches up only from its extension registry (``zkescrow.ledger.extensions``).  No module
is named by a string: no import_module/__import__ of a string literal, no "module:Attr" registry.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("zkescrow", "circuits", "enclave_sim")

#: layer name -> rank; a module may import ranks <= its own.
RANK = {
    "zkescrow.errors": 0,
    "zkescrow": 0,                  # the package itself: __version__ only
    "zkescrow.bn254": 1,
    "zkescrow.r1cs": 2,
    "zkescrow.formats": 2,
    "circuits": 3,
    "zkescrow.groth16": 4,
    "enclave_sim": 5,               # beside the protocol layers: usable by the ledger and above
    "zkescrow.ledger": 6,
    "zkescrow.escrow": 7,
    "zkescrow.channel": 7,
    "zkescrow.privacy": 8,          # measures escrow and channels as an attacker would: above both
    "zkescrow.cli": 9,
}

#: peer layers: they share a rank and never import each other.
PEERS = ("zkescrow.escrow", "zkescrow.channel")
#: the only ledger module that may import (inside functions) the extensions above it.
EXTENSION_REGISTRY = "zkescrow.ledger.extensions"

#: what enclave_sim may import besides itself and the standard library.
ENCLAVE_SIM_ALLOWED = ("cryptography", "nacl", "zkescrow.errors")


def layer_of(module: str) -> str | None:
    """The longest RANK key that is ``module`` or a package prefix of it; None for outside modules."""
    best = None
    for name in RANK:
        if module == name or module.startswith(name + "."):
            if best is None or len(name) > len(best):
                best = name
    return best


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def imports(path: Path):
    """(imported module, line, at_module_level) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = module_name(path)
    package = here if _is_package(path) else here.rpartition(".")[0]
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if _type_checking_block(child):
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append((alias.name, child.lineno, not in_function))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base_parts = package.split(".")
                    base_parts = base_parts[:len(base_parts) - (child.level - 1)]
                    base = ".".join(base_parts + ([child.module] if child.module else []))
                else:
                    base = child.module
                for alias in child.names:
                    # `from zkescrow import groth16` imports the subpackage, not just the package
                    target = f"{base}.{alias.name}" if _is_module(f"{base}.{alias.name}") else base
                    found.append((target, child.lineno, not in_function))
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return found


#: a "package.module:Attr" string: what a registry would hand to importlib later.
LAZY_TARGET = re.compile(r"^(zkescrow|circuits|enclave_sim)(\.[A-Za-z_]\w*)+:[A-Za-z_]\w*$")
STRING_IMPORTERS = ("import_module", "__import__")


def string_named_imports(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """(line, what) for every module named by a string: import_module/__import__ called with a string
    literal, and "module:Attr" strings (a registry that imports them later hides the edge)."""
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            arg = node.args[0]
            if name in STRING_IMPORTERS and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append((node.lineno, f"{name}({arg.value!r})"))
            elif name in STRING_IMPORTERS and isinstance(arg, ast.JoinedStr) and arg.values \
                    and isinstance(arg.values[0], ast.Constant) \
                    and str(arg.values[0].value).split(".")[0] in PACKAGES:   # f"circuits.escrow.{name}"
                found.append((node.lineno, f"{name}(f{str(arg.values[0].value)!r}…)"))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and LAZY_TARGET.match(node.value):
            found.append((node.lineno, f"registry string {node.value!r}"))
    return found


def source_files():
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def violation(importer: str, target: str) -> str | None:
    """Why importing ``target`` from ``importer`` breaks the layering, or None when it does not."""
    top = target.split(".")[0]
    if importer == "enclave_sim" or importer.startswith("enclave_sim."):
        if top == "enclave_sim" or top in sys.stdlib_module_names or top == "__future__":
            return None
        if any(target == allowed or target.startswith(allowed + ".") for allowed in ENCLAVE_SIM_ALLOWED):
            return None
        return "enclave_sim depends only on the standard library, crypto libraries and zkescrow.errors"
    if top not in PACKAGES:
        return None                 # standard library and third-party packages
    own, theirs = layer_of(importer), layer_of(target)
    if own is None or theirs is None:
        return None
    if RANK[theirs] > RANK[own]:
        return f"{own} (layer {RANK[own]}) imports {theirs} (layer {RANK[theirs]})"
    if own in PEERS and theirs in PEERS and own != theirs:
        return f"{own} and {theirs} are peers: neither imports the other"
    if theirs == "enclave_sim" and RANK[own] < RANK["zkescrow.ledger"]:
        return f"{own} may not depend on the simulated enclave"
    return None


def _all_imports():
    for path in source_files():
        importer = module_name(path)
        for target, line, module_level in imports(path):
            yield path.relative_to(ROOT), line, importer, target, module_level


ALL_IMPORTS = list(_all_imports())


def test_the_layers_have_source():
    """The layer table names real code (a rename would make the check silently vacuous)."""
    for name in RANK:
        assert _is_module(name), f"layer {name} has no source: is the table stale?"
    found = {layer_of(importer) for _, _, importer, _, _ in ALL_IMPORTS}
    assert found >= set(RANK) - {"zkescrow", "zkescrow.errors"}


def test_module_level_imports_respect_the_layering():
    bad = [f"{path}:{line}: {importer} -> {target}: {why}"
           for path, line, importer, target, module_level in ALL_IMPORTS
           if module_level and (why := violation(importer, target))]
    assert not bad, "upward imports at module level:\n" + "\n".join(bad)


def upward_function_imports() -> list[str]:
    """Function-level imports that go up a layer: allowed (they load lazily), listed for review."""
    return [f"{path}:{line}: {importer} -> {target}: {why}"
            for path, line, importer, target, module_level in ALL_IMPORTS
            if not module_level and (why := violation(importer, target))]


def test_peers_never_import_each_other_even_lazily():
    """escrow and channel stand side by side on the ledger: no import between them, not even in a function."""
    bad = [f"{path}:{line}: {importer} -> {target}" for path, line, importer, target, _ in ALL_IMPORTS
           if layer_of(importer) in PEERS and layer_of(target) in PEERS and layer_of(importer) != layer_of(target)]
    assert not bad, "\n".join(bad)


def test_the_ledger_reaches_up_only_from_its_extension_registry():
    bad = [f"{path}:{line}: {importer} -> {target}" for path, line, importer, target, _ in ALL_IMPORTS
           if layer_of(importer) == "zkescrow.ledger" and importer != EXTENSION_REGISTRY
           and violation(importer, target)]
    assert not bad, "the ledger imports the layers above it:\n" + "\n".join(bad)
    registry = [target for _, _, importer, target, _ in ALL_IMPORTS if importer == EXTENSION_REGISTRY]
    assert {layer_of(t) for t in registry} >= set(PEERS), "the registry names every extension by a plain import"


def test_no_module_is_named_by_a_string():
    bad = [f"{path.relative_to(ROOT)}:{line}: {what}" for path in source_files()
           for line, what in string_named_imports(path.read_text(encoding="utf-8"), str(path))]
    assert not bad, "modules named by strings hide import edges:\n" + "\n".join(bad)


def test_the_string_import_check_sees_them():
    assert string_named_imports("import importlib\nimportlib.import_module('zkescrow.channel')")
    assert string_named_imports("from importlib import import_module\nimport_module('os')")
    assert string_named_imports("__import__('zkescrow.escrow.rules')")
    assert string_named_imports("import importlib\nimportlib.import_module(f'circuits.escrow.{name}')")
    assert string_named_imports("import importlib\nimportlib.import_module(variable)") == []
    assert string_named_imports("CIRCUITS = {'x': 'zkescrow.channel.settle:ChannelSettle'}")
    assert string_named_imports("from zkescrow.channel import adjudicator\nname = 'zkescrow.channel'") == []


def test_enclave_sim_reaches_zkescrow_only_through_errors():
    bad = [f"{path}:{line}: {target}" for path, line, importer, target, _ in ALL_IMPORTS
           if importer.startswith("enclave_sim") and target.split(".")[0] in ("zkescrow", "circuits")
           and target != "zkescrow.errors"]
    assert not bad, "\n".join(bad)


def test_the_checker_sees_violations(tmp_path):
    """The checker itself: an upward import is flagged, a downward one is not."""
    assert violation("zkescrow.bn254.curve", "zkescrow.groth16.prove")
    assert violation("circuits.dsl.system", "zkescrow.ledger.ledger")
    assert violation("zkescrow.groth16.prove", "zkescrow.cli.main")
    assert violation("enclave_sim.quote", "gmpy2")
    assert violation("enclave_sim.quote", "zkescrow.bn254")
    assert violation("zkescrow.groth16.setup", "enclave_sim")
    assert violation("zkescrow.cli.prove", "zkescrow.groth16.verify") is None
    assert violation("enclave_sim.quote", "cryptography.x509") is None
    assert violation("zkescrow.ledger.ledger", "enclave_sim.quote") is None
    assert violation("zkescrow.formats.zkey", "zkescrow.errors") is None


# --- start-up cost of the CLI ------------------------------------------------------------------------------

HEAVY = ("galois", "matplotlib", "numpy")

_PROBE = """
import sys
{setup}
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
print("HEAVY:" + ",".join(heavy))
"""


def _loaded_heavy(setup: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", _PROBE.format(setup=setup, heavy=HEAVY)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    line = [text for text in proc.stdout.splitlines() if text.startswith("HEAVY:")][-1]
    return [m for m in line[len("HEAVY:"):].split(",") if m]


@pytest.mark.parametrize("setup", [
    "import zkescrow.cli.main",
    "from zkescrow.cli.main import main\ntry:\n    main(['verify', '--help'])\nexcept SystemExit:\n    pass",
    "from zkescrow.cli.main import main\ntry:\n    main(['verify', 'vk.json', 'public.json', 'proof.json'])\n"
    "except SystemExit:\n    pass\nimport zkescrow.groth16.verify, zkescrow.groth16.vk, zkescrow.groth16.proof",
], ids=["import", "verify --help", "verify"])
def test_the_verifier_path_loads_no_heavy_modules(setup):
    assert _loaded_heavy(setup) == []


def test_the_import_time_probe_can_see_heavy_modules():
    """The probe itself: a module that does load numpy is reported (numpy ships with matplotlib here)."""
    pytest.importorskip("numpy")
    assert "numpy" in _loaded_heavy("import numpy")
