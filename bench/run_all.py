"""Run every benchmark in turn (`make bench`). Each prints its own numbers; see bench/README.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = (
    ["parse_bench.py"],
    ["rules_bench.py"],
    ["geo_bench.py"],
    ["stories_bench.py"],
    ["poll_bench.py", "--feeds", "1000", "--passes", "3"],
    ["store_bench.py"],
)


def main() -> int:
    failed = []
    for script, *args in SCRIPTS:
        print(f"\n=== {script} {' '.join(args)}", flush=True)
        if subprocess.run([sys.executable, str(HERE / script), *args]).returncode != 0:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
