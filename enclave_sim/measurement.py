"""Enclave images and their measurement (the MRENCLAVE analogue).

Canonical bytes of a program, hashed with SHA-256 into its measurement:

    "zkescrow/enclave_sim/measurement/v1" 0x00
    ‖ lp(class name)                         the EnclaveProgram subclass that runs
    ‖ lp(normalized source of the program module)
    ‖ u32 count ‖ (lp(module name) ‖ lp(normalized source)) for each of ``measured_modules``, in declared order
    ‖ lp(canonical config)

where lp(x) = u32 big-endian length ‖ x.  *Normalized source*: the file's bytes decoded as strict UTF-8, a
leading BOM dropped, CRLF and CR turned into LF, trailing spaces and tabs removed from every line, trailing
empty lines removed, one final LF.  So only changes a checkout may introduce are ignored; any change to
code, comments or docstrings changes the measurement.  *Canonical config*: JSON with sorted keys, separators
"," and ":", UTF-8, no NaN/Infinity.

The bytes that are measured are the bytes that run: ``ProgramImage.load`` reads the program file once,
measures it and executes that same text in a fresh module.  (Modules listed in ``measured_modules`` are
imported normally; their files are measured as found on disk.)
"""
from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import struct
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from zkescrow.errors import MalformedInput

from .program import EnclaveProgram

DOMAIN = b"zkescrow/enclave_sim/measurement/v1\x00"


def normalize_source(source: bytes) -> bytes:
    """The normalized form of a Python source file (see the module docstring)."""
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedInput(f"program source is not UTF-8: {exc}") from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip(" \t") for line in text.split("\n")]
    while lines and lines[-1] == "":
        lines.pop()
    return ("\n".join(lines) + "\n").encode("utf-8")


def canonical_config(config: Mapping[str, Any]) -> bytes:
    """Canonical JSON of a program config; MalformedInput if it is not a JSON object."""
    if not isinstance(config, Mapping):
        raise MalformedInput("program config must be a JSON object (a dict)")
    try:
        return json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise MalformedInput(f"program config is not JSON: {exc}") from None


def _lp(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def canonical_bytes(class_name: str, source: bytes, modules: tuple[tuple[str, bytes], ...],
                    config: Mapping[str, Any]) -> bytes:
    """The exact bytes hashed into a measurement (sources already normalized)."""
    out = [DOMAIN, _lp(class_name.encode()), _lp(source), struct.pack(">I", len(modules))]
    for name, module_source in modules:
        out += [_lp(name.encode()), _lp(module_source)]
    out.append(_lp(canonical_config(config)))
    return b"".join(out)


def _module_file(name: str) -> Path:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError) as exc:
        raise MalformedInput(f"cannot find program module {name!r}: {exc}") from None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise MalformedInput(f"cannot find the Python source of module {name!r}")
    return Path(spec.origin)


def _execute(source: bytes, origin: str) -> types.ModuleType:
    """Run normalized program source in a fresh module (one per distinct source, reused after)."""
    name = "enclave_sim._programs.p" + hashlib.sha256(source).hexdigest()[:24]
    module = sys.modules.get(name)
    if module is not None:
        return module
    module = types.ModuleType(name)
    module.__file__ = origin
    sys.modules[name] = module
    try:
        exec(compile(source.decode("utf-8"), origin, "exec"), module.__dict__)
    except BaseException as exc:
        del sys.modules[name]
        if isinstance(exc, Exception):
            raise MalformedInput(f"program {origin} fails to load: {type(exc).__name__}: {exc}") from None
        raise
    return module


def _pick_program(module: types.ModuleType, class_name: str | None, origin: str) -> type[EnclaveProgram]:
    if class_name is not None:
        candidate = getattr(module, class_name, None)
    elif hasattr(module, "PROGRAM"):
        candidate = module.PROGRAM
    else:
        found = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, EnclaveProgram)
                 and v is not EnclaveProgram and v.__module__ == module.__name__]
        if len(found) != 1:
            raise MalformedInput(f"{origin} defines {len(found)} EnclaveProgram classes; name one as "
                                 f"PROGRAM = ... or with MODULE:CLASS")
        candidate = found[0]
    if not (isinstance(candidate, type) and issubclass(candidate, EnclaveProgram)):
        raise MalformedInput(f"{origin}: {class_name or 'PROGRAM'} is not an EnclaveProgram subclass")
    return candidate


@dataclass(frozen=True)
class ProgramImage:
    """A loaded, measured enclave program: what a SIGSTRUCT signs and a platform launches."""
    program: type[EnclaveProgram] = field(repr=False)
    class_name: str
    source: bytes = field(repr=False)
    modules: tuple[tuple[str, bytes], ...] = field(repr=False)
    config: Mapping[str, Any] = field(repr=False)
    origin: str
    measurement: bytes

    @classmethod
    def load(cls, ref: str | Path, *, config: Mapping[str, Any] | None = None) -> "ProgramImage":
        """Load ``ref``: a path to a .py file or a dotted module name, optionally ``...:ClassName``.

        ``config`` replaces the program's declared ``config`` (and so changes the measurement).
        """
        text = str(ref)
        class_name = None
        head, sep, tail = text.rpartition(":")
        if sep and tail.isidentifier() and head:
            text, class_name = head, tail
        path = Path(text)
        if text.endswith(".py") or path.exists():
            if path.is_dir():
                raise MalformedInput(f"{text} is a directory; give a program's .py file or its module name")
            if not path.is_file():
                raise MalformedInput(f"program file {text} does not exist")
        else:
            path = _module_file(text)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise MalformedInput(f"cannot read program {path}: {exc.strerror}") from None
        return cls.from_source(raw, origin=str(path), class_name=class_name, config=config)

    @classmethod
    def from_source(cls, source: bytes, *, origin: str = "<program>", class_name: str | None = None,
                    config: Mapping[str, Any] | None = None) -> "ProgramImage":
        """Measure and load a program from its source bytes."""
        normalized = normalize_source(source)
        module = _execute(normalized, origin)
        program = _pick_program(module, class_name, origin)
        chosen = dict(program.config if config is None else config)
        chosen = json.loads(canonical_config(chosen))     # a private deep copy, JSON values only
        modules = []
        for name in program.measured_modules:
            try:
                modules.append((name, normalize_source(_module_file(name).read_bytes())))
            except OSError as exc:
                raise MalformedInput(f"cannot read measured module {name}: {exc.strerror}") from None
        modules = tuple(modules)
        digest = hashlib.sha256(canonical_bytes(program.__qualname__, normalized, modules, chosen)).digest()
        return cls(program, program.__qualname__, normalized, modules, chosen, origin, digest)

    def fresh_config(self) -> dict:
        return copy.deepcopy(dict(self.config))
