"""Model files written by ffnn 0.2.0 (the flat layout; tests/reference/files_0.2.0: a network
with its Adam state, an FFNNClassifier, and ``ffnn train --save``'s Model) load as they were:
the same predictions, and saved again, the same bytes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import ffnn
from ffnn.sklearn.estimators import FFNNClassifier

FILES = Path(__file__).parent / "reference" / "files_0.2.0"
X = ffnn.datasets.load_iris()[0][:10]
EXPECTED = np.load(FILES / "expected_0.2.0.npy")


def test_a_network_file_with_its_optimizer_state(tmp_path):
    network, state, extra = ffnn.io.load_with_state(FILES / "network_0.2.0.npz")
    assert np.array_equal(network.predict(X), EXPECTED[0])
    assert extra == {"loss": "cross_entropy"} and int(state["step"]) == 3
    ffnn.save(network, tmp_path / "again.npz", opt_state=state, metadata=extra)
    assert (tmp_path / "again.npz").read_bytes() == (FILES / "network_0.2.0.npz").read_bytes()


def test_an_estimator_file(tmp_path):
    est = FFNNClassifier.load(FILES / "classifier_0.2.0.npz")
    assert np.array_equal(est.predict_proba(X), EXPECTED[1])
    est.save(tmp_path / "again.npz")
    again = FFNNClassifier.load(tmp_path / "again.npz")
    assert np.array_equal(again.predict_proba(X), EXPECTED[1])
    assert again.get_params() == est.get_params()


def test_a_model_file_from_the_command_line(tmp_path):
    model = ffnn.load_model(FILES / "model_0.2.0.npz")
    assert model.task == "classification"
    assert np.array_equal(model.network.predict(X), EXPECTED[2])
    model.save(tmp_path / "again.npz")
    assert (tmp_path / "again.npz").read_bytes() == (FILES / "model_0.2.0.npz").read_bytes()
