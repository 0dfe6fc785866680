"""Reading a large CSV of numbers: peak memory against the numbers' own size.

    .venv/bin/python benchmarks/csv_memory.py               # a 1 GB file (about 2 minutes)
    .venv/bin/python benchmarks/csv_memory.py --mb 100      # smaller

Writes a CSV of ``--columns`` feature columns and a numeric target (``%.17g`` floats, the
way NumPy and pandas write doubles) into a temporary folder, then reads it with
``ffnn.io.tables.read_data`` in a fresh process and reports the file size, the numbers'
size (X and y as float64), the peak resident memory above the process's own before reading
(``ru_maxrss``), their ratio, and the time; ``pandas.read_csv`` in the same way when pandas
is installed (the peer a user would otherwise take). Issue 25's aim: under 3 x.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

READ = """
import json, resource, sys, time
path, how = sys.argv[1], sys.argv[2]
import numpy as np
if how == "ffnn":
    from ffnn.io.tables import read_data
else:
    import pandas
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
start = time.perf_counter()
if how == "ffnn":
    file = read_data(path)
    numbers = file.X.nbytes + file.y.nbytes
else:
    frame = pandas.read_csv(path)
    numbers = frame.to_numpy(np.float64).nbytes
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"numbers": numbers, "peak_above_start": peak - before, "seconds": seconds}))
"""


def write(path: str, megabytes: float, columns: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    header = ",".join([*(f"x{i}" for i in range(columns)), "y"]) + "\n"
    with open(path, "w") as file:
        file.write(header)
        while file.tell() < megabytes * 2**20:
            block = rng.standard_normal((20_000, columns + 1))
            np.savetxt(file, block, fmt="%.17g", delimiter=",")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1024, help="file size (default 1024)")
    parser.add_argument("--columns", type=int, default=10, help="feature columns (10)")
    parser.add_argument("--json", default=None, help="write the results here too")
    args = parser.parse_args(argv)
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    results = []
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "numbers.csv")
        start = time.perf_counter()
        write(path, args.mb, args.columns)
        size = os.path.getsize(path)
        print(f"wrote {size / 2**20:.0f} MiB in {time.perf_counter() - start:.0f} s")
        for how in ("ffnn", "pandas"):
            if how == "pandas":
                try:
                    import pandas  # noqa: F401
                except ImportError:
                    print("pandas: not installed, skipped")
                    continue
            done = subprocess.run([sys.executable, "-c", READ, path, how], env=env,
                                  capture_output=True, text=True, check=True)
            row = {"reader": how, "file_bytes": size, **json.loads(done.stdout)}
            row["ratio"] = row["peak_above_start"] / row["numbers"]
            results.append(row)
            print(f"{how:7s} numbers {row['numbers'] / 2**20:7.0f} MiB  peak above start "
                  f"{row['peak_above_start'] / 2**20:7.0f} MiB  ratio {row['ratio']:.2f}  "
                  f"{row['seconds']:.1f} s")
    if args.json:
        with open(args.json, "w") as file:
            json.dump(results, file, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
