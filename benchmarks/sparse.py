"""Sparse input: a text-like problem (20 000 × 50 000, 0.1 % of entries set) against
scikit-learn's MLP at the same settings.

    .venv/bin/python benchmarks/sparse.py                 # about two minutes on 2 cores
    .venv/bin/python benchmarks/sparse.py --json out.json

Bag-of-words-like features: each row has ~50 of 50 000 columns set (counts 1–3, scaled by
their row's length), a fifth of its words from its class's topic (4 classes, a topic the
columns k with k % 40 = class), 10 % of labels flipped (so about 0.92 is the best held-out
accuracy). Both estimators train one hidden layer of 64 ReLU units with
Adam (batch 200, no early stopping), each from a CSR matrix that is never densified (it
would take 8 GB), for the same epochs; the table gives the fit time, its ratio to
scikit-learn's, the held-out accuracy and the peak memory the fit added (``ru_maxrss``),
each fit in its own process, with the same BLAS thread count.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

FIT = """
import json, resource, sys, time, warnings
import numpy as np, scipy.sparse as sp
rows, cols, density, epochs, who = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), \\
    int(sys.argv[4]), sys.argv[5]
rng = np.random.default_rng(0)
per_row = max(1, int(cols * density))
y = rng.integers(0, 4, size=rows)
# each word from the row's topic (the columns k with k % 40 == its class) with p = 0.2,
# else any of the vocabulary
topical = rng.random((rows, per_row)) < 0.2
topic_word = 40 * rng.integers(0, cols // 40, size=(rows, per_row)) + y[:, None]
indices = np.where(topical, topic_word, rng.integers(0, cols, size=(rows, per_row)))
counts = rng.integers(1, 4, size=(rows, per_row)).astype(np.float64)
X = sp.csr_matrix((counts.ravel(), indices.ravel(), np.arange(0, rows * per_row + 1, per_row)),
                  shape=(rows, cols))
X.sum_duplicates()
X = sp.csr_matrix(X.multiply(1.0 / np.asarray(X.sum(axis=1))))
flip = rng.random(rows) < 0.1
y[flip] = rng.integers(0, 4, size=flip.sum())
train, test = slice(0, int(0.8 * rows)), slice(int(0.8 * rows), rows)
if who == "ffnn":
    from ffnn import FFNNClassifier as Model
else:
    from sklearn.neural_network import MLPClassifier as Model
model = Model(hidden_layer_sizes=(64,), solver="adam", batch_size=200, max_iter=epochs,
              n_iter_no_change=10**6, random_state=0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model.fit(X[train], y[train])
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "accuracy": float(model.score(X[test], y[test])),
                  "peak_added_mb": (peak - before) / 2**20, "nnz": int(X.nnz),
                  "epochs": int(model.n_iter_)}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--columns", type=int, default=50_000)
    parser.add_argument("--density", type=float, default=0.001)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads for both (default 1: comparable on a shared machine)")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads),
           "OPENBLAS_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    results = {}
    for who in ("scikit-learn", "ffnn"):
        done = subprocess.run([sys.executable, "-c", FIT, str(args.rows), str(args.columns),
                               str(args.density), str(args.epochs), who],
                              capture_output=True, text=True, env=env, check=True)
        results[who] = json.loads(done.stdout.strip().splitlines()[-1])
    base = results["scikit-learn"]["seconds"]
    print(f"{args.rows} x {args.columns} CSR, {results['ffnn']['nnz']} stored values "
          f"({args.density:.1%}), 64 ReLU, Adam, batch 200, {args.epochs} epochs, "
          f"{args.threads} BLAS thread(s)")
    print(f"{'':14}{'fit s':>8}{'ratio':>8}{'accuracy':>10}{'peak MB':>9}")
    for who, r in results.items():
        print(f"{who:14}{r['seconds']:8.2f}{r['seconds'] / base:8.2f}{r['accuracy']:10.4f}"
              f"{r['peak_added_mb']:9.0f}")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"settings": vars(args), "results": results}, file, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
