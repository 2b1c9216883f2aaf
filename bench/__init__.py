"""zkescrow benchmarks: run as modules, e.g. ``python -m bench.bn254_ops``.  Never imported by the library."""
