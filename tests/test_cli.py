"""The command line: ffnn iris and ffnn gradcheck."""

import subprocess
import sys

import pytest

from ffnn.cli import main


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
    assert "autograd" in out and "finite_differences" in out
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
