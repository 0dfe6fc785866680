"""scikit-learn's own MLP tests (sklearn/neural_network/tests/test_mlp.py, as installed) with
MLPClassifier and MLPRegressor swapped for FFNNClassifier and FFNNRegressor: every test passes
but those that read scikit-learn's private attributes or functions, each listed with what it
reads (the README's table of differences lists them too)."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sklearn

SOURCE = Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"
IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor\n"
SWAPPED = "from ffnn import FFNNClassifier as MLPClassifier, FFNNRegressor as MLPRegressor\n"

#: The tests that read scikit-learn's internals, which ffnn's estimators do not have.
PRIVATE = {
    "test_fit": "sets and reads mlp._coef_grads and mlp._intercept_grads",
    "test_gradient": "calls mlp._loss_grad_lbfgs",
    "test_learning_rate_warmstart": "reads mlp._optimizer.learning_rate",
    "test_adaptive_learning_rate": "reads clf._optimizer.learning_rate",
}

# sklearn/conftest.py's fixture, which a copy outside the package does not see
CONFTEST = '''
import pytest


@pytest.fixture(params=[42])
def global_random_seed(request):
    return request.param
'''


def test_scikit_learns_mlp_tests_pass_on_ffnns_estimators(tmp_path):
    if not SOURCE.is_file():
        pytest.skip(f"scikit-learn {sklearn.__version__} is installed without its tests")
    text = SOURCE.read_text(encoding="utf-8")
    assert text.count(IMPORT) == 1, "scikit-learn's test module imports its MLP otherwise now"
    (tmp_path / "test_mlp_swapped.py").write_text(text.replace(IMPORT, SWAPPED),
                                                  encoding="utf-8")
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    report = tmp_path / "report.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "-W", "ignore", f"--junitxml={report}", "test_mlp_swapped.py"],
                   cwd=tmp_path, capture_output=True, text=True, timeout=900)
    outcomes: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("name").split("[")[0]
        bad = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        outcome = "failed" if bad else "skipped" if skipped else "passed"
        if outcomes.get(name) != "failed":
            outcomes[name] = outcome
    assert len(outcomes) >= 40, outcomes
    failed = {name for name, outcome in outcomes.items() if outcome == "failed"}
    assert failed == set(PRIVATE), (failed - set(PRIVATE), set(PRIVATE) - failed)
    assert not [name for name, outcome in outcomes.items() if outcome == "skipped"]
