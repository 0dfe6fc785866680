"""docs/architecture.md's "How to add …" recipes, followed: a new activation, optimizer and
classification loss, each one class and nothing else (written in a fresh process, so the
registries of this one stay as they are), and the rest of the library takes it: the names
the command line accepts, gradcheck against autograd, training on the NumPy engine (and on
the JAX engine and as a stack, where JAX is installed), model files, a classification loss's
metric and the task of a saved Model."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).parents[1]
RECIPES = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").split(
    "## How to add", 1)[1].split("\n## ", 1)[0]

COMMON = """
import importlib.util, io, contextlib
import numpy as np
import ffnn
from ffnn.cli.main import main
X, T = ffnn.datasets.load_iris()
HAVE_JAX = importlib.util.find_spec("jax") is not None

def cli(*argv):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    assert code == 0, (argv, out.getvalue())
    return out.getvalue()
"""


def follow(tmp_path, body: str) -> str:
    script = tmp_path / "recipe.py"
    script.write_text(COMMON + textwrap.dedent(body), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_recipes_name_the_files_they_touch():
    for kind, where in (("An activation", "core/activations.py"),
                        ("An optimizer", "optim/optimizers.py"), ("A loss", "core/losses.py")):
        recipe = RECIPES.split(f"**{kind}**", 1)[1].split("\n- **", 1)[0]
        assert where in recipe and "*Files: 2" in recipe, kind
        assert (ROOT / "src" / "ffnn" / where).is_file()


def test_an_activation_is_one_class(tmp_path):
    follow(tmp_path, """
        from ffnn.core.activations import ACTIVATIONS, Activation
        from ffnn.core.autodiff import anp

        @ACTIVATIONS.register
        class Softsign(Activation):
            name = "softsign"

            def forward(self, z, xp=np):
                return z / (1 + xp.abs(z))

            def derivative(self, z, a, xp=np):
                return 1 / (1 + xp.abs(z)) ** 2

            def reference(self, z):
                return z / (1 + anp.abs(z))

        net = ffnn.Network(4, [6, 3], ["softsign", "softmax"], seed=0)
        assert ffnn.gradcheck(net, X[:20], T[:20], "cross_entropy").passed
        history = ffnn.train(net.copy(), X, T, "cross_entropy", optimizer="adam", epochs=5,
                             batch_size=30, seed=0, verbose=0, engine="numpy")
        assert history.epochs == 5
        ffnn.save(net, "net.npz")
        assert ffnn.load("net.npz").activation_funcs[0].name == "softsign"
        assert "train accuracy" in cli("train", "--activation", "softsign", "--epochs", "3")
        if HAVE_JAX:
            on_jax = ffnn.train(net.copy(), X, T, "cross_entropy", optimizer="adam", epochs=5,
                                batch_size=30, seed=0, verbose=0, engine="jax")
            assert np.allclose(on_jax["loss"], history["loss"], rtol=1e-10, atol=0)
    """)


def test_an_optimizer_is_one_class(tmp_path):
    follow(tmp_path, """
        from ffnn.optim.optimizers import OPTIMIZERS, GradientTransformation, as_schedule
        from ffnn.core.xp import as_dtype

        @OPTIMIZERS.register
        class SignSGD(GradientTransformation):
            name = "signsgd"

            def __init__(self, lr=0.01):
                self.lr = as_schedule(lr)

            def transform(self, grads, state, params, lr, xp=np):
                return (-as_dtype(lr, grads.dtype, xp) * xp.sign(grads),
                        {"step": state["step"] + 1})

        net = ffnn.Network(4, [6, 3], ["tanh", "softmax"], seed=0)
        history = ffnn.train(net.copy(), X, T, "cross_entropy", optimizer="signsgd",
                             learning_rate=0.01, epochs=20, seed=0, verbose=0, engine="numpy")
        assert history["loss"][-1] < history["loss"][0]
        trainer = ffnn.Trainer(net.copy(), "cross_entropy", "signsgd", seed=0, verbose=0)
        trainer.fit(X, T, epochs=2)
        ffnn.save(trainer.network, "net.npz", opt_state=trainer.opt_state)
        assert "train accuracy" in cli("train", "--optimizer", "signsgd", "--epochs", "3")
        if HAVE_JAX:
            on_jax = ffnn.train(net.copy(), X, T, "cross_entropy", optimizer="signsgd",
                                learning_rate=0.01, epochs=20, seed=0, verbose=0, engine="jax")
            assert np.allclose(on_jax["loss"], history["loss"], rtol=1e-10, atol=0)
    """)


def test_a_classification_loss_is_one_class(tmp_path):
    out = follow(tmp_path, """
        from ffnn.core.losses import LOSSES, Loss
        from ffnn.sweeps import recipe

        @LOSSES.register
        class Brier(Loss):
            name = "brier"
            task = "classification"
            requires_probabilities = True
            nonnegative_costs = True

            def per_sample(self, y_pred, y, xp=np):
                return xp.sum((y_pred - y) ** 2, axis=-1)

            def value(self, y_pred, y):
                return float(np.mean(self.per_sample(y_pred, y)))

            def gradient(self, y_pred, y, xp=np):
                return 2 * (y_pred - y) / y.shape[0]

            def reference(self, y_pred, y):
                return ((y_pred - y) ** 2).sum() / y.shape[0]

            def example_targets(self, rng, n_samples, n_outputs):
                return np.eye(n_outputs)[rng.integers(0, n_outputs, n_samples)]

        net = ffnn.Network(4, [6, 3], ["sigmoid", "softmax"], seed=0)
        assert ffnn.gradcheck(net, X[:20], T[:20], "brier").passed
        history = ffnn.train(net, X, T, "brier", optimizer="adam", epochs=30, seed=0,
                             verbose=0, engine="numpy")
        assert "accuracy" in history  # the metric of a classification loss
        built = recipe.build({"loss": "brier", "hidden": [5]}, 4, 3, True, 150)
        assert built.network.activation_funcs[-1].name == "softmax"
        ffnn.save(net, "net.npz", metadata={"loss": "brier"})
        assert ffnn.load_model("net.npz").task == "classification"
        print(cli("train", "--loss", "brier", "--epochs", "3"))
        print(cli("gradcheck", "--loss", "brier", "--output-activation", "softmax"))
    """)
    assert "train accuracy" in out and "passed" in out.lower()
