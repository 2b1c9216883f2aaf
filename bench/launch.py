"""Run one command as the child of this small, fresh process and write down what that child used.

    python -I -S bench/launch.py RESULT_FILE COMMAND [ARG ...]

Why a separate process: Linux keeps a process's peak resident set (``ru_maxrss``) across ``execve``,
and a child forked from the benchmark driver starts with the driver's pages mapped, so the peak the
kernel reports for it is at least the driver's own size (a 21 MiB verifier showed 143 MiB).  This
launcher is exec'd fresh (a few MiB, standard library only, no site packages); the command forked
from it starts from the launcher's small footprint, so ``wait4`` here gives the command's own peak
(``maxrss_kib``, the largest process of its tree that was waited for), its CPU time including the
descendants it reaped, and its wall time from fork to exit.  The floor of ``maxrss_kib`` is the
launcher's own resident set at the fork (measured by running ``true``: ``bench.runners.rss_floor_mib``).

RESULT_FILE receives one line: ``pid wall_s cpu_s maxrss_kib exit_code`` (exit code negative for a
signal).  The launcher exits with the command's exit code (128 + signal number for a signal).
"""
import os
import sys
import time


def main() -> int:
    result_file, cmd = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        except OSError as exc:
            os.write(2, f"cannot run {cmd[0]}: {exc}\n".encode())
        os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    tmp = result_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{pid} {wall!r} {usage.ru_utime + usage.ru_stime!r} {usage.ru_maxrss} {code}\n")
    os.replace(tmp, result_file)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
