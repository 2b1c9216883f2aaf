"""Witnesses from circom's WebAssembly witness calculator (``circom --wasm``), run with wasmtime.

circom 2 compiles a circuit's witness computation to a ``.wasm`` module that talks to its host
through a small protocol (circom ``code_producers/src/wasm_elements/common/witness_calculator.js``,
iden3 ``circom_runtime``):

* the module exports its memory and ``getFieldNumLen32`` (n32, the number of 32-bit words of a
  field element), ``getRawPrime`` (puts the prime in the shared read/write buffer),
  ``readSharedRWMemory(i)`` / ``writeSharedRWMemory(i, word)`` (word i of that buffer, least
  significant first), ``init(sanityCheck)``, ``getInputSignalSize(hMSB, hLSB)`` (the number of
  values of the input signal whose 64-bit FNV-1a name hash is hMSB:hLSB, −1 if there is none),
  ``setInputSignal(hMSB, hLSB, i)`` (value i of that signal, read from the shared buffer; the
  computation runs when the last input value arrives), ``getInputSize``, ``getWitnessSize`` and
  ``getWitness(i)`` (puts witness value i in the shared buffer), and ``getMessageChar``;
* it imports ``runtime.exceptionHandler(code)`` (1 signal not found, 2 too many signals set,
  3 signal already set, 4 assert failed, 5 not enough memory, 6 input array access out of size,
  7 out-of-bounds array access), ``runtime.printErrorMessage`` and
  ``runtime.writeBufferMessage`` (drain ``getMessageChar`` into an error text or a ``log()``
  line) and ``runtime.showSharedRWMemory`` (a field element for ``log()``).

Inputs are read by ``zkescrow.formats.circom_input`` (snarkjs's value forms, circom's bus names).
"""
from __future__ import annotations

import re
import struct
from pathlib import Path

from ..bn254.constants import N8, R
from ..errors import MalformedFile, MalformedInput, WitnessError
from .binfile import build_binfile
from .circom_input import flatten_signal, kind_of, qualify_inputs

_EXCEPTIONS = {1: "signal not found", 2: "too many signals set", 3: "signal already set",
               4: "assert failed", 5: "not enough memory", 6: "input signal array access exceeds the size",
               7: "out-of-bounds array access"}
#: exceptionHandler codes that mean "this input makes the circuit's own checks fail" (a false statement).
_FALSE_STATEMENT = {4, 7}

#: A helper module linked to the calculator's exports: ``dump(n, dst, n8)`` calls getWitness(i) for
#: every i < n and copies each value from the shared buffer to dst + i·n8, so the whole witness
#: crosses from wasm to Python in one read instead of n8/4 + 1 host calls per value.
_DUMP_WAT = """(module
  (import "c" "memory" (memory 1))
  (import "c" "getWitness" (func $get (param i32)))
  (import "c" "getSharedRWMemoryStart" (func $start (result i32)))
  (func (export "dump") (param $n i32) (param $dst i32) (param $n8 i32)
    (local $i i32) (local $src i32)
    (local.set $src (call $start))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $get (local.get $i))
        (memory.copy (i32.add (local.get $dst) (i32.mul (local.get $i) (local.get $n8)))
                     (local.get $src) (local.get $n8))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))))"""


def fnv1a64(name: str) -> int:
    """The 64-bit FNV-1a hash circom uses to address an input signal by name (over UTF-16 code units)."""
    h = 0xCBF29CE484222325
    for unit in struct.unpack(f"<{len(name.encode('utf-16-le')) // 2}H", name.encode("utf-16-le")):
        h = ((h ^ unit) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def _i32(word: int) -> int:
    """A 32-bit word as the signed i32 wasm calls take."""
    return word - (1 << 32) if word >= 1 << 31 else word


class _CircuitTrap(Exception):
    """Raised by the host imports to unwind out of the module with circom's error code."""

    def __init__(self, code: int, detail: str):
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


class WasmWitnessCalculator:
    """One compiled circom witness calculator; ``calculate(inputs)`` may be called repeatedly."""

    def __init__(self, wasm, name: str | None = None, sym=None):
        import wasmtime

        if isinstance(wasm, (str, Path)):
            self.name = name or str(wasm)
            with open(wasm, "rb") as fh:
                code = fh.read()
        else:
            self.name, code = name or "<wasm>", bytes(wasm)
        if code[:4] != b"\0asm":
            raise MalformedFile(f"{self.name}: not a WebAssembly module")
        self._wasmtime = wasmtime
        self._engine = wasmtime.Engine()
        try:
            self._module = wasmtime.Module(self._engine, code)
        except wasmtime.WasmtimeError as exc:
            raise MalformedFile(f"{self.name}: not a valid WebAssembly module ({_first_line(exc)})") from None
        self._sym = sym
        self._instantiate()
        self.version = self._call("getVersion") if "getVersion" in self._exports else 1
        if self.version != 2:
            raise MalformedFile(f"{self.name}: circom {self.version} witness calculators are not supported "
                                f"(compile with circom 2)")
        self.n32 = self._call("getFieldNumLen32")
        self._call("getRawPrime")
        self.prime = self._read_shared()
        if self.prime != int(R) or self.n32 * 4 != N8:
            raise MalformedFile(f"{self.name}: the circuit is over the prime {self.prime}, not BN254's r "
                                f"(compile with circom's default curve bn128)")
        self.witness_size = self._call("getWitnessSize")
        self.input_size = self._call("getInputSize")

    # --- the module and its imports ----------------------------------------------------------

    def _instantiate(self) -> None:
        wt = self._wasmtime
        self._store = wt.Store(self._engine)
        self._errors: list[str] = []
        self._log: list[str] = []
        self.messages: list[str] = []
        host = {"exceptionHandler": self._exception_handler, "printErrorMessage": self._print_error_message,
                "writeBufferMessage": self._write_buffer_message, "showSharedRWMemory": self._show_shared}
        imports = []
        for imp in self._module.imports:
            fn = host.get(imp.name) if imp.module == "runtime" else None
            if fn is None or not isinstance(imp.type, wt.FuncType):
                raise MalformedFile(f"{self.name}: the module imports {imp.module}.{imp.name}, which a circom 2 "
                                    f"witness calculator does not")
            imports.append(wt.Func(self._store, imp.type, fn))
        try:
            instance = wt.Instance(self._store, self._module, imports)
        except wt.WasmtimeError as exc:
            raise MalformedFile(f"{self.name}: cannot instantiate the module ({_first_line(exc)})") from None
        self._exports = instance.exports(self._store)
        for required in ("getFieldNumLen32", "getRawPrime", "readSharedRWMemory", "writeSharedRWMemory",
                         "init", "setInputSignal", "getInputSignalSize", "getInputSize", "getWitnessSize",
                         "getWitness", "getMessageChar"):
            if required not in self._exports:
                raise MalformedFile(f"{self.name}: not a circom 2 witness calculator (no export {required})")
        self._memory = self._exports["memory"] if "memory" in self._exports else None
        self._dump = self._dump_region = None
        if isinstance(self._memory, wt.Memory) and "getSharedRWMemoryStart" in self._exports:
            self._shared_start = self._call("getSharedRWMemoryStart")
            helper = wt.Module(self._engine, _DUMP_WAT)
            linked = wt.Instance(self._store, helper, [self._memory, self._exports["getWitness"],
                                                       self._exports["getSharedRWMemoryStart"]])
            self._dump = linked.exports(self._store)["dump"]

    def _call(self, export: str, *args):
        return self._exports[export](self._store, *args)

    def _message(self) -> str:
        chars = []
        while True:
            c = self._call("getMessageChar")
            if c == 0:
                return "".join(chars)
            chars.append(chr(c))

    def _exception_handler(self, code):
        detail = "; ".join(line.strip() for line in self._errors if line.strip())
        raise _CircuitTrap(code, detail)

    def _print_error_message(self):
        self._errors.append(self._message())

    def _write_buffer_message(self):
        msg = self._message()
        if msg == "\n":
            self.messages.append(" ".join(self._log))
            self._log = []
        else:
            self._log.append(msg)

    def _show_shared(self):
        self._log.append(str(self._read_shared()))

    def _read_shared(self) -> int:
        value = 0
        for j in reversed(range(self.n32)):
            value = (value << 32) | (self._call("readSharedRWMemory", j) & 0xFFFFFFFF)
        return value

    def _write_shared(self, value: int) -> None:
        if self._dump is not None:
            self._memory.write(self._store, value.to_bytes(self.n32 * 4, "little"), self._shared_start)
            return
        for j in range(self.n32):
            self._call("writeSharedRWMemory", j, _i32((value >> (32 * j)) & 0xFFFFFFFF))

    # --- computing ---------------------------------------------------------------------------

    def signal_size(self, name: str) -> int:
        """How many values the input signal ``name`` takes (0 or −1 when the circuit has no such input)."""
        h = fnv1a64(name)
        return self._call("getInputSignalSize", _i32(h >> 32), _i32(h & 0xFFFFFFFF))

    def calculate(self, inputs: dict) -> list[int]:
        """The full witness (canonical integers) for ``inputs`` (a dict as read from input.json)."""
        if not isinstance(inputs, dict):
            raise MalformedInput(f"the input must be a JSON object of signal names, not {kind_of(inputs)}")
        signals = qualify_inputs(inputs)
        self._errors, self._log, self.messages = [], [], []
        self._call("init", 0)
        planned = []
        for name, raw in signals.items():
            values = flatten_signal(name, raw, self.prime)
            size = self.signal_size(name)
            if size <= 0:
                raise MalformedInput(f"input signal {name!r} is not an input of the circuit")
            if len(values) != size:
                raise MalformedInput(f"input signal {name!r} takes {size} value{'s' * (size != 1)}, "
                                     f"the input gives {len(values)}")
            planned.append((name, values))
        given = sum(len(values) for _, values in planned)
        if given < self.input_size:
            raise MalformedInput(self._missing_message(signals, given))
        try:
            for name, values in planned:
                h = fnv1a64(name)
                for i, v in enumerate(values):
                    self._write_shared(v)
                    self._call("setInputSignal", _i32(h >> 32), _i32(h & 0xFFFFFFFF), i)
            raw = self._witness_bytes()
        except _CircuitTrap as trap:
            self._fresh_after_trap()
            raise self._trap_error(trap) from None
        except self._wasmtime.Trap as exc:
            self._fresh_after_trap()
            cause = exc.__cause__ if isinstance(exc.__cause__, _CircuitTrap) else None
            if cause is not None:
                raise self._trap_error(cause) from None
            raise WitnessError(f"{self.name}: the witness calculator trapped ({_first_line(exc)})") from None
        self._last_raw = raw
        n8 = self.n32 * 4
        return [int.from_bytes(raw[i:i + n8], "little") for i in range(0, len(raw), n8)]

    def _witness_bytes(self) -> bytes:
        """All witness values, n8 bytes little endian each, as the calculator leaves them."""
        n8 = self.n32 * 4
        size = self.witness_size * n8
        if self._dump is not None:
            if self._dump_region is None:
                pages = -(-size // 65536) or 1
                try:
                    self._dump_region = self._memory.grow(self._store, pages) * 65536
                except self._wasmtime.WasmtimeError:
                    self._dump = None
            if self._dump is not None:
                self._dump(self._store, self.witness_size, self._dump_region, n8)
                return bytes(self._memory.read(self._store, self._dump_region, self._dump_region + size))
        out = bytearray()
        for i in range(self.witness_size):
            self._call("getWitness", i)
            out += self._read_shared().to_bytes(n8, "little")
        return bytes(out)

    def _fresh_after_trap(self) -> None:
        """A trapped instance may hold half-written state: start the next calculation from a new one."""
        self._instantiate()

    def _trap_error(self, trap: _CircuitTrap):
        what = _EXCEPTIONS.get(trap.code, f"unknown error {trap.code}")
        text = f"{self.name}: {what}" + (f" ({trap.detail})" if trap.detail else "")
        return WitnessError(text) if trap.code in _FALSE_STATEMENT else MalformedInput(text)

    def _missing_message(self, signals: dict, given: int) -> str:
        head = f"the input sets {given} of the circuit's {self.input_size} input values"
        missing = [name for name in self._input_names() if name not in signals]
        if missing:
            return f"{head}; missing input signal{'s' * (len(missing) > 1)}: {', '.join(missing)}"
        return f"{head}; some input signal is missing (put the circuit's .sym next to the .wasm to name it)"

    def _input_names(self) -> list[str]:
        """Input names (bus fields qualified as circom qualifies them) found by probing the .sym's names."""
        if self._sym is None:
            return []
        names = []
        main_id = next((e.component_id for e in self._sym if e.name.startswith("main.")), None)
        for entry in self._sym:             # only main's own signals (its bus fields included) can be inputs
            if entry.component_id != main_id or not entry.name.startswith("main."):
                continue
            base = re.sub(r"(\[\d+\])+$", "", entry.name[len("main."):])     # a[0][1] -> a; ps[1].y stays
            if base in names:
                continue
            if self.signal_size(base) > 0:
                names.append(base)
        return names

    def wtns_bytes(self, inputs: dict) -> bytes:
        """The .wtns v2 file circom's calculator (and ``snarkjs wtns calculate``) writes for ``inputs``."""
        witness = self.calculate(inputs)
        n8 = self.n32 * 4
        header = struct.pack("<I", n8) + self.prime.to_bytes(n8, "little") + struct.pack("<I", len(witness))
        return build_binfile(b"wtns", 2, [(1, header), (2, self._last_raw)])


def _first_line(exc) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def find_sym(wasm_path) -> Path | None:
    """The .sym circom wrote beside ``NAME_js/NAME.wasm`` (or beside the .wasm), if there is one."""
    wasm_path = Path(wasm_path)
    for candidate in (wasm_path.parent.parent / f"{wasm_path.stem}.sym", wasm_path.with_suffix(".sym")):
        if candidate.is_file():
            return candidate
    return None


def load_calculator(wasm_path, sym_path=None) -> WasmWitnessCalculator:
    """A calculator for ``wasm_path``; the .sym (given or found beside it) only names missing inputs."""
    from .sym_file import read_sym
    sym_path = sym_path or find_sym(wasm_path)
    sym = None
    if sym_path is not None:
        try:
            sym = read_sym(sym_path)
        except MalformedInput:
            sym = None
    return WasmWitnessCalculator(wasm_path, sym=sym)


def calculate_wtns(wasm_path, inputs: dict, sym_path=None) -> bytes:
    """``snarkjs wtns calculate`` in one call: the .wtns bytes for ``inputs``."""
    return load_calculator(wasm_path, sym_path).wtns_bytes(inputs)
