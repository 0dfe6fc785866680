"""``ffnn sweep``: grid values parsed by the options' own types, checked against the data
before any run, the sweep run and its table printed."""

from __future__ import annotations

import argparse
import math
import sys

from ..data.datasets import (
    has_standard_test,
)
from ..sweeps import recipe
from .common import Data, check_data_flags, check_outputs, late
from .parser import Parser, add_training_options, int_list, int_list_or_none, name_list

# sweep()'s argument names, as they begin its messages, and the flags that set them.
_SWEEP_FLAGS = {"out": "--out", "resume": "--resume", "scheduler": "--scheduler",
                "n_jobs": "--n-jobs", "folds": "--folds", "timeout": "--timeout",
                "validation_fraction": "--validation-fraction", "scoring": "--scoring",
                "test_fraction": "--test-fraction", "threads": "--threads", "stack": "--stack",
                "data_home": "--data-home"}


def _option_actions() -> dict[str, argparse.Action]:
    """The training options' argparse actions (their types parse grid values)."""
    probe = Parser(prog="ffnn sweep")
    add_training_options(probe, sweep=True)
    return {a.dest: a for a in probe.actions if a.dest in recipe.TRAIN_OPTIONS}


def _grid_value(action: argparse.Action, text: str):
    if text.strip().lower() == "none" and recipe.TRAIN_OPTIONS[action.dest] is None:
        return None  # an option that may be unset: batch_size=none,32
    if action.nargs == 0 and action.const is True:  # store_true
        lowered = text.strip().lower()
        if lowered not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"--grid {action.dest}: expected true or false, got {text!r}")
        return lowered in ("true", "1", "yes")
    if action.type is None:
        return text.strip()
    try:
        value = action.type(text.strip())
    except (argparse.ArgumentTypeError, ValueError) as exc:
        raise ValueError(f"--grid {action.dest}: {exc}") from None
    if action.choices is not None and value not in action.choices:
        raise ValueError(f"--grid {action.dest}: {value!r} is not one of "
                         f"{', '.join(map(str, action.choices))}")
    return value


def _parse_grid(entries: list[str], random: bool) -> dict:
    from ..sweeps.grid import parse_values

    actions = _option_actions()
    grid: dict = {}
    for entry in entries:
        name, sep, text = entry.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise ValueError(f"--grid: expected NAME=VALUES such as lr=0.001,0.01, got {entry!r}")
        if name not in recipe.TRAIN_OPTIONS:
            raise ValueError(f"--grid: unknown option {name!r}; valid names are "
                             f"{', '.join(recipe.TRAIN_OPTIONS)}")
        if name in grid:
            raise ValueError(f"--grid: {name} is given twice")
        action, text = actions[name], text.strip()
        if not text:
            raise ValueError(f"--grid {name}: no values")
        if random and text.split(":")[0] in ("loguniform", "uniform"):
            kind, *bounds = text.split(":")
            try:
                low, high = (float(b) for b in bounds)
            except ValueError:
                raise ValueError(f"--grid {name}: expected {kind}:LOW:HIGH, got {text!r}") \
                    from None
            if not (math.isfinite(low) and math.isfinite(high) and low <= high) or \
                    (kind == "loguniform" and low <= 0):
                raise ValueError(f"--grid {name}: {kind} needs finite bounds LOW <= HIGH"
                                 + (" with LOW > 0" if kind == "loguniform" else "")
                                 + f", got {text!r}")
            grid[name] = (kind, low, high)
        elif text.split(":")[0] in ("logspace", "linspace"):
            grid[name] = parse_values(text)
        else:
            listed = action.type in (int_list, int_list_or_none, name_list)
            if listed and "," in text and "/" not in text:
                print(f"ffnn sweep: note: --grid {name}={text} is one value (a list: "
                      f"{text}); to try each, separate the values with '/': "
                      f"{name}={text.replace(',', '/')}", file=sys.stderr)
            separator = "/" if listed else ","
            grid[name] = [_grid_value(action, part) for part in text.split(separator)]
    return grid


def _check_sweep_flags(args: argparse.Namespace) -> None:
    """The sweep's own flags and their combinations."""
    check_data_flags(args)
    if args.seeds is not None and any(seed < 0 for seed in args.seeds):
        raise ValueError(f"--seeds must be integers >= 0, got {args.seeds}")
    if args.n_jobs is not None and args.scheduler is not None:
        raise ValueError("--n-jobs and --scheduler: give one (--n-jobs starts local "
                         "processes, --scheduler runs on that cluster's workers)")
    if args.n_jobs is not None and (args.n_jobs == 0 or args.n_jobs < -1):
        raise ValueError(f"--n-jobs must be a positive integer or -1 (every core), got "
                         f"{args.n_jobs}")
    if args.threads is not None and args.threads < 1:
        raise ValueError(f"--threads must be a positive integer (BLAS threads per run), got "
                         f"{args.threads}")
    if not (math.isfinite(args.timeout) and args.timeout > 0):
        raise ValueError(f"--timeout must be a number of seconds > 0, got {args.timeout}")
    if args.folds is not None and args.folds < 2:
        raise ValueError(f"--folds must be an integer >= 2, got {args.folds}")
    if args.random is not None and args.random < 1:
        raise ValueError(f"--random must be a positive integer, got {args.random}")
    if args.resume and not args.out:
        raise ValueError("--resume needs --out (the results file to continue)")
    for flag_, value in (("--plot-x", args.plot_x), ("--plot-y", args.plot_y),
                         ("--plot-metric", args.plot_metric)):
        if value is not None and not args.plot:
            raise ValueError(f"{flag_} goes with --plot (the heatmap), which is not given")
    check_outputs(args, {"--out": "out", "--csv": "csv", "--plot": "plot"})


def _check_metrics(args: argparse.Namespace, classification: bool, dataset: str) -> None:
    """--scoring and --plot-metric against the task (and the parts there will be)."""
    valid = ("accuracy", "loss") if classification else ("r2", "mse", "loss")
    if args.scoring is not None and args.scoring not in valid:
        raise ValueError(f"--scoring must be one of {', '.join(valid)} for {dataset}, got "
                         f"{args.scoring!r}")
    if args.plot_metric is not None:
        test = args.test_fraction or (args.data is None and has_standard_test(args.dataset))
        parts = ("train", "val", "test") if test else ("train", "val")
        metrics = [f"{part}_{name}" for part in parts for name in valid]
        if args.plot_metric not in metrics:
            raise ValueError(f"--plot-metric must be one of {', '.join(metrics)} for "
                             f"{dataset}"
                             + ("" if test else " (test_*: with --test-fraction)")
                             + f", got {args.plot_metric!r}")


def _shown(value) -> str:
    """A grid value as --grid spells it."""
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return "/".join(_shown(v) for v in value) or "none"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _check_points(args: argparse.Namespace, grid: dict, options: dict, data,
                  flag: str) -> None:
    """Build every grid point's recipe (for --random, each option's values one at a time)
    and check it against the data, as each run would: a point that would fail is refused
    now, naming it. When every point fails alike, the shared options are to blame."""
    from ..sweeps.grid import expand_grid

    classification = data.task == "classification"
    if args.random is None:
        points = expand_grid(grid)
    else:
        points = [{name: value} for name, spec in grid.items()
                  for value in (spec[1:] if isinstance(spec, tuple) else spec)]
    held_out = 1 / args.folds if args.folds else args.validation_fraction
    n_train = max(1, int(len(data.X) * (1 - args.test_fraction) * (1 - held_out)))
    seed = (args.seeds or [args.seed])[0]
    errors, passed = [], False
    for point in points:
        run = {**options, "seed": seed,
               **{k: recipe.normalize(k, v) for k, v in point.items()}}
        try:
            loss = recipe.default_loss(run, classification)
            targets = recipe.binary_targets(loss, data.targets)
            built = recipe.build(run, data.X.shape[1], targets.shape[1], classification,
                                 n_train)
            recipe.check_fit(built, data.X, targets, flag,
                             validation=bool(run.get("early_stopping")))
        except (ValueError, TypeError) as exc:
            errors.append((point, exc))
        else:
            passed = True
        if passed and errors:
            break
    if errors:
        point, exc = errors[0]
        if not passed and all(str(e) == str(exc) for _, e in errors):
            raise exc
        shown = ", ".join(f"{k}={_shown(v)}" for k, v in point.items())
        raise ValueError(f"--grid {shown}: {exc}") from None


def _in_cli_terms(message: str) -> str:
    """A sweep's message with its arguments named as the command line's flags."""
    for python, cli in (("resume=True (ffnn sweep --resume)", "--resume"),
                        ("resume=True (--resume)", "--resume"), ("out= (--out)", "--out"),
                        ("resume (--resume)", "--resume")):
        message = message.replace(python, cli)
    for name, cli in _SWEEP_FLAGS.items():
        for sep in (": ", " "):
            if message.startswith(name + sep):
                return cli + message[len(name):]
    return message


def _print_table(result) -> int:
    """The sweep's table: counts, the ten best configurations, the best one (or why there
    is none). Returns how many runs failed."""
    configs = result.configurations()
    failed = sum(1 for r in result.records if r["error"])
    diverged = sum(1 for r in result.records if r["diverged"])
    # what this call did, apart from the table (which a continued sweep gives unchanged)
    trained = len(result.records) if result.trained is None else result.trained
    print(f"trained now: {trained} runs, {result.stacked} of them in stacks"
          + (f" ({len(result.records) - trained} were in the results file)"
             if trained < len(result.records) else ""))
    print(f"{len(result.records)} runs ({failed} failed, {diverged} diverged), "
          f"{len(configs)} configurations, ranked by {result.metric} (mean ± std over seeds "
          f"and folds):")
    for config in configs[:10]:
        shown = ", ".join(f"{k}={v}" for k, v in config["params"].items())
        spread = (f" ± {config['std']:.4f} (n={config['n']})" if config["n"] > 1
                  else " (one run)")
        print(f"  {config['mean']:.4f}{spread}  {shown}")
    if len(configs) > 10:
        print(f"  ... {len(configs) - 10} more")
    reason = result.no_score_reason()
    if reason is None:
        best = configs[0]
        print("best: " + ", ".join(f"{k}={v}" for k, v in best["params"].items())
              + f" ({result.metric} {best['mean']:.4f})")
    else:
        print(f"best: none; {reason}")
    return failed


def run_sweep(args: argparse.Namespace) -> int:
    from ..sweeps.search import sweep

    if not args.grid:
        raise ValueError("--grid: give at least one option to sweep, e.g. --grid lr=0.01,0.1")
    grid = _parse_grid(args.grid, args.random is not None)
    names = list(grid)
    _check_sweep_flags(args)
    options = {k: v for k, v in vars(args).items()
               if k in recipe.TRAIN_OPTIONS and k not in grid and k != "seed"}
    dataset_options = {k: v for k, v in {"n_samples": args.samples, "noise": args.noise,
                                         "data_home": args.data_home}.items()
                       if v is not None}
    plot_x = args.plot_x or names[0]
    plot_y = args.plot_y or next((name for name in names if name != plot_x), None)
    if args.plot:  # checked before the sweep runs, not after
        if plot_y is None:
            raise ValueError("--plot needs two swept options (or --plot-y)")
        for flag_, name in (("--plot-x", plot_x), ("--plot-y", plot_y)):
            derived = name in ("layers", "nodes") and "hidden" in names  # from hidden
            if name not in names and not derived:
                raise ValueError(f"{flag_}: {name!r} is not swept; swept options are "
                                 f"{', '.join(names)}"
                                 + (" (and layers, nodes: from hidden)" if "hidden" in names
                                    else ""))
    source = Data(args)
    data = source.dataset
    _check_metrics(args, data.task == "classification", source.flag)
    _check_points(args, grid, options, data, source.flag)
    random = args.random is not None
    if args.data is None:
        where, task = args.dataset, None
    else:  # the file's values, as the sweep's (X, y)
        y = data.classes[data.labels] if data.task == "classification" else data.targets[:, 0]
        where, task = (data.X, y), data.task
    try:
        result = sweep(
            where, task=task, grid=None if random else grid,
            distributions=grid if random else None, n_iter=args.random, options=options,
            seeds=args.seeds if args.seeds is not None else [args.seed], folds=args.folds,
            validation_fraction=args.validation_fraction, test_fraction=args.test_fraction,
            standardize=args.standardize, scoring=args.scoring,
            dataset_options=dataset_options, n_jobs=args.n_jobs, scheduler=args.scheduler,
            timeout=args.timeout, out=args.out, resume=args.resume, random_state=args.seed,
            stack=True if args.stack else False if args.no_stack else None,
            threads=args.threads,
            verbose=1 if args.quiet or not sys.stderr.isatty() else 2,  # 2: a progress bar
        )
    except ConnectionError as exc:  # the cluster lost runs: the finished ones are kept
        raise ConnectionError(_in_cli_terms(str(exc))) from None
    except (ValueError, TypeError) as exc:
        raise ValueError(_in_cli_terms(str(exc))) from None
    failed = _print_table(result)
    kept = []
    if args.out:
        print(f"results: {args.out}")
        kept.append(f"the results are in {args.out}")
    if args.csv:
        result.save_csv(args.csv)
        print(f"table written to {args.csv}")
        kept.append(f"the table in {args.csv}")
    if args.plot:
        late("--plot", args.plot,
              lambda: result.plot_heatmap(plot_x, plot_y, args.plot_metric, path=args.plot),
              " and ".join(kept))
        print(f"heatmap written to {args.plot}")
    return 1 if failed == len(result.records) else 0
