"""CPU time of the README's test command, here and in another checkout, side by side.

    python bench/suite_cpu.py --base /path/to/other/checkout [--rounds 1]

Each checkout runs `python -m pytest -q -p no:cacheprovider` with its own
`.venv`; the CPU time (user + system, the test processes and every command they
start) is read from the operating system after each run. The runs alternate, so
a change in the machine's load falls on both. Prints one row per checkout and the
ratio; a failed run is reported, and its time is not compared.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def run_suite(checkout: Path) -> tuple[float, float, int]:
    """CPU seconds, wall seconds and exit status of one run of the suite in `checkout`."""
    python = checkout / ".venv" / "bin" / "python"
    env = {
        **os.environ,
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "PATH": f"{python.parent}:{os.environ['PATH']}",
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=checkout,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="the other checkout")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    checkouts = {"this": HERE, "base": args.base.resolve()}
    cpu: dict[str, list[float]] = {name: [] for name in checkouts}
    for _ in range(args.rounds):
        for name, checkout in checkouts.items():
            seconds, wall, status = run_suite(checkout)
            note = "" if status == 0 else f"  (exit {status}: not compared)"
            print(f"{name:5} {checkout}: CPU {seconds:7.1f} s  wall {wall:7.1f} s{note}")
            if status == 0:
                cpu[name].append(seconds)
    if not (cpu["this"] and cpu["base"]):
        return 1
    ratio = min(cpu["this"]) / min(cpu["base"])
    print(f"suite CPU this/base: {ratio:.2f}x (target <= 0.50x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
