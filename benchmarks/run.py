"""ffnn against scikit-learn's MLPClassifier, PyTorch (CPU), plain JAX and a plain-NumPy loop.

    python benchmarks/run.py [--quick] [--workloads L,S,M] [--dtypes float32,float64]
                             [--engine auto|numpy|jax] [--json out.json] [--threads N]
                             [--unset-openblas-env]

Prints one table (and a short preamble: machine, threads, BLAS, matrix-product rates) and
writes the same numbers as JSON. Every contender runs in a process of its own
(benchmarks/_worker.py), one after the other, with the same BLAS thread count, the same
data, the same initial weights (ffnn's glorot initialisation, copied into the others) and
the same epochs; in each, a first call (imports and JAX's compilation included: the
"1st call s" column) and then the timed one. See benchmarks/README.md for what is measured
and how (FFNN_JAX_CACHE=1 in the environment: first calls loaded from ffnn's disk cache).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import importlib.util
import itertools
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# No NumPy here: Linux carries a process's peak RSS (ru_maxrss) over into the children it
# starts, so this parent stays small; the data are made in a worker process.

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKER = HERE / "_worker.py"
OPENBLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# ffnn-est: FFNNClassifier; jax-grad: the same network in plain JAX (jax.grad + optax)
CONTENDERS = ("ffnn", "ffnn-est", "sklearn", "torch", "jax-grad", "numpy")
ENGINES = ("auto", "numpy", "jax")  # ffnn's train(engine=)
BUSY = 0.1  # cores kept busy by other processes during a row, above which it is flagged

# The workloads of issue 5. n_train and epochs are for the full run; --quick shrinks them.
WORKLOADS = {
    "L": dict(
        title="synthetic 784-D, 10 classes",
        sizes=[784, 256, 128, 10], activations=["relu", "relu", "softmax"],
        loss="cross_entropy", optimizer={"name": "adam", "lr": 1e-3},
        batch_size=128, epochs=1, memory_epochs=3, n_train=60_000, n_test=10_000,
    ),
    "S": dict(
        title="iris, the notebook's run",
        sizes=[4, 8, 3], activations=["sigmoid", "softmax"],
        loss="cross_entropy", optimizer={"name": "sgd", "lr": 0.01},
        batch_size=None, epochs=5000, memory_epochs=None,
    ),
    "M": dict(
        title="breast cancer, standardised, 80/20 stratified",
        sizes=[30, 50, 1], activations=["sigmoid", "sigmoid"],
        loss="binary_cross_entropy", optimizer={"name": "momentum", "lr": 0.01, "momentum": 0.9},
        batch_size=32, epochs=200, memory_epochs=None,
    ),
}
QUICK = {"L": dict(n_train=10_000, n_test=2_000), "S": dict(epochs=1000), "M": dict(epochs=50)}


# -- the machine --------------------------------------------------------------------------

def machine_description(threads: int) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass

    def version(name):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {
        "cpu": cpu,
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gb": mem_gb,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": version("numpy"),
        "scikit-learn": version("scikit-learn"),
        "torch": version("torch"),
        "jax": version("jax"),
        "jaxlib": version("jaxlib"),
        "optax": version("optax"),
        "threadpoolctl": version("threadpoolctl"),
        "ffnn_jax_cache": os.environ.get("FFNN_JAX_CACHE"),
        "threads": threads,
    }


# -- data and initial weights -------------------------------------------------------------

def synthetic_classification(n: int, n_features: int, n_classes: int, seed: int):
    """Gaussian classes: centres drawn once (scale 0.1 per coordinate), unit noise.

    Centres are ~4 apart, so a linear model errs on roughly one sample in six and a network
    does better with training: accuracy is informative rather than saturated at 1.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = 0.1 * rng.standard_normal((n_classes, n_features))
    y = rng.integers(0, n_classes, n)
    X = rng.standard_normal((n, n_features))
    X += centres[y]
    return X, y


def prepare_data(names, dtypes, quick: bool, folder: Path) -> dict:
    """Write each workload's data per dtype and its initial weights; return file names."""
    sys.path.insert(0, str(REPO / "src"))
    import numpy as np
    from sklearn.datasets import load_breast_cancer, load_iris
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    import ffnn

    files: dict = {}
    for name in names:
        w = WORKLOADS[name]
        if name == "L":
            sizes = {**w, **QUICK["L"]} if quick else w
            n_train, n_test = sizes["n_train"], sizes["n_test"]
            X, y = synthetic_classification(n_train + n_test, 784, 10, seed=0)
            parts = {"train": (X[:n_train], y[:n_train]), "test": (X[n_train:], y[n_train:])}
        elif name == "S":
            X, y = load_iris(return_X_y=True)
            parts = {"train": (X, y)}
        else:
            X, y = load_breast_cancer(return_X_y=True)
            X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, stratify=y,
                                                      random_state=0)
            scaler = StandardScaler().fit(X_tr)
            parts = {"train": (scaler.transform(X_tr), y_tr),
                     "test": (scaler.transform(X_te), y_te)}
        files[name] = {}
        for dtype in dtypes:
            entry = {}
            for part, (Xp, yp) in parts.items():
                entry[f"X_{part}"] = str(folder / f"{name}_X_{part}_{dtype}.npy")
                entry[f"y_{part}"] = str(folder / f"{name}_y_{part}.npy")
                np.save(entry[f"X_{part}"], np.ascontiguousarray(Xp, dtype=dtype))
                np.save(entry[f"y_{part}"], np.asarray(yp, dtype=np.int64))
            files[name][dtype] = entry
        del X, y, parts
        # ffnn's glorot uniform weights (biases 0), drawn once in float64; every contender
        # starts from them (cast to its dtype).
        net = ffnn.Network(w["sizes"][0], w["sizes"][1:], w["activations"], seed=0)
        init = folder / f"{name}_init.npz"
        np.savez(init, **{f"{k}{i}": a for i, (W, b) in enumerate(net.layers)
                          for k, a in (("W", W), ("b", b))})
        files[name]["init"] = str(init)
        files[name]["n_train"] = len(np.load(files[name][dtypes[0]]["y_train"]))
    return files


# -- running the contenders ---------------------------------------------------------------

def cpu_busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy (all cores, /proc/stat), or None."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    values = [int(x) for x in fields]
    busy = sum(values[:8]) - values[3] - values[4]  # all but idle and iowait; steal counted
    return busy / os.sysconf("SC_CLK_TCK")


def run_worker(spec: dict, env: dict, folder: Path, timeout: float) -> dict:
    tag = "_".join(str(spec.get(k, "")) for k in ("workload", "dtype", "contender", "tag"))
    spec_path, out_path = folder / f"spec_{tag}.json", folder / f"out_{tag}.json"
    spec_path.write_text(json.dumps(spec))
    busy0, children0 = cpu_busy_seconds(), os.times()
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(WORKER), str(spec_path), str(out_path)],
                              env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - t0
    busy1, children1 = cpu_busy_seconds(), os.times()
    if proc.returncode != 0 or not out_path.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {proc.returncode}: " + " | ".join(tail)}
    result = json.loads(out_path.read_text())
    result["process_wall_s"] = wall
    if busy0 is not None:
        # The machine's busy CPU time less the worker's own (and this parent's, small): how
        # many cores something else kept busy meanwhile. Above ~0.1 the row's time is suspect.
        own = (children1.children_user + children1.children_system + children1.user
               + children1.system) - (children0.children_user + children0.children_system
                                      + children0.user + children0.system)
        result["other_load_cores"] = round(max(0.0, (busy1 - busy0) - own) / wall, 3)
    return result


def flops_per_sample(sizes) -> dict:
    """Multiply-adds ×2 per sample: forward, and backward without the first layer's dC/da."""
    pairs = list(itertools.pairwise(sizes))
    forward = sum(2 * i * o for i, o in pairs)
    backward = sum(2 * i * o for i, o in pairs) + sum(2 * i * o for i, o in pairs[1:])
    return {"forward": forward, "backward": backward, "total": forward + backward}


def blas_summary(info) -> str:
    if not info:
        return "threadpoolctl not installed"
    parts = []
    for lib in info:
        if lib.get("user_api") != "blas" and lib.get("internal_api") not in ("openmp",):
            continue
        arch = f" {lib['architecture']}" if lib.get("architecture") else ""
        parts.append(f"{lib.get('internal_api')} {lib.get('version') or ''}{arch} "
                     f"({lib.get('num_threads')} threads, {Path(lib.get('filepath', '')).name})")
    return "; ".join(parts)


# -- the table ----------------------------------------------------------------------------

def fmt(value, spec="", missing="–"):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return missing
    return format(value, spec)


def render_table(rows) -> str:
    head = ["wl", "dtype", "contender", "epochs", "time s", "µs/step", "GFLOP/s", "%mm",
            "ffnn/peer", "3ep s", "ffnn/peer 3ep", "est/train", "1st call s", "peak MB",
            "peak MB 3ep", "data MB",
            "train acc", "test acc"]
    lines = []
    for r in rows:
        if r.get("error") or r.get("skipped"):
            lines.append([r["workload"], r["dtype"], r["contender"], str(r["epochs"]),
                          (r.get("skipped") or "error: " + r["error"])[:90]])
            continue
        engine = f" ({r['engine']})" if r.get("engine") else ""  # ffnn's: jax or numpy
        lines.append([
            r["workload"], r["dtype"], r["contender"] + engine, str(r["epochs"]),
            fmt(r["seconds"], ".3f") + ("*" if r.get("busy") else ""),
            fmt(r["us_per_step"], ".1f"), fmt(r["gflops"], ".1f"),
            fmt(r["share_of_matmul"] * 100 if r["share_of_matmul"] is not None else None, ".0f"),
            fmt(r.get("ffnn_over_peer"), ".2f"),
            fmt(r.get("memory_run", {}).get("seconds"), ".3f"),
            fmt(r.get("ffnn_over_peer_memory_run"), ".2f"), fmt(r.get("est_over_train"), ".2f"),
            fmt(r.get("first_call_seconds"), ".2f"),
            fmt(r["peak_rss_mb"], ".0f"),
            fmt(r.get("peak_rss_mb_memory_run"), ".0f"), fmt(r["data_mb"], ".1f"),
            fmt(r.get("train_accuracy"), ".3f"), fmt(r.get("test_accuracy"), ".3f"),
        ])
    widths = [max(len(h), *(len(line[i]) for line in lines if len(line) > i))
              for i, h in enumerate(head)]
    out = ["  ".join(h.rjust(w) for h, w in zip(head, widths)),
           "  ".join("-" * w for w in widths)]
    previous = None
    for line in lines:
        if previous is not None and line[:2] != previous[:2]:
            out.append("")
        if len(line) == len(head):
            out.append("  ".join(c.rjust(w) for c, w in zip(line, widths)))
        else:
            out.append("  ".join(c.rjust(w) for c, w in zip(line[:4], widths)) + "  " + line[4])
        previous = line
    return "\n".join(out)


# -- main ---------------------------------------------------------------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="L on 10 000 samples, S 1000 and M 50 epochs, no 3-epoch memory runs")
    p.add_argument("--workloads", default="L,S,M", help="comma-separated subset of L,S,M")
    p.add_argument("--dtypes", default="float32,float64", help="comma-separated")
    p.add_argument("--contenders", default=",".join(CONTENDERS),
                   help="comma-separated subset of " + ",".join(CONTENDERS))
    p.add_argument("--json", default=str(HERE / "last_run.json"), help="where to write JSON")
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS/torch threads for every contender (default: all usable cores)")
    p.add_argument("--unset-openblas-env", action="store_true",
                   help="unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for the contenders")
    p.add_argument("--profile", action="store_true",
                   help="instead of the benchmark: profile ffnn's training call (cProfile) on "
                        "the chosen workloads and dtypes and print the top entries")
    p.add_argument("--ffnn-src", default=None, metavar="DIR",
                   help="time the ffnn package found in DIR instead of this checkout's src/ "
                        "(e.g. an older commit: git archive COMMIT src | tar -x -C /tmp/old)")
    p.add_argument("--repeat", type=int, default=None,
                   help="time each row in this many processes and keep the best "
                        "(default 3; 1 with --quick)")
    p.add_argument("--no-warmup", action="store_true",
                   help="time each contender's first training call in its process, compilation "
                        "included, and make no other (by default every contender first makes "
                        "the same call once, whose wall time is the '1st call s' column)")
    p.add_argument("--timeout", type=float, default=900, help="seconds per contender process")
    p.add_argument("--engine", default="auto", choices=ENGINES,
                   help="ffnn's engine: train(engine=) for the ffnn rows, and the estimator's "
                        "trainer for ffnn-est (which has no engine parameter); 'auto' takes "
                        "JAX when it is installed and the fit pays for compiling")
    args = p.parse_args(argv)
    args.workloads = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    args.dtypes = [d.strip() for d in args.dtypes.split(",") if d.strip()]
    args.contenders = [c.strip() for c in args.contenders.split(",") if c.strip()]
    for w in args.workloads:
        if w not in WORKLOADS:
            p.error(f"unknown workload {w!r}; valid: {', '.join(WORKLOADS)}")
    for d in args.dtypes:
        if d not in ("float32", "float64"):
            p.error(f"unknown dtype {d!r}; valid: float32, float64")
    for c in args.contenders:
        if c not in CONTENDERS:
            p.error(f"unknown contender {c!r}; valid: {', '.join(CONTENDERS)}")
    if args.ffnn_src is not None:
        args.ffnn_src = str(Path(args.ffnn_src).resolve())
        if not (Path(args.ffnn_src) / "ffnn" / "__init__.py").is_file():
            p.error(f"--ffnn-src {args.ffnn_src} holds no ffnn package (ffnn/__init__.py)")
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    if args.threads is None:
        args.threads = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                        else os.cpu_count() or 1)
    return args


def workload_for(name: str, quick: bool) -> dict:
    w = dict(WORKLOADS[name])
    if quick:
        w.update(QUICK[name])
        w["memory_epochs"] = None
    return w


def measure_matmul(args, env, folder, when: str) -> dict:
    result = run_worker({"contender": "matmul", "tag": when, "threads": args.threads,
                         "matmul_n": 2048, "matmul_repeats": 3 if args.quick else 5},
                        env, folder, args.timeout)
    if "error" in result:
        raise RuntimeError(f"matrix-product measurement failed: {result['error']}")
    return result


def ffnn_commit(args) -> str | None:
    """The checkout's commit (read-only git), with '+changes' when src/ differs from it."""
    if args.ffnn_src is not None:
        return None
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "--no-optional-locks", "-C", str(REPO), "status",
                                "--porcelain", "src"],
                               capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (head + ("+changes" if dirty else "")) or None


def load_average() -> list[float] | None:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return None


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    env = os.environ.copy()
    for key in THREAD_ENV:
        env[key] = str(args.threads)
    openblas_env = {key: os.environ.get(key) for key in OPENBLAS_ENV}
    if args.unset_openblas_env:
        for key in OPENBLAS_ENV:
            env.pop(key, None)
    torch_ok = importlib.util.find_spec("torch") is not None
    jax_missing = [m for m in ("jax", "optax") if importlib.util.find_spec(m) is None]
    meta = machine_description(args.threads)
    meta.update(date=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                quick=args.quick, repeat=args.repeat, load_average_at_start=load_average(),
                openblas_env_in_shell=openblas_env,
                openblas_env_unset_for_contenders=args.unset_openblas_env,
                command=" ".join(["python", *sys.argv]),
                ffnn_src=args.ffnn_src or str(REPO / "src"), ffnn_commit=ffnn_commit(args))
    notes = []

    folder = Path(tempfile.mkdtemp(prefix="ffnn-bench-"))
    try:
        prep = run_worker({"contender": "prepare", "threads": args.threads,
                           "workloads": args.workloads, "dtypes": args.dtypes,
                           "quick": args.quick, "folder": str(folder)}, env, folder, args.timeout)
        if "error" in prep:
            print(f"preparing the data failed: {prep['error']}", file=sys.stderr)
            return 1
        files = prep["files"]
        if args.profile:
            return profile(args, files, env, folder)
        before = measure_matmul(args, env, folder, "before")
        rates_before = {k: v["gflops_best"] for k, v in before["matmul"].items()}
        print(f"ffnn benchmark · {meta['date']} · {meta['cpu']} ({meta['machine']}), "
              f"{meta['cores_usable']} usable cores, {meta['memory_gb']} GB · "
              f"Python {meta['python']}, NumPy {meta['numpy']}, scikit-learn "
              f"{meta['scikit-learn']}, PyTorch {meta['torch'] or 'not installed'}, "
              f"JAX {meta['jax'] or 'not installed'}, optax {meta['optax'] or 'not installed'}")
        print(f"ffnn: {meta['ffnn_src']}"
              + (f" (commit {meta['ffnn_commit']})" if meta["ffnn_commit"] else "")
              + f"; engine={args.engine!r}; JAX's persistent cache for ffnn: "
              + ("off (every first call compiles; FFNN_JAX_CACHE=1 turns it on)"
                 if meta["ffnn_jax_cache"] in (None, "", "0") else
                 f"on (FFNN_JAX_CACHE={meta['ffnn_jax_cache']})"))
        print(f"threads: {args.threads} for every contender ({', '.join(THREAD_ENV)}; "
              f"threadpoolctl {'on' if before['threadpool_info'] is not None else 'absent'}; "
              "torch.set_num_threads)")
        print(f"NumPy BLAS: {blas_summary(before['threadpool_info'])}")
        state = ", ".join(f"{k}={'unset' if v is None else repr(v)}"
                          for k, v in openblas_env.items())
        unset = args.unset_openblas_env and any(v is not None for v in openblas_env.values())
        print(f"OpenBLAS environment in this shell: {state}"
              + (" — unset for the contenders (--unset-openblas-env); the kernel above is "
                 "the one they run" if unset else ""))
        print("2048×2048 matmul: " + ", ".join(f"{k} {v:.1f} GFLOP/s"
                                               for k, v in rates_before.items()),
              flush=True)
        meta["numpy_threadpool_info"] = before["threadpool_info"]
        if not torch_ok and "torch" in args.contenders:
            notes.append("PyTorch is not importable here: its rows are skipped")
        if jax_missing and "jax-grad" in args.contenders:
            notes.append(f"{' and '.join(jax_missing)} not importable here: the jax-grad rows "
                         "are skipped (pip install 'ffnn[bench]')")

        rows = []
        for name in args.workloads:
            w = workload_for(name, args.quick)
            n_train = files[name]["n_train"]
            bs = n_train if w["batch_size"] is None else min(w["batch_size"], n_train)
            steps_per_epoch = -(-n_train // bs)
            fps = flops_per_sample(w["sizes"])
            for dtype in args.dtypes:
                group, specs = [], {}
                for contender in args.contenders:
                    row = {"workload": name, "dtype": dtype, "contender": contender,
                           "epochs": w["epochs"], "n_train": n_train, "batch_size": bs,
                           "steps": steps_per_epoch * w["epochs"], "runs": []}
                    rows.append(row)
                    if contender == "torch" and not torch_ok:
                        row["skipped"] = "skipped: PyTorch not importable"
                        continue
                    if contender == "jax-grad" and jax_missing:
                        row["skipped"] = (f"skipped: {' and '.join(jax_missing)} not importable "
                                          "(pip install 'ffnn[bench]')")
                        continue
                    group.append(row)
                    specs[contender] = {
                        "contender": contender, "workload": name, "dtype": dtype,
                        "threads": args.threads, "data": files[name][dtype],
                        "ffnn_src": args.ffnn_src, "init": files[name]["init"],
                        "warmup": not args.no_warmup, "engine": args.engine,
                        **{k: w[k] for k in ("sizes", "activations", "loss", "optimizer",
                                             "batch_size", "epochs")}}
                # Rounds: every contender once per round, so that a slow spell of the machine
                # falls on all of them rather than on one.
                for i in range(args.repeat):
                    for row in group:
                        contender = row["contender"]
                        print(f"  {name} {dtype} {contender} (round {i + 1}/{args.repeat})",
                              file=sys.stderr, flush=True)
                        row["runs"].append(run_worker({**specs[contender], "tag": f"r{i}"},
                                                      env, folder, args.timeout))
                for row in group:
                    runs = row.pop("runs")
                    failed = [r for r in runs if "error" in r]
                    if failed:
                        row["error"] = failed[0]["error"]
                        notes.append(f"{name} {dtype} {row['contender']}: {row['error']}")
                        continue
                    best = min(runs, key=lambda r: r["seconds"])  # all of the best run
                    row.update(best)
                    row["seconds_all"] = [r["seconds"] for r in runs]
                    firsts = [r["first_call_seconds"] for r in runs if "first_call_seconds" in r]
                    if firsts:  # the best, as for the time; all of them in the JSON
                        row["first_call_seconds"] = min(firsts)
                        row["first_call_seconds_all"] = firsts
                    row["busy"] = best.get("other_load_cores", 0.0) > BUSY
                    flops = fps["total"] * n_train * w["epochs"]
                    row["gflop"] = flops / 1e9
                    row["gflops"] = flops / row["seconds"] / 1e9
                    row["us_per_step"] = row["seconds"] / row["steps"] * 1e6
                    if w["memory_epochs"]:
                        print(f"  {name} {dtype} {row['contender']} "
                              f"({w['memory_epochs']} epochs, for memory)",
                              file=sys.stderr, flush=True)
                        mem = run_worker({**specs[row["contender"]],
                                          "epochs": w["memory_epochs"], "tag": "mem"},
                                         env, folder, args.timeout)
                        if "error" in mem:
                            notes.append(f"{name} {dtype} {row['contender']} memory run: "
                                         f"{mem['error']}")
                        else:
                            row["peak_rss_mb_memory_run"] = mem["peak_rss_mb"]
                            row["memory_run"] = {k: mem.get(k) for k in (
                                "seconds", "peak_rss_mb", "peak_rss_mb_vmhwm", "rss_before_mb",
                                "rss_after_mb", "train_accuracy", "test_accuracy",
                                "other_load_cores")}
                            row["memory_run"]["epochs"] = w["memory_epochs"]
                good = [r for r in group if "seconds" in r]
                ffnn_row = next((r for r in good if r["contender"] == "ffnn"), None)
                for r in good:
                    if ffnn_row is None or r is ffnn_row:
                        continue
                    if r["contender"] == "ffnn-est":  # ffnn's own estimator: not a peer
                        r["est_over_train"] = r["seconds"] / ffnn_row["seconds"]
                        # round by round (the two ran one after the other): steadier when
                        # the machine is busy
                        ratios = sorted(e / t for e, t in zip(r["seconds_all"],
                                                              ffnn_row["seconds_all"]))
                        r["est_over_train_rounds_median"] = ratios[len(ratios) // 2]
                    else:
                        r["ffnn_over_peer"] = ffnn_row["seconds"] / r["seconds"]
                        mine, theirs = (x.get("memory_run", {}).get("seconds")
                                        for x in (ffnn_row, r))
                        if mine and theirs:  # more epochs: the fixed costs weigh less
                            r["ffnn_over_peer_memory_run"] = mine / theirs
                        mine, theirs = (x.get("first_call_seconds") for x in (ffnn_row, r))
                        if mine and theirs:
                            r["ffnn_over_peer_first_call"] = mine / theirs

        after = measure_matmul(args, env, folder, "after")
        rates_after = {k: v["gflops_best"] for k, v in after["matmul"].items()}
        # The machine's rate: the better of the two measurements (a busy moment only lowers it)
        matmul = {k: max(rates_before[k], rates_after[k]) for k in rates_before}
        for k in matmul:
            low = min(rates_before[k], rates_after[k])
            if low < 0.85 * matmul[k]:
                notes.append(f"the {k} matmul rate moved from {rates_before[k]:.0f} to "
                             f"{rates_after[k]:.0f} GFLOP/s during the run: the machine was "
                             "busy with something else, so the times are suspect")
        for r in rows:
            if "gflops" in r:
                r["share_of_matmul"] = r["gflops"] / matmul[r["dtype"]]
        busy = [f"{r['workload']} {r['dtype']} {r['contender']} ({r['other_load_cores']:.2f})"
                for r in rows if r.get("busy")]
        busy += [f"the matmul {when} the run ({m['other_load_cores']:.2f})"
                 for when, m in (("before", before), ("after", after))
                 if m.get("other_load_cores", 0.0) > BUSY]
        if busy:
            notes.append("* other processes kept cores busy during these rows (cores used by "
                         "others, on average): " + ", ".join(busy) + "; rerun them, or use "
                         "--repeat")

        table = render_table(rows)
        print()
        print(table)
        print()
        print("time: the training call only (ffnn.train / FFNNClassifier.fit / "
              "MLPClassifier.fit / the loop / the jitted run), each row in a process of its own"
              + (f", best of {args.repeat}" if args.repeat > 1 else "")
              + ("; the first call in its process (imports, set-up and JAX's compilation "
                 "included)" if args.no_warmup else
                 "; the second call in its process; 1st call s: the first, the same call "
                 "with the contender's imports, set-up and JAX's compilation (for ffnn loaded "
                 "from its persistent cache with FFNN_JAX_CACHE=1)")
              + "; ffnn/peer: ffnn's time over the peer's (< 1: ffnn is faster); est/train: "
              "ffnn's estimator (ffnn-est) over ffnn.train on the same work; %mm: GFLOP/s "
              "as a share of the 2048×2048 matmul rate of the same dtype; peak MB: ru_maxrss "
              "of the row's process, nothing subtracted (data MB: X_train alone)"
              + ("; 3ep s, peak MB 3ep: the same run for 3 epochs, in one process (once), "
                 "and ffnn/peer 3ep its ratio (the fixed costs of a call, such as ffnn's "
                 "loss before training for the divergence guard, weigh a third as much)"
                 if any(workload_for(n, args.quick)["memory_epochs"] for n in args.workloads)
                 else ""))
        print("2048×2048 matmul after the run: " + ", ".join(
            f"{k} {v:.1f} GFLOP/s" for k, v in rates_after.items()))
        for note in notes:
            print("note:", note)
        total = time.perf_counter() - started
        print(f"whole run: {total:.0f} s")
        for r in rows:  # threadpool info once in meta; per row only for torch (its own libs)
            info = r.pop("threadpool_info", None)
            if info and r["contender"] == "torch":
                r["threadpool_info"] = info
        report = {"meta": {**meta, "run_seconds": round(total, 1)},
                  "matmul_gflops": matmul,
                  "matmul_before": before["matmul"], "matmul_after": after["matmul"],
                  "flops_per_sample": {n: flops_per_sample(WORKLOADS[n]["sizes"])
                                       for n in args.workloads},
                  "workloads": {n: workload_for(n, args.quick) for n in args.workloads},
                  "results": rows, "notes": notes, "table": table}
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
        print(f"JSON: {args.json}")
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def profile(args, files, env, folder) -> int:
    """ffnn.train (and the estimator, with ffnn-est among the contenders) under cProfile."""
    contenders = [c for c in ("ffnn", "ffnn-est") if c in args.contenders] or ["ffnn"]
    for name, dtype, contender in itertools.product(args.workloads, args.dtypes, contenders):
        w = workload_for(name, args.quick)
        spec = {"contender": contender, "workload": name, "dtype": dtype, "profile": True,
                "threads": args.threads, "data": files[name][dtype], "engine": args.engine,
                "warmup": not args.no_warmup,
                "ffnn_src": args.ffnn_src,
                "init": files[name]["init"],
                **{k: w[k] for k in ("sizes", "activations", "loss", "optimizer",
                                     "batch_size", "epochs")}}
        result = run_worker(spec, env, folder, args.timeout)
        if "error" in result:
            print(f"==== {contender} {name} {dtype}: {result['error']}")
            continue
        print(f"==== {contender} {name} {dtype}: {result['seconds']:.3f} s under cProfile ====")
        print(result["profile_tottime"])
        print(result["profile_cumulative"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
