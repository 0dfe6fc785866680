"""The command line: ffnn iris and ffnn gradcheck."""

import subprocess
import sys
from importlib.util import find_spec

import pytest

import ffnn
from ffnn.cli.main import main


def test_iris_prints_shapes_cost_and_a_passing_gradient_check(capsys):
    assert main(["iris"]) == 0
    out = capsys.readouterr().out
    assert "Network(4 -> 8 sigmoid -> 3 softmax, 67 parameters, float64)" in out
    assert "layer 1: W (4, 8), b (8,), sigmoid" in out
    assert "layer 2: W (8, 3), b (3,), softmax" in out
    assert "X (150, 4), targets (150, 3)" in out
    cost = float(out.split("cross-entropy cost (untrained):")[1].split()[0])
    assert 0.5 < cost < 5  # about log(3) for an untrained network
    assert "gradient check PASSED" in out


def test_iris_in_float32(capsys):
    assert main(["iris", "--dtype", "float32", "--seed", "3"]) == 0
    assert "float32" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        [
            "--layers",
            "16,8,1",
            "--activations",
            "relu,relu,sigmoid",
            "--loss",
            "binary_cross_entropy",
            "--l2",
            "0.01",
        ],
        [
            "--layers",
            "5,5,2",
            "--activations",
            "tanh",
            "--loss",
            "mse",
            "--l1",
            "0.1",
            "--samples",
            "3",
        ],
        [
            "--input-size",
            "3",
            "--layers",
            "4,3",
            "--activations",
            "elu,softmax",
            "--dtype",
            "float32",
        ],
    ],
)
def test_gradcheck_prints_the_table(argv, capsys):
    assert main(["gradcheck", *argv]) == 0
    out = capsys.readouterr().out
    assert "autograd" in out and "finite differences" in out
    assert "gradient check PASSED" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--activations", "sigmoid,softmaxx"], "unknown activation 'softmaxx'; valid names"),
        (["--loss", "hinge"], "unknown loss 'hinge'; valid names"),
        (["--activations", "sigmoid,relu"], "needs predictions in (0, 1)"),
        (["--layers", "8,0"], "layer_output_sizes[1] must be a positive integer, got 0"),
        (["--activations", "relu,relu,relu"], "expected 2"),
        (["--samples", "0"], "--samples must be at least 1"),
    ],
)
def test_gradcheck_reports_bad_options_clearly(argv, message, capsys):
    assert main(["gradcheck", *argv]) == 2
    assert message in capsys.readouterr().err


def test_malformed_lists_are_argparse_errors(capsys):
    with pytest.raises(SystemExit) as info:
        main(["gradcheck", "--layers", "8,x"])
    assert info.value.code == 2
    assert "comma-separated integers" in capsys.readouterr().err


def test_python_dash_m_runs_the_command():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ffnn",
            "gradcheck",
            "--layers",
            "3,2",
            "--loss",
            "mse",
            "--activations",
            "tanh,identity",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "gradient check PASSED" in done.stdout


# -- ffnn train -------------------------------------------------------------------------------


def test_train_with_no_options_runs_the_notebooks_study(capsys):
    assert main(["train"]) == 0
    out = capsys.readouterr().out
    assert "Network(4 -> 8 sigmoid -> 3 softmax, 67 parameters, float64)" in out
    assert "5000 epochs" in out and "epochs run: 5000" in out
    accuracy = float(out.split("train accuracy:")[1].split()[0])
    assert accuracy >= 0.9


def test_both_engines_print_the_same_study(capsys):
    pytest.importorskip("jax", reason="the JAX engine needs JAX (the fast extra)")
    outputs = []
    for engine in ("numpy", "jax"):
        assert main(["train", "--quiet", "--epochs", "300", "--engine", engine]) == 0
        outputs.append(capsys.readouterr().out)
        assert f"\nengine: {engine}" in outputs[-1]  # each ran on the engine it names
    accuracies = [out.split("train accuracy:")[1].split()[0] for out in outputs]
    losses = [float(out.split("train loss:")[1].split()[0]) for out in outputs]
    assert accuracies[0] == accuracies[1]
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)  # 6 digits printed


def test_train_writes_curves_and_parameters(tmp_path, capsys):
    plot, saved = tmp_path / "out.png", tmp_path / "model.npz"
    argv = [
        "train",
        "--dataset",
        "breast-cancer",
        "--test-fraction",
        "0.2",
        "--standardize",
        "--hidden",
        "8",
        "--activation",
        "relu",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--batch-size",
        "64",
        "--epochs",
        "5",
        "--validation-fraction",
        "0.1",
        "--plot",
        str(plot),
        "--save",
        str(saved),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "test accuracy:" in out and "validation accuracy:" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model = ffnn.load(saved)
    assert model.n_params == 30 * 8 + 8 + 8 * 2 + 2
    assert [f.name for f in model.activation_funcs] == ["relu", "softmax"]
    assert not list(tmp_path.glob(".*.tmp*"))  # the temporary file was renamed into place


def test_train_binary_cross_entropy_defaults_to_one_sigmoid_output(capsys):
    argv = [
        "train",
        "--dataset",
        "breast-cancer",
        "--standardize",
        "--loss",
        "binary_cross_entropy",
        "--epochs",
        "3",
        "--optimizer",
        "nesterov",
        "--momentum",
        "0.9",
        "--batch-size",
        "32",
        "--schedule",
        "cosine",
        "--clip",
        "5",
    ]
    assert main(argv) == 0
    assert "-> 1 sigmoid" in capsys.readouterr().out


def test_train_regression_with_a_schedule_and_warmup(capsys):
    argv = [
        "train",
        "--dataset",
        "franke",
        "--samples",
        "100",
        "--hidden",
        "10",
        "--activation",
        "tanh",
        "--epochs",
        "20",
        "--optimizer",
        "rmsprop",
        "--lr",
        "0.005",
        "--batch-size",
        "20",
        "--schedule",
        "exponential",
        "--gamma",
        "0.99",
        "--warmup",
        "5",
    ]
    assert main(argv) == 0
    assert "train r2:" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--dataset", "cifar10"], "--dataset must be one of iris, breast-cancer"),
        (["--epochs", "-5"], "--epochs must be >= 0, got -5"),
        (["--hidden", "8,4", "--activation", "relu,tanh,elu"], "--activation needs one name"),
        (["--optimizer", "adam", "--momentum", "0.9"], "--momentum applies to"),
        (["--schedule", "linear"], "unknown schedule 'linear'"),
        (["--epochs", "ten"], "invalid int value"),
        (["--batch-size", "0", "--epochs", "1"], "--batch-size must be a positive integer"),
        (["--schedule", "step", "--step-size", "0"], "--step-size must be a positive integer"),
        (["--save", "/no/such/folder/m.npz"], "the folder of /no/such/folder/m.npz"),
        (["--loss", "cross_entropy", "--output-activation", "relu"], "needs predictions"),
        pytest.param(["--engine", "jax", "--clip", "1.0", "--epochs", "1"],
                     "--engine jax cannot run this training: optimizer chain(ClipGradNorm, SGD) "
                 "is not a built-in",
                     marks=pytest.mark.skipif(find_spec("jax") is None,
                                              reason="the JAX engine needs JAX (the fast extra)")),
        (["--engine", "compiled", "--epochs", "1"],
         "argument --engine: invalid choice: 'compiled'"),
    ],
)
def test_train_reports_bad_options_on_one_line(argv, message, capsys):
    try:
        status = main(["train", "--quiet", *argv])
    except SystemExit as exit_:  # argparse's own errors
        status = exit_.code
    assert status == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines


def test_a_bad_option_prints_no_traceback_from_the_real_command():
    done = subprocess.run(
        [sys.executable, "-m", "ffnn", "train", "--epochs", "-5"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == "ffnn train: error: --epochs must be >= 0, got -5"


def test_version_and_bare_ffnn_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"ffnn {ffnn.__version__}"
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ffnn") and "train" in out and "sweep" in out


def test_a_list_valued_grid_option_with_commas_says_it_is_one_value(capsys):
    from ffnn.cli.sweep import _parse_grid

    assert _parse_grid(["hidden=4,8"], False) == {"hidden": [[4, 8]]}
    err = capsys.readouterr().err
    assert "--grid hidden=4,8 is one value" in err and "hidden=4/8" in err
    assert _parse_grid(["hidden=4/8"], False) == {"hidden": [[4], [8]]}
    assert capsys.readouterr().err == ""


def test_gradcheck_takes_train_s_spelling_of_the_network(capsys):
    argv = ["gradcheck", "--hidden", "6,5", "--activation", "tanh", "--loss",
            "binary_cross_entropy", "--l2", "0.01"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("Network(4 -> 6 tanh -> 5 tanh -> 1 sigmoid")
    assert main(["gradcheck", "--layers", "6,1", "--activation", "tanh"]) == 2
    assert "drop --activation" in capsys.readouterr().err
