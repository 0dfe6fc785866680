"""The worked studies in examples/: every notebook runs top to bottom in quick mode, every
script runs with ``--quick --out FOLDER``, checks its key numbers against its floors and
writes its figures, and the classification study and the course project skip PyTorch cleanly
when it is absent; the course project's full mode stops at once, saying why, without MNIST.

Each notebook and script asserts its own numbers (np.testing / floors); here a failing
assertion is a failing cell or a non-zero exit status.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
#: Each script and the figures its quick run must write.
SCRIPTS = {
    "week43_backprop.py": ["week43_iris_accuracy.png"],
    "regression_study.py": [
        "franke_models.png", "runge_models.png", "franke_lr_l2_heatmap.png",
        "franke_architectures.png", "franke_optimizers.png", "regression_study.png",
    ],
    "classification_study.py": [
        "breast-cancer_models.png", "digits_models.png", "breast-cancer_lr_l2_heatmap.png",
        "breast-cancer_layers_nodes_heatmap.png", "classification_study.png",
    ],
    "project2_2025.py": [
        "runge_learning_rates.png", "runge_architectures.png", "runge_fits.png",
        "runge_penalties.png", "mnist_samples.png", "mnist_models.png", "mnist_confusion.png",
        "mnist_lr_l2_heatmap.png", "mnist_layers_nodes_heatmap.png", "project2_2025.png",
    ],
}
CELL_TIMEOUT = 300  # seconds for one cell (quick mode needs ~10 s for the slowest)
PNG = b"\x89PNG\r\n\x1a\n"


def test_every_study_is_tested():
    assert {p.stem for p in NOTEBOOKS} == {Path(s).stem for s in SCRIPTS}
    assert sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")) == \
        sorted(SCRIPTS)


@pytest.fixture
def kernel_name(tmp_path, monkeypatch) -> str:
    """A kernel spec running this Python with ``FFNN_QUICK=1``, ahead of any other."""
    pytest.importorskip("ipykernel")
    spec_dir = tmp_path / "jupyter" / "kernels" / "ffnn-examples"
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "ffnn examples (quick)", "language": "python",
            "env": {"FFNN_QUICK": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's own paths, no warning
    return "ffnn-examples"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_in_quick_mode(path, kernel_name):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, kernel_name=kernel_name, timeout=CELL_TIMEOUT,
                                     resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()  # raises CellExecutionError on the first failing cell

    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert figures, "the notebook shows no figure"
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "quick mode" in text  # FFNN_QUICK=1 reached the kernel


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_script_quick_mode_writes_figures(script, tmp_path):
    out = tmp_path / "figures"
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--quick", "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "floors reached" in result.stdout
    for name in SCRIPTS[script]:
        assert (out / name).read_bytes().startswith(PNG), name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures"]  # nothing else written


# Run in a process of its own: hiding torch inside the test process would leave modules
# imported meanwhile (pandas, scikit-learn's array-API helpers) believing it absent.
_NO_TORCH = r"""
import importlib.abc, sys
from dataclasses import replace
from pathlib import Path


class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError(f"No module named {name!r} (hidden by the test)")
        return None


sys.meta_path.insert(0, NoTorch())
sys.path.insert(0, sys.argv[1])
import classification_study as study

assert not study.torch_available()
tiny = replace(study.QUICK, epochs=3, sweep_epochs=3, lrs=(1e-2,), l2s=(0.0,), layers=(1,),
               nodes=(5,))
numbers = study.run(tiny, Path(sys.argv[2]))
assert 0.5 < numbers["breast-cancer_network_accuracy"] <= 1
print("ran without torch")
"""


def test_classification_study_skips_pytorch_cleanly(tmp_path):
    result = subprocess.run([sys.executable, "-c", _NO_TORCH, str(EXAMPLES), str(tmp_path)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "ran without torch" in result.stdout
    assert "PyTorch is not importable" in result.stdout
    assert "PyTorch (" not in result.stdout
    assert set(SCRIPTS["classification_study.py"]) <= {p.name for p in tmp_path.iterdir()}


# The course project without PyTorch, on a tiny miniature MNIST; then its full mode with no
# MNIST files and OpenML out of reach (faked: CI may be online, and must not download MNIST).
_PROJECT2 = r"""
import importlib.abc, sys, time
from dataclasses import replace
from pathlib import Path


class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError(f"No module named {name!r} (hidden by the test)")
        return None


sys.meta_path.insert(0, NoTorch())
sys.path.insert(0, sys.argv[1])
import ffnn.io.idx
import project2_2025 as study

assert not study.torch_available()
tiny = replace(study.QUICK, mnist_epochs=2, logistic_epochs=2, miniature_sizes=(200, 50))
mnist = study.load_mnist(tiny)
assert mnist.data.X.shape == (200, 784) and mnist.data.X_test.shape == (50, 784)
comparison = study.compare_mnist(mnist, tiny)
assert study.TORCH not in comparison.accuracy, comparison.accuracy
assert set(comparison.accuracy) == {study.NETWORK, study.MLP, study.LOGISTIC,
                                    study.SKLEARN_LOGISTIC}
print("ran without torch")

ffnn.io.idx.openml_reachable = lambda timeout=3.0: False
started = time.perf_counter()
try:
    study.main(["--data-home", sys.argv[2], "--out", sys.argv[2]])
except SystemExit as exc:
    message = str(exc.code)
else:
    raise AssertionError("full mode ran without MNIST")
assert time.perf_counter() - started < 30
assert "full mode needs MNIST" in message and "--quick" in message, message
assert sorted(Path(sys.argv[2]).iterdir()) == []  # stopped before writing anything
print("full mode stopped:", message.splitlines()[0][:60])
"""


def test_project2_without_pytorch_and_without_mnist(tmp_path):
    result = subprocess.run([sys.executable, "-c", _PROJECT2, str(EXAMPLES), str(tmp_path)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "ran without torch" in result.stdout
    assert "full mode stopped" in result.stdout


def test_project2_flags_run_one_part_with_given_seeds_and_epochs(tmp_path):
    """--part mnist --seeds 3 --epochs 2: only MNIST's figures, the seed and epochs taken,
    and the floors that no longer hold at 2 epochs left out, saying so."""
    out = tmp_path / "figures"
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "project2_2025.py"), "--quick", "--part", "mnist",
         "--seeds", "3", "--epochs", "2", "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "MNIST floors not checked: 2 epochs, they hold for 10" in result.stdout
    assert "key numbers (quick, 1 seed): mnist_network_accuracy=" in result.stdout
    assert "runge" not in result.stdout.split("key numbers")[1]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        name for name in SCRIPTS["project2_2025.py"] if name.startswith("mnist"))


def test_project2_floors_scale_with_the_mnist_it_found():
    sys.path.insert(0, str(EXAMPLES))
    try:
        import project2_2025 as study
    finally:
        sys.path.remove(str(EXAMPLES))
    numbers = dict.fromkeys(study.FULL_FLOORS, 0.5)
    floors, notes = study.floors_for(numbers, False, study.FULL, study.FULL, 60_000)
    assert floors == study.FULL_FLOORS and notes == []
    floors, notes = study.floors_for(numbers, False, study.FULL, study.FULL, 5000)
    assert floors["mnist_network_accuracy"] == study.QUICK_FLOORS["mnist_network_accuracy"]
    assert "MNIST floors for 5000 training images" in notes[0] and "60000" in notes[0]
    floors, notes = study.floors_for(numbers, False, study.FULL, study.FULL, 500)
    assert not any(k.startswith("mnist") for k in floors) and "500 training images" in notes[0]
    s = study.with_options(study.FULL, seeds=[7], epochs=50)
    assert (s.seeds, s.runge_epochs, s.mnist_epochs, s.mnist_sweep_seeds) == ((7,), 50, 50,
                                                                              (7,))
