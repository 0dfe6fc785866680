"""Your own data end to end: ffnn train --data ... --save, ffnn predict, ffnn evaluate.

Everything the commands print is parsed and compared with what the saved model (read
with ffnn.load_model) computes on the same features, or with scikit-learn's metrics.
"""

from __future__ import annotations

import contextlib
import csv
import io
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from ffnn.cli.main import main
from ffnn.io.model import load_model

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def write_csv(path, header, rows) -> str:
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def read_csv_text(text: str) -> tuple[list[str], list[list[str]]]:
    header, *rows = list(csv.reader(io.StringIO(text)))
    return header, rows


def run(argv: list[str]) -> tuple[int, str]:
    """Run the command in this process with its stdout captured (for module fixtures)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(argv)
    return status, out.getvalue()


def refused(argv: list[str], capsys) -> str:
    """The command must end with status 2, one line on stderr and nothing on stdout."""
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        status = exit_.code
    captured = capsys.readouterr()
    assert status == 2, (captured.out, captured.err)
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    assert captured.out == "", captured.out
    assert "Traceback" not in captured.err
    return lines[0]


@pytest.fixture(scope="module")
def iris_files(tmp_path_factory):
    """Iris as a CSV file with named species, and a classifier trained on it and saved."""
    folder = tmp_path_factory.mktemp("iris")
    iris = load_iris()
    X = iris.data
    labels = np.array(iris.target_names)[iris.target]
    data = write_csv(folder / "flowers.csv", [*FEATURES, "species"],
                     [[*row, label] for row, label in zip(X.tolist(), labels)])
    model = str(folder / "model.npz")
    status, out = run(["train", "--data", data, "--standardize", "--save", model,
                       "--epochs", "150", "--lr", "0.5", "--quiet"])
    assert status == 0, out
    assert "target 'species': 3 classes" in out
    return types.SimpleNamespace(folder=folder, X=X, labels=labels, data=data, model=model,
                                 train_output=out)


def test_train_saves_a_model_with_its_scaler_names_and_classes(iris_files):
    model = load_model(iris_files.model)
    assert model.task == "classification"
    assert model.classes.tolist() == ["setosa", "versicolor", "virginica"]
    assert model.feature_names == tuple(FEATURES)
    assert model.target == "species"
    assert model.data == iris_files.data
    assert model.loss == "cross_entropy"
    assert model.options["epochs"] == 150 and model.options["lr"] == 0.5
    scaler = StandardScaler().fit(iris_files.X)
    np.testing.assert_allclose(model.mean, scaler.mean_, rtol=1e-15, atol=0)
    np.testing.assert_allclose(model.scale, scaler.scale_, rtol=1e-15, atol=0)
    np.testing.assert_allclose(model.transform(iris_files.X), scaler.transform(iris_files.X),
                               atol=1e-12)
    # the model learnt something, and says so as training printed it
    accuracy = np.mean(model.predict(iris_files.X) == iris_files.labels)
    assert accuracy > 0.8
    assert f"model written to {iris_files.model}" in iris_files.train_output


def test_predict_prints_the_models_labels(iris_files, capsys):
    assert main(["predict", iris_files.model, "--data", iris_files.data]) == 0
    header, rows = read_csv_text(capsys.readouterr().out)
    assert header == ["species"]
    expected = load_model(iris_files.model).predict(iris_files.X)
    assert [row[0] for row in rows] == expected.tolist()
    assert len(set(expected.tolist())) == 3


def test_predict_proba_columns(iris_files, capsys):
    assert main(["predict", iris_files.model, "--data", iris_files.data, "--proba"]) == 0
    header, rows = read_csv_text(capsys.readouterr().out)
    assert header == ["species", "p_setosa", "p_versicolor", "p_virginica"]
    p = np.array([[float(v) for v in row[1:]] for row in rows])
    model = load_model(iris_files.model)
    np.testing.assert_array_equal(p, model.predict_proba(iris_files.X))  # repr: exact
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-12)
    assert [row[0] for row in rows] == model.classes[p.argmax(axis=1)].tolist()


def test_predict_out_writes_what_it_would_print(iris_files, capsys):
    assert main(["predict", iris_files.model, "--data", iris_files.data, "--proba"]) == 0
    printed = capsys.readouterr().out
    out = iris_files.folder / "predictions.csv"
    assert main(["predict", iris_files.model, "--data", iris_files.data, "--proba",
                 "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert said.strip() == f"150 predictions written to {out}"
    assert out.read_text(encoding="utf-8") == printed


def test_columns_are_matched_by_name(iris_files, capsys):
    order = [3, 0, 2, 1]
    shuffled = write_csv(iris_files.folder / "shuffled.csv",
                         ["id", *[FEATURES[i] for i in order], "note"],
                         [[f"#{k}", *row[order].tolist(), "x"]
                          for k, row in enumerate(iris_files.X)])
    assert main(["predict", iris_files.model, "--data", shuffled]) == 0
    _, rows = read_csv_text(capsys.readouterr().out)
    assert main(["predict", iris_files.model, "--data", iris_files.data]) == 0
    _, original = read_csv_text(capsys.readouterr().out)
    assert rows == original
    assert [r[0] for r in rows] == load_model(iris_files.model).predict(iris_files.X).tolist()


def _confusion(out: str, names: list[str]) -> np.ndarray:
    lines = out.splitlines()
    start = lines.index("confusion matrix (rows: true class, columns: predicted):")
    assert lines[start + 1].split() == names
    rows = [lines[start + 2 + k].split() for k in range(len(names))]
    assert [row[0] for row in rows] == names
    return np.array([[int(v) for v in row[1:]] for row in rows])


def test_evaluate_prints_accuracy_loss_and_confusion_matrix(iris_files, capsys):
    # a sample of each class mislabelled by the file: the scores must follow the file
    labels = iris_files.labels.copy()
    labels[[0, 60, 120]] = ["virginica", "setosa", "versicolor"]
    data = write_csv(iris_files.folder / "relabelled.csv", [*FEATURES, "species"],
                     [[*row, label] for row, label in zip(iris_files.X.tolist(), labels)])
    assert main(["evaluate", iris_files.model, "--data", data]) == 0
    out = capsys.readouterr().out
    model = load_model(iris_files.model)
    predicted = model.predict(iris_files.X)
    names = model.classes.tolist()
    assert f"accuracy: {np.mean(predicted == labels):.4f}" in out.splitlines()
    loss = metrics.log_loss(labels, model.predict_proba(iris_files.X), labels=names)
    assert f"loss (cross_entropy): {loss:.6g}" in out
    matrix = _confusion(out, names)
    np.testing.assert_array_equal(
        matrix, metrics.confusion_matrix(labels, predicted, labels=names))
    np.testing.assert_array_equal(matrix.sum(axis=1),
                                  [np.sum(labels == name) for name in names])
    assert f"data: {data}, 150 samples, target 'species'" in out
    for name in names:  # the classification report's rows
        assert any(line.split()[:1] == [name] and len(line.split()) == 5
                   for line in out.splitlines())


def test_binary_cross_entropy_model_end_to_end(tmp_path, capsys):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((60, 2))
    labels = np.where(X[:, 0] + 0.5 * X[:, 1] > 0, "yes", "no")
    data = write_csv(tmp_path / "b.csv", ["u", "v", "answer"],
                     [[*row, label] for row, label in zip(X.tolist(), labels)])
    model_path = str(tmp_path / "b.npz")
    assert main(["train", "--data", data, "--loss", "binary_cross_entropy", "--save",
                 model_path, "--epochs", "60", "--lr", "1", "--quiet"]) == 0
    capsys.readouterr()
    model = load_model(model_path)
    assert model.network.n_outputs == 1 and model.classes.tolist() == ["no", "yes"]
    assert main(["predict", model_path, "--data", data, "--proba"]) == 0
    header, rows = read_csv_text(capsys.readouterr().out)
    assert header == ["answer", "p_no", "p_yes"]
    p = np.array([[float(v) for v in row[1:]] for row in rows])
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-12)
    assert [row[0] for row in rows] == model.predict(X).tolist()
    assert main(["evaluate", model_path, "--data", data]) == 0
    out = capsys.readouterr().out
    assert f"accuracy: {np.mean(model.predict(X) == labels):.4f}" in out
    np.testing.assert_array_equal(_confusion(out, ["no", "yes"]).sum(axis=1),
                                  [np.sum(labels == "no"), np.sum(labels == "yes")])


def test_regression_from_npz_with_integer_targets(tmp_path, capsys):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((50, 3))
    y = np.rint(X @ [2.0, -1.0, 0.5] * 3).astype(np.int64)
    data = str(tmp_path / "r.npz")
    np.savez(data, X=X, y=y)
    model_path = str(tmp_path / "r_model.npz")
    assert main(["train", "--data", data, "--task", "regression", "--save", model_path,
                 "--epochs", "40", "--hidden", "none", "--lr", "0.05", "--quiet"]) == 0
    assert "target 'y': regression" in capsys.readouterr().out
    model = load_model(model_path)
    assert model.task == "regression" and model.classes is None
    assert model.target == "y" and model.feature_names is None
    assert main(["predict", model_path, "--data", data]) == 0
    header, rows = read_csv_text(capsys.readouterr().out)
    assert header == ["y"]
    predicted = model.predict(X)
    np.testing.assert_array_equal([float(row[0]) for row in rows], predicted)
    assert main(["evaluate", model_path, "--data", data]) == 0
    out = capsys.readouterr().out
    assert f"mse: {metrics.mean_squared_error(y, predicted):.6g}" in out
    assert f"mae: {metrics.mean_absolute_error(y, predicted):.6g}" in out
    assert f"r2: {metrics.r2_score(y, predicted):.4f}" in out
    assert f"loss (mse): {np.mean((predicted - y) ** 2):.6g}" in out


def test_float_targets_are_regression_without_task(tmp_path, capsys):
    rng = np.random.default_rng(6)
    X = rng.standard_normal((30, 2))
    data = str(tmp_path / "f.npz")
    np.savez(data, X=X, y=X[:, 0] * 1.5 + 0.25, feature_names=np.array(["a", "b"]))
    model_path = str(tmp_path / "f_model.npz")
    assert main(["train", "--data", data, "--save", model_path, "--epochs", "5",
                 "--quiet"]) == 0
    capsys.readouterr()
    model = load_model(model_path)
    assert model.task == "regression" and model.feature_names == ("a", "b")
    # a CSV with those names, reordered, predicts the same
    csv_path = write_csv(tmp_path / "new.csv", ["b", "a"], X[:, ::-1].tolist())
    assert main(["predict", model_path, "--data", csv_path]) == 0
    _, rows = read_csv_text(capsys.readouterr().out)
    np.testing.assert_array_equal([float(r[0]) for r in rows], model.predict(X))


def test_a_builtin_dataset_model_predicts_class_names(tmp_path, capsys):
    model_path = str(tmp_path / "iris.npz")
    assert main(["train", "--dataset", "iris", "--standardize", "--save", model_path,
                 "--epochs", "100", "--lr", "0.5", "--quiet"]) == 0
    capsys.readouterr()
    iris = load_iris()
    model = load_model(model_path)
    assert model.feature_names == tuple(iris.feature_names)
    assert model.classes.tolist() == list(iris.target_names)
    data = write_csv(tmp_path / "new.csv", ["id", *iris.feature_names],
                     [[k, *row] for k, row in enumerate(iris.data.tolist())])
    assert main(["predict", model_path, "--data", data]) == 0
    header, rows = read_csv_text(capsys.readouterr().out)
    assert header == ["prediction"]
    assert [r[0] for r in rows] == model.predict(iris.data).tolist()
    assert {r[0] for r in rows} <= {"setosa", "versicolor", "virginica"}
    assert len({r[0] for r in rows}) > 1


def test_sweep_over_a_data_file(iris_files, capsys):
    status = main(["sweep", "--data", iris_files.data, "--grid", "lr=0.1,1", "--epochs", "20",
                   "--n-jobs", "1", "--quiet"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "2 runs (0 failed" in out
    assert "best: lr=" in out


def test_python_dash_m_predict_matches_the_in_process_command(iris_files, capsys):
    assert main(["predict", iris_files.model, "--data", iris_files.data]) == 0
    printed = capsys.readouterr().out
    done = subprocess.run([sys.executable, "-m", "ffnn", "predict", iris_files.model,
                           "--data", iris_files.data], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == printed


# -- refused, on one line -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def regression_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reg")
    data = str(folder / "r.npz")
    rng = np.random.default_rng(0)
    np.savez(data, X=rng.standard_normal((20, 3)), y=rng.standard_normal(20))
    model = str(folder / "r_model.npz")
    status, out = run(["train", "--data", data, "--save", model, "--epochs", "2", "--quiet"])
    assert status == 0, out
    return model


def test_train_data_flag_combinations(iris_files, capsys):
    data = iris_files.data
    assert "--data and --dataset: give one" in refused(
        ["train", "--data", data, "--dataset", "iris"], capsys)
    assert "--data and --dataset: give one" in refused(
        ["sweep", "--data", data, "--dataset", "iris", "--grid", "lr=0.1,1"], capsys)
    assert "--target goes with --data" in refused(["train", "--target", "species"], capsys)
    assert "--task goes with --data" in refused(["train", "--task", "regression"], capsys)
    line = refused(["train", "--data", data, "--samples", "10"], capsys)
    assert "--samples" in line and "not to --data" in line
    line = refused(["train", "--data", data, "--target", "colour"], capsys)
    assert "no target column 'colour'" in line and "'species'" in line
    line = refused(["train", "--data", data, "--task", "regression"], capsys)
    assert "regression needs numbers in the target column 'species'" in line


def test_train_refuses_bad_files(tmp_path, capsys):
    ragged = write_csv(tmp_path / "ragged.csv", ["a", "b", "y"], [[1, 2, "p"], [3, "q"]])
    line = refused(["train", "--data", ragged], capsys)
    assert line == (f"ffnn train: error: --data {ragged}: line 3 has 2 fields, the header 3")
    one = write_csv(tmp_path / "one.csv", ["a", "y"], [[1, "p"], [2, "p"]])
    assert "holds one class only ('p')" in refused(["train", "--data", one], capsys)
    line = refused(["train", "--data", str(tmp_path / "missing.csv")], capsys)
    assert "missing.csv: no such file" in line


def test_predict_and_evaluate_refusals(iris_files, regression_model, tmp_path, capsys):
    model, data = iris_files.model, iris_files.data
    np.savez(tmp_path / "x.npz", X=np.ones((2, 3)))
    line = refused(["predict", regression_model, "--data", str(tmp_path / "x.npz"),
                    "--proba"], capsys)
    assert line == "ffnn predict: error: --proba: a regression model has no class probabilities"
    line = refused(["predict", model, "--data", data, "--out", model], capsys)
    assert "--out names the MODEL file" in line
    line = refused(["predict", model, "--data", model], capsys)
    assert "--data names the model file" in line
    # features missing from the file
    partial = write_csv(tmp_path / "partial.csv", FEATURES[:3], iris_files.X[:, :3].tolist())
    line = refused(["predict", model, "--data", partial], capsys)
    assert "no feature column 'petal_width'" in line and partial in line
    # an .npz of the wrong width
    narrow = str(tmp_path / "narrow.npz")
    np.savez(narrow, X=iris_files.X[:, :3])
    line = refused(["predict", model, "--data", narrow], capsys)
    assert f"--data {narrow}: 3 features" in line and "the model takes 4" in line
    # labels the model never saw
    labels = iris_files.labels.copy()
    labels[[3, 7]] = "rose"
    unknown = write_csv(tmp_path / "unknown.csv", [*FEATURES, "species"],
                        [[*row, label] for row, label in zip(iris_files.X.tolist(), labels)])
    line = refused(["evaluate", model, "--data", unknown], capsys)
    assert "labels ['rose'] are not among the model's classes" in line
    assert unknown in line and "'species'" in line
    # a file to evaluate needs its targets
    features_only = write_csv(tmp_path / "features.csv", FEATURES, iris_files.X.tolist())
    assert "which column is the target" in refused(
        ["evaluate", model, "--data", features_only], capsys)


def test_evaluate_refuses_labels_for_a_regression_model(regression_model, tmp_path, capsys):
    words = write_csv(tmp_path / "words.csv", ["a", "b", "c", "y"],
                      [[1, 2, 3, "p"], [4, 5, 6, "q"]])
    line = refused(["evaluate", regression_model, "--data", words], capsys)
    assert f"--data {words}: the target 'y' holds labels such as 'p'" in line


def test_a_damaged_model_file_is_refused(iris_files, tmp_path, capsys):
    damaged = tmp_path / "damaged.npz"
    content = Path(iris_files.model).read_bytes()
    damaged.write_bytes(content[: len(content) // 2])  # truncated
    for command in ("predict", "evaluate"):
        line = refused([command, str(damaged), "--data", iris_files.data], capsys)
        assert line.startswith(f"ffnn {command}: error: {damaged}"), line
    line = refused(["predict", str(tmp_path / "nothing.npz"), "--data", iris_files.data],
                   capsys)
    assert "nothing.npz" in line


def test_a_regression_loss_reads_whole_numbers_as_counts(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 2))
    counts = rng.poisson(np.exp(0.5 * X[:, 0]))
    path = write_csv(tmp_path / "counts.csv", ["a", "b", "n"],
                     [[*x, int(c)] for x, c in zip(X.tolist(), counts)])
    assert main(["train", "--data", path, "--loss", "poisson", "--epochs", "5",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "target 'n': regression" in out and "exp" in out


def test_csv_files_that_would_lose_rows_are_refused(iris_files, tmp_path, capsys):
    """Issue 25: an unmatched quote swallowed the rest of the file (1 prediction for 3 rows,
    exit 0); now the command names the line and writes nothing."""
    quoted = tmp_path / "quoted.csv"
    quoted.write_text(",".join(FEATURES) + ',species\n5.1,3.5,1.4,0.2,"setosa\n'
                      "4.9,3.0,1.4,0.2,setosa\n6.3,3.3,6.0,2.5,virginica\n")
    for command in (["predict", iris_files.model], ["evaluate", iris_files.model], ["train"]):
        line = refused([*command, "--data", str(quoted)], capsys)
        assert "line 2" in line and "unmatched quote" in line, line


def test_a_headerless_file_with_the_header_flag(iris_files, tmp_path, capsys):
    """UCI's iris.data has no header: refused with the flags that read it, then read."""
    rows = "\n".join(",".join(map(str, [*x, label]))
                     for x, label in zip(iris_files.X.tolist(), iris_files.labels))
    data = tmp_path / "iris_data.csv"
    data.write_text(rows + "\n")
    line = refused(["train", "--data", str(data)], capsys)
    assert "looks like a sample" in line and "--header none" in line
    status, out = run(["train", "--data", str(data), "--header", "none", "--epochs", "5",
                       "--quiet"])
    assert status == 0 and "target 'x4': 3 classes" in out and "150 training samples" in out
    names = ",".join([*FEATURES, "species"])
    status, out = run(["predict", iris_files.model, "--data", str(data), "--header", names])
    _, with_header = run(["predict", iris_files.model, "--data", iris_files.data])
    assert status == 0 and out == with_header and len(out.splitlines()) == 151
    assert "--header goes with --data" in refused(["train", "--header", "none"], capsys)


def test_many_classes_and_missing_targets_are_refused(tmp_path, capsys):
    prices = write_csv(tmp_path / "prices.csv", ["size", "price"],
                       [[i, 1000 + 37 * i] for i in range(60)])
    line = refused(["train", "--data", prices], capsys)
    assert "60 classes for 60 samples" in line and "--task regression" in line
    status, _ = run(["train", "--data", prices, "--task", "regression", "--epochs", "2",
                     "--quiet"])
    assert status == 0
    na = write_csv(tmp_path / "na.csv", ["a", "y"], [[1, 2], [2, "NA"], [3, 4]])
    line = refused(["train", "--data", na], capsys)
    assert "line 3, target column 'y': 'NA' is a missing value" in line


def test_a_reader_gone_or_a_closed_stdout_does_not_skip_the_save(tmp_path):
    """Issue 25: `ffnn train --save m.npz | head -1` trained, then skipped the save (141)."""
    import subprocess
    import sys

    model = tmp_path / "piped.npz"
    with subprocess.Popen([sys.executable, "-m", "ffnn", "train", "--hidden", "4",
                           "--epochs", "300", "--save", str(model)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        proc.stdout.readline()
        proc.stdout.close()  # the reader has had enough (head -1)
        err = proc.stderr.read()
        assert proc.wait(timeout=120) == 0, err
    assert load_model(model).n_features == 4
    closed = tmp_path / "closed.npz"
    done = subprocess.run(["bash", "-c", f'"{sys.executable}" -m ffnn train --hidden 4 '
                           f'--epochs 5 --save "{closed}" >&-'], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and closed.is_file(), done.stderr


def test_predict_out_writes_like_the_model_writer(iris_files, tmp_path):
    """Issue 25: --out replaced a symbolic link with a file and made files 0600."""
    import os
    import stat

    real, link = tmp_path / "real.csv", tmp_path / "link.csv"
    real.write_text("old\n")
    real.chmod(0o640)
    link.symlink_to(real)
    status, _ = run(["predict", iris_files.model, "--data", iris_files.data, "--out",
                     str(link)])
    assert status == 0 and link.is_symlink() and real.read_text().startswith("species\n")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    old = os.umask(0o022)
    try:
        status, _ = run(["predict", iris_files.model, "--data", iris_files.data, "--out",
                         str(tmp_path / "new.csv")])
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o644


def test_ctrl_c_while_the_figure_is_drawn_says_the_model_was_written(tmp_path, monkeypatch,
                                                                       capsys):
    """Issue 25: it said "nothing written" after the model had been saved."""
    from ffnn.training.loop import History

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(History, "plot", interrupted)
    model, figure = tmp_path / "m.npz", tmp_path / "curves.png"
    status = main(["train", "--hidden", "4", "--epochs", "5", "--save", str(model), "--plot",
                   str(figure), "--quiet"])
    err = capsys.readouterr().err
    assert status == 130 and model.is_file() and not figure.exists()
    assert f"interrupted after --save {model} was written; --plot {figure} was not" in err


def test_predict_out_with_stdout_closed_succeeds(iris_files, tmp_path):
    """The predictions are in --out: a closed stdout is no failure (exit 0, not 141)."""
    import subprocess
    import sys

    out = tmp_path / "p.csv"
    done = subprocess.run(["bash", "-c", f'"{sys.executable}" -m ffnn predict '
                           f'"{iris_files.model}" --data "{iris_files.data}" --out "{out}" >&-'],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and out.read_text().startswith("species\n"), done.stderr


def test_output_that_cannot_be_encoded_is_not_swallowed():
    from ffnn.cli.main import _Output

    ascii_only = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    output = _Output(ascii_only)
    with pytest.raises(UnicodeEncodeError):
        output.write("± 0.01")
    assert not output.broken
