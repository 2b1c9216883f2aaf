"""``zkescrow cache info | clear``: the decoded proving-key cache (see zkescrow.groth16.key_cache)."""
from __future__ import annotations

import json

import click


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


@click.group("cache")
def cache_group():
    """The cache of decoded proving keys that makes repeated `zkescrow prove` runs start fast.

    It lives in $ZKESCROW_KEY_CACHE, else $XDG_CACHE_HOME/zkescrow/keys, else
    ~/.cache/zkescrow/keys (ZKESCROW_KEY_CACHE=off disables it).  Least recently used
    entries are removed beyond $ZKESCROW_KEY_CACHE_MAX (default 2G).

    \b
    Example:
      zkescrow cache info
      zkescrow cache clear
    """


@cache_group.command("info")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def cache_info(as_json):
    """Where the cache is, how many keys it holds, their size and the cap.

    \b
    Example:
      zkescrow cache info --json
    """
    from ..groth16 import key_cache
    directory = key_cache.default_cache_dir()
    files = key_cache.entries(directory)
    info = {"directory": str(directory), "enabled": key_cache.cache_enabled(), "entries": len(files),
            "bytes": sum(size for _, size, _ in files), "max_bytes": key_cache.max_bytes()}
    if as_json:
        click.echo(json.dumps(info, indent=1))
        return
    state = "" if info["enabled"] else " (disabled: ZKESCROW_KEY_CACHE=off)"
    click.echo(f"{directory}{state}: {info['entries']} key(s), {_size(info['bytes'])} of at most "
               f"{_size(info['max_bytes'])}")


@cache_group.command("clear")
def cache_clear():
    """Remove every cached key (they are rebuilt from the .zkey files on the next prove).

    \b
    Example:
      zkescrow cache clear
    """
    from ..groth16 import key_cache
    directory = key_cache.default_cache_dir()
    count, size = key_cache.clear(directory)
    click.echo(f"{directory}: removed {count} key(s), {_size(size)}")
