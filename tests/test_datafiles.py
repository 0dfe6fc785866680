"""Reading a user's own data: ffnn.datafiles.read_data on CSV and .npz files.

Every value read is compared with what was written (np.savetxt, the csv module, np.savez);
every bad file must give one ValueError naming the file and the problem.
"""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest

from ffnn.data.datasets import Dataset
from ffnn.io.tables import DataFile, read_data


def write_csv(path, header, rows, **open_options) -> str:
    """Write ``rows`` under ``header`` with the csv module; return the path as a str."""
    with open(path, "w", newline="", encoding=open_options.pop("encoding", "utf-8"),
              **open_options) as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def write_text(path, text: str, encoding: str = "utf-8") -> str:
    with open(path, "w", newline="", encoding=encoding) as file:
        file.write(text)
    return str(path)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


# -- CSV: values, names, targets ----------------------------------------------------------------


def test_savetxt_values_come_back_exactly(tmp_path, rng):
    X = rng.standard_normal((25, 3)) * [1, 100, 1e-3]
    labels = rng.integers(0, 3, 25)
    path = tmp_path / "table.csv"
    np.savetxt(path, np.column_stack([X, labels]), delimiter=",", fmt="%.17g",
               header="alpha,beta,gamma,kind", comments="")
    file = read_data(path)
    assert isinstance(file, DataFile)
    np.testing.assert_array_equal(file.X, X)  # %.17g round-trips a float64 exactly
    assert file.X.dtype == np.float64
    np.testing.assert_array_equal(file.y, labels)
    assert file.y.dtype == np.int64  # "2", not "2.0": classes
    assert file.feature_names == ("alpha", "beta", "gamma")
    assert file.target == "kind"  # the last column by default
    assert file.path == str(path)
    assert file.task() == "classification"


def test_regression_values_and_target_choice(tmp_path, rng):
    data = rng.standard_normal((10, 4))
    path = tmp_path / "values.csv"
    np.savetxt(path, data, delimiter=",", fmt="%.17g", header="a,b,c,d", comments="")
    file = read_data(path, target="b")
    np.testing.assert_array_equal(file.y, data[:, 1])
    assert file.y.dtype == np.float64
    np.testing.assert_array_equal(file.X, data[:, [0, 2, 3]])
    assert file.feature_names == ("a", "c", "d")
    assert file.task() == "regression"
    dataset = file.dataset()
    assert isinstance(dataset, Dataset)
    np.testing.assert_array_equal(dataset.targets, data[:, [1]])
    assert dataset.classes is None and dataset.task == "regression"
    assert dataset.feature_names == ("a", "c", "d")


def test_string_labels_become_sorted_classes(tmp_path, rng):
    X = rng.standard_normal((12, 2))
    names = np.array(["Iris virginica", "setosa, wild", 'say "hi"'])
    labels = names[np.arange(12) % 3]
    path = write_csv(tmp_path / "named.csv", ["x1", "x2", "species"],
                     [[*row, label] for row, label in zip(X.tolist(), labels)])
    file = read_data(path)
    np.testing.assert_array_equal(file.X, X)  # the csv module writes repr: exact
    assert file.y.tolist() == labels.tolist()
    dataset = file.dataset()
    assert dataset.task == "classification"
    assert list(dataset.classes) == sorted(set(labels))
    assert dataset.class_names == tuple(sorted(set(labels)))
    # one-hot rows that name each sample's class
    assert dataset.targets.shape == (12, 3)
    np.testing.assert_array_equal(dataset.targets.sum(axis=1), 1)
    assert dataset.classes[dataset.targets.argmax(axis=1)].tolist() == labels.tolist()


def test_features_are_taken_by_name_in_the_order_asked(tmp_path, rng):
    X = rng.standard_normal((8, 3))
    ids = [f"id{i}" for i in range(8)]
    labels = ["a", "b"] * 4
    path = write_csv(tmp_path / "wide.csv", ["id", "c", "target", "a", "b"],
                     [[i, r[2], t, r[0], r[1]] for i, r, t in zip(ids, X.tolist(), labels)])
    # extra columns ignored; the target is given
    file = read_data(path, target="target", features=["a", "b", "c"])
    np.testing.assert_array_equal(file.X, X)
    assert file.feature_names == ("a", "b", "c")
    assert file.y.tolist() == labels
    # another order
    file = read_data(path, target="target", features=["c", "a"])
    np.testing.assert_array_equal(file.X, X[:, [2, 0]])
    # the one column left over is the target ...
    narrow = write_csv(tmp_path / "narrow.csv", ["b", "label", "a"],
                       [[r[1], t, r[0]] for r, t in zip(X.tolist(), labels)])
    file = read_data(narrow, features=["a", "b"])
    assert file.target == "label" and file.y.tolist() == labels
    np.testing.assert_array_equal(file.X, X[:, :2])
    # ... but with two left over none is guessed: a file to predict on has no target
    file = read_data(path, features=["a", "b", "c"], require_target=False)
    assert file.y is None and file.target is None
    np.testing.assert_array_equal(file.X, X)
    with pytest.raises(ValueError, match="which column is the target"):
        read_data(path, features=["a", "b", "c"])


def test_default_target_is_used_when_the_file_has_it(tmp_path, rng):
    X = rng.standard_normal((6, 2))
    labels = ["u", "v", "w"] * 2
    path = write_csv(tmp_path / "t.csv", ["species", "p", "q"],
                     [[t, *r] for t, r in zip(labels, X.tolist())])
    file = read_data(path, default_target="species")
    assert file.target == "species" and file.y.tolist() == labels
    np.testing.assert_array_equal(file.X, X)
    # not in the file: ignored, the last column is the target
    numeric = write_csv(tmp_path / "n.csv", ["p", "q", "r"], X[:, [0, 1, 0]].tolist())
    file = read_data(numeric, default_target="colour")
    assert file.target == "r"
    np.testing.assert_array_equal(file.y, X[:, 0])
    assert read_data(numeric, default_target="p").target == "p"
    # --target wins over it
    file = read_data(path, target="p", default_target="species", features=["q"])
    assert file.target == "p"
    np.testing.assert_array_equal(file.X, X[:, [1]])
    # a file to predict on: the features by name, the saved target beside them
    file = read_data(path, features=["q", "p"], require_target=False, default_target="species")
    assert file.target == "species"
    np.testing.assert_array_equal(file.X, X[:, [1, 0]])


@pytest.mark.parametrize(
    ("values", "task", "kind"),
    [
        (["0", "1", "2", "1"], "classification", "i"),
        (["-1", "+2", "-1", "7"], "classification", "i"),
        (["1.5", "2", "3", "4"], "regression", "f"),
        (["3.0", "1.0", "2.0", "1.0"], "regression", "f"),  # a point: values
        (["1e3", "2", "5", "6"], "regression", "f"),  # an exponent: values
        (["cat", "1", "dog", "1"], "classification", "U"),  # any name: all names
        (["99999999999999999999", "1", "2", "1"], "classification", "U"),  # beyond int64
    ],
)
def test_the_task_follows_how_the_target_is_written(tmp_path, values, task, kind):
    path = write_csv(tmp_path / "t.csv", ["x", "y"], [[i, v] for i, v in enumerate(values)])
    file = read_data(path)
    assert file.task() == task
    assert file.y.dtype.kind == kind
    if kind == "U":
        assert file.y.tolist() == values
    else:
        np.testing.assert_array_equal(file.y, [float(v) for v in values])
    assert file.dataset().task == task


def test_the_task_can_be_given(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["x", "y"], [[i, i % 3] for i in range(9)])
    file = read_data(path)
    regression = file.dataset("regression")
    np.testing.assert_array_equal(regression.targets[:, 0], np.arange(9) % 3)
    assert regression.classes is None
    classification = file.dataset("classification")
    assert classification.classes.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="task must be one of classification, regression"):
        file.dataset("clustering")
    named = read_data(write_csv(tmp_path / "n.csv", ["x", "y"], [[1, "a"], [2, "b"]]))
    with pytest.raises(ValueError, match=r"numbers in the target column 'y', got values such "
                                         r"as 'a'$"):
        named.dataset("regression")


def test_bom_blank_lines_spaces_and_crlf(tmp_path):
    text = "\r\n".join(["a , b,label", "", "1, 2 ,x", "   ", "3,4, y ", "", ""])
    path = write_text(tmp_path / "bom.csv", text, encoding="utf-8-sig")
    with open(path, "rb") as raw:
        assert raw.read(3) == b"\xef\xbb\xbf"  # the test really writes a BOM
    file = read_data(path)
    assert file.feature_names == ("a", "b")  # no '\ufeffa', no spaces
    np.testing.assert_array_equal(file.X, [[1, 2], [3, 4]])
    assert file.y.tolist() == ["x", "y"]
    # line numbers count the blank lines
    bad = write_text(tmp_path / "bad.csv", "a,b,label\n\n1,2,x\n\n\n3,oops,y\n")
    with pytest.raises(ValueError, match=r"line 6, column 'b': 'oops' is not a number"):
        read_data(bad)


def test_one_class_is_refused_by_dataset(tmp_path):
    path = write_csv(tmp_path / "one.csv", ["x", "y"], [[1, "same"], [2, "same"]])
    file = read_data(path)
    with pytest.raises(ValueError, match=r"one\.csv: the target column 'y' holds one class only "
                                         r"\('same'\); a classifier needs two"):
        file.dataset()


def test_a_file_without_target_has_no_task(tmp_path):
    path = write_csv(tmp_path / "x.csv", ["a", "b"], [[1, 2]])
    file = read_data(path, features=["a", "b"], require_target=False)
    assert file.y is None
    with pytest.raises(ValueError, match="has no target to learn from"):
        file.task()


# -- CSV: bad files ----------------------------------------------------------------------------

CSV_CASES = [
    ("", {}, ["the file is empty"]),
    ("\n  \n\n", {}, ["the file is empty"]),
    ("a,b,y\n", {}, ["the header is there but no samples follow"]),
    ("1,2,3\n4,5,6\n", {}, ["looks like a sample", "--header none"]),
    ("a,,y\n1,2,3\n", {}, ["column 2 of the header has no name"]),
    ("a,b,a\n1,2,3\n", {}, ["the header names ['a'] more than once"]),
    ("a,b,y\n1,2,3\n4,5\n", {}, ["line 3 has 2 fields, the header 3"]),
    ("a,b,y\n1,2,3\n4,5,6,7\n", {}, ["line 3 has 4 fields"]),
    ("a,b,y\n1,2,p\n4,five,q\n", {}, ["line 3, column 'b': 'five' is not a number"]),
    ("a,b,y\n1,,p\n4,5,q\n", {}, ["line 2, column 'b': is empty"]),
    ("a,b,y\n1,2,p\nnan,5,q\n", {}, ["line 3, column 'a': 'nan' is not finite"]),
    ("a,b,y\n1,-inf,p\n4,5,q\n", {}, ["line 2, column 'b': '-inf' is not finite"]),
    ("a,b,y\n1,2,p\n4,5, \n", {}, ["line 3, target column 'y': empty"]),
    ("a,b,y\n1,2,0.5\n4,5,inf\n", {}, ["line 3, target column 'y': 'inf' is not finite"]),
    ("a,b,y\n1,2,p\n", {"target": "label"},
     ["no target column 'label'", "the columns are 'a', 'b', 'y'"]),
    ("y\np\nq\n", {}, ["only the target column 'y'; no features"]),
    ("a,b,y\n1,2,p\n", {"features": ["a", "z", "w"]},
     ["no feature columns 'z', 'w'", "the columns are 'a', 'b', 'y'"]),
    ("a,b,y\n1,2,p\n", {"target": "a", "features": ["a", "b"]},
     ["'a' is the target and a feature"]),
    # issue 25: nothing silent in a CSV
    ('a,b,y\n1,2,"cat\n3,4,dog\n5,6,cat\n', {}, ["line 2", "unmatched quote"]),
    ('a,b,y\n1,2,"two\nlines"\n3,4,dog\n', {}, ["line 2: a quoted field runs over 2 lines"]),
    ('a,b,y\n1,2,"cat"x\n3,4,dog\n', {}, ["line 2: not a CSV row"]),
    ("a,b,y\n1,2\n3,4,dog\n", {}, ["line 2 has 2 fields, the header 3"]),
    ("5.1,3.5,setosa\n4.9,3.0,setosa\n", {}, ["(5.1, 3.5, setosa) looks like a sample",
                                              "--header none", "--header first"]),
    ("a,b,price\n1,2,3\n3,4,NA\n5,6,7\n", {},
     ["line 3, target column 'price': 'NA' is a missing value (1 of 3 rows"]),
    ("a,b,price\n1,2,3.5\n3,4,?\n", {}, ["line 3, target column 'price': '?' is a missing"]),
    ("a,b,y\n1,2,3\n", {"header": ["a", "b"]}, ["header gives 2 names, the first row has 3"]),
]


@pytest.mark.parametrize(("text", "options", "fragments"), CSV_CASES)
def test_bad_csv_files_are_named_with_the_problem(tmp_path, text, options, fragments):
    path = write_text(tmp_path / "bad.csv", text)
    with pytest.raises(ValueError) as error:
        read_data(path, **options)
    message = str(error.value)
    assert message.startswith(f"--data {path}: "), message
    for fragment in fragments:
        assert fragment in message, message


def test_the_flag_names_the_argument(tmp_path):
    path = write_text(tmp_path / "bad.csv", "")
    with pytest.raises(ValueError, match=rf"^--input {path}: the file is empty"):
        read_data(path, flag="--input")


def test_non_utf8_csv(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("a,b,name\n1,2,café\n".encode("latin-1"))
    with pytest.raises(ValueError, match=rf"--data {path}: not a UTF-8 text file"):
        read_data(path)


def test_missing_file_folder_and_extension(tmp_path):
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(ValueError, match=rf"--data {missing}: no such file"):
        read_data(missing)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(ValueError, match=rf"--data {folder}: not a file"):
        read_data(folder)
    for name, shown in (("data.txt", "a .txt"), ("data", "a file without extension")):
        path = write_text(tmp_path / name, "a,b\n1,2\n")
        with pytest.raises(ValueError) as error:
            read_data(path)
        message = str(error.value)
        assert message.startswith(f"--data {path}: expected a .csv file"), message
        assert f"got {shown}" in message
    # the extension is not case-sensitive
    upper = write_text(tmp_path / "DATA.CSV", "a,b\n1,2\n")
    assert read_data(upper).y.tolist() == [2]


# -- .npz ---------------------------------------------------------------------------------------


def test_npz_arrays_come_back(tmp_path, rng):
    X = rng.standard_normal((15, 3))
    y = rng.integers(0, 4, 15)
    path = tmp_path / "a.npz"
    np.savez(path, X=X, y=y, feature_names=np.array(["p", "q", "r"]))
    file = read_data(path)
    np.testing.assert_array_equal(file.X, X)
    np.testing.assert_array_equal(file.y, y)
    assert file.y.dtype == np.int64
    assert file.feature_names == ("p", "q", "r")
    assert file.target == "y"
    assert file.task() == "classification"
    # by name, reordered
    file = read_data(path, features=["r", "p"])
    np.testing.assert_array_equal(file.X, X[:, [2, 0]])
    assert file.feature_names == ("r", "p")


@pytest.mark.parametrize(
    ("y", "task", "dtype"),
    [
        (np.array([0, 1, 1, 0]), "classification", np.int64),
        (np.array([0, 1, 1, 0], dtype=np.uint8), "classification", np.int64),
        (np.array([True, False, True, True]), "classification", np.int64),
        (np.array(["a", "b", "a", "c"]), "classification", np.dtype("<U1")),
        (np.array([0.0, 1.0, 1.0, 0.0]), "regression", np.float64),  # floats: values
        (np.array([0.5, 1.5, -2.0, 3.0], dtype=np.float32), "regression", np.float32),
        (np.array([[1.5], [2.5], [0.0], [1.0]]), "regression", np.float64),  # one column
    ],
)
def test_npz_task_follows_the_dtype(tmp_path, y, task, dtype):
    X = np.arange(8).reshape(4, 2)  # integers: read as floats
    path = tmp_path / "d.npz"
    np.savez(path, X=X, y=y)
    file = read_data(path)
    assert file.X.dtype == np.float64
    np.testing.assert_array_equal(file.X, X)
    assert file.task() == task
    assert file.y.dtype == dtype
    np.testing.assert_array_equal(file.y, y.ravel())
    assert file.feature_names is None
    assert file.dataset().feature_names == ("x0", "x1")


def test_npz_target_arrays(tmp_path):
    X = np.arange(6.0).reshape(3, 2)
    path = tmp_path / "t.npz"
    np.savez(path, X=X, y=np.array([0, 1, 0]), price=np.array([1.5, 2.5, 3.5]))
    assert read_data(path, target="price").y.tolist() == [1.5, 2.5, 3.5]
    file = read_data(path, default_target="price")
    assert file.target == "price"
    assert read_data(path, default_target="absent").target == "y"
    no_y = tmp_path / "x.npz"
    np.savez(no_y, X=X)
    file = read_data(no_y, require_target=False)
    assert file.y is None and file.target is None
    np.testing.assert_array_equal(file.X, X)


def _npz(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


NPZ_CASES = [
    (dict(y=np.arange(3)), {}, ["no array X (the features); its arrays are y"]),
    (dict(X=np.ones(3), y=np.arange(3)), {}, ["X must be a 2-D array", "shape (3,)"]),
    (dict(X=np.ones((2, 2, 2)), y=np.arange(2)), {}, ["X must be a 2-D array"]),
    (dict(X=np.array([["a", "b"]]), y=np.arange(1)), {}, ["X must be a 2-D array of numbers"]),
    (dict(X=np.ones((3, 2)), y=np.arange(4)), {},
     ["y must be a 1-D array of 3 labels or values", "shape (4,)"]),
    (dict(X=np.ones((3, 2)), y=np.ones((3, 2))), {}, ["y must be a 1-D array"]),
    (dict(X=np.array([[1.0, 2.0], [np.inf, 0.0]]), y=np.arange(2)), {}, ["X[1, 0] is inf"]),
    (dict(X=np.array([[1.0, np.nan]]), y=np.arange(1)), {}, ["X[0, 1] is nan"]),
    (dict(X=np.ones((2, 2)), y=np.array([1.0, np.nan])), {}, ["y holds non-finite values"]),
    (dict(X=np.ones((2, 3)), y=np.arange(2), feature_names=np.array(["a", "b"])), {},
     ["feature_names must be 3 strings", "shape (2,)"]),
    (dict(X=np.ones((2, 2)), y=np.arange(2), feature_names=np.array([1, 2])), {},
     ["feature_names must be 2 strings"]),
    (dict(X=np.ones((2, 2))), {}, ["no array 'y' (the targets); its arrays are X"]),
    (dict(X=np.ones((2, 2)), y=np.arange(2)), {"target": "price"},
     ["no array 'price'", "its arrays are X, y"]),
    (dict(X=np.ones((2, 2)), y=np.arange(2), feature_names=np.array(["a", "b"])),
     {"features": ["b", "c"]}, ["no feature(s) ['c'] among its feature_names"]),
    (dict(X=np.ones((0, 2)), y=np.arange(0)), {}, ["X holds no samples"]),
    (dict(X=np.ones((2, 0)), y=np.arange(2)), {}, ["X holds no features"]),
]


@pytest.mark.parametrize(("arrays", "options", "fragments"), NPZ_CASES)
def test_bad_npz_files_are_named_with_the_problem(tmp_path, arrays, options, fragments):
    path = _npz(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError) as error:
        read_data(path, **options)
    message = str(error.value)
    assert message.startswith(f"--data {path}: "), message
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize("key", ["X", "y", "feature_names"])
def test_npz_object_arrays_are_never_unpickled(tmp_path, key, monkeypatch):
    arrays = {"X": np.ones((2, 2)), "y": np.arange(2), "feature_names": np.array(["a", "b"])}
    arrays[key] = np.array([{"a": 1}, None], dtype=object) if key != "X" else \
        np.array([[object(), 1], [2, 3]], dtype=object)
    path = tmp_path / "pickle.npz"
    np.savez(path, **arrays)

    def refuse(*args, **kwargs):
        raise AssertionError("pickle.load called on a data file")

    monkeypatch.setattr("pickle.load", refuse)
    monkeypatch.setattr("pickle.loads", refuse)
    with pytest.raises(ValueError) as error:
        read_data(path)
    message = str(error.value)
    assert message.startswith(f"--data {path}: "), message
    assert "allow_pickle=False" in message and "store numbers and strings only" in message


@pytest.mark.parametrize(
    "content",
    [b"", b"X,y\n1,2\n", b"\x93NUMPY not really", b"\x80\x04\x95 a pickle", b"PK\x03\x04broken"],
)
def test_npz_that_is_not_a_zip_archive(tmp_path, content):
    path = tmp_path / "broken.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError) as error:
        read_data(path)
    message = str(error.value)
    assert message.startswith(f"--data {path}: not a readable .npz file"), message


def test_an_npy_array_named_npz_is_refused(tmp_path):
    path = tmp_path / "array.npz"
    with open(path, "wb") as file:
        np.save(file, np.ones((3, 2)))
    with pytest.raises(ValueError, match=rf"^--data {path}: not a readable \.npz file"):
        read_data(path)


def test_paths_may_be_pathlike_or_str(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["a", "y"], [[1, 0], [2, 1]])
    assert read_data(os.fspath(path)).X.tolist() == read_data(tmp_path / "p.csv").X.tolist()


def test_a_row_of_empty_fields_is_a_sample_with_missing_values_not_a_blank_line(tmp_path):
    path = write_csv(tmp_path / "gaps.csv", ["a", "b", "y"], [[1, 2, 0], ["", "", ""], [3, 4, 1]])
    with pytest.raises(ValueError, match=r"line 3, column 'a': is empty"):
        read_data(path)


def test_a_file_to_predict_on_may_leave_its_target_column_blank(tmp_path):
    path = write_csv(tmp_path / "new.csv", ["a", "b", "y"], [[1, 2, ""], [3, 4, ""]])
    file = read_data(path, features=["a", "b"], require_target=False, default_target="y")
    assert file.y is None and file.X.tolist() == [[1, 2], [3, 4]]
    with pytest.raises(ValueError, match="empty"):
        read_data(path)  # to learn from, the targets must be there
    with pytest.raises(ValueError, match="no target to learn from"):
        file.dataset("regression")


# -- CSV: issue 25's kinds (delimiters, headers, classes, memory) ------------------------------

@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_the_delimiter_is_read_from_the_header(tmp_path, delimiter):
    rows = ["a,b,y", "1.5,2,cat", "3,4.5,dog"]
    path = write_text(tmp_path / "d.csv", "\n".join(r.replace(",", delimiter) for r in rows))
    file = read_data(path)
    assert file.feature_names == ("a", "b") and file.y.tolist() == ["cat", "dog"]
    assert file.X.tolist() == [[1.5, 2.0], [3.0, 4.5]]


def test_a_quoted_delimiter_does_not_count(tmp_path):
    path = write_text(tmp_path / "q.csv", '"a;1",b,y\n1,2,cat\n3,4,dog\n')
    assert read_data(path).feature_names == ("a;1", "b")


def test_a_headerless_file_reads_with_header_none_or_names(tmp_path):
    path = write_text(tmp_path / "iris.csv", "5.1,3.5,setosa\n4.9,3.0,versicolor\n")
    none = read_data(path, header="none")
    assert none.feature_names == ("x0", "x1") and none.target == "x2"
    assert none.X.shape == (2, 2) and none.y.tolist() == ["setosa", "versicolor"]
    named = read_data(path, header="length,width,species")
    assert named.feature_names == ("length", "width") and named.X.shape == (2, 2)
    assert read_data(path, header=["l", "w", "s"]).target == "s"
    first = read_data(path, header="first")  # the user says the first row is names
    assert first.feature_names == ("5.1", "3.5") and first.X.shape == (1, 2)


def test_names_over_numbers_are_a_header(tmp_path):
    """A header of names, a header of year columns over text: no false alarm."""
    assert read_data(write_text(tmp_path / "a.csv", "a,b,y\n1,2,3\n")).X.shape == (1, 2)
    years = write_text(tmp_path / "b.csv", "country,2019,y\nfr,x1,1\nde,x2,2\n")
    with pytest.raises(ValueError, match="'x1' is not a number"):  # read as a header
        read_data(years, features=["2019"], target="y")


def test_whole_numbers_as_many_classes_as_samples_ask_for_regression(tmp_path):
    rows = [[i, 1000 + 37 * i] for i in range(40)]
    path = write_csv(tmp_path / "prices.csv", ["size", "price"], rows)
    file = read_data(path)
    with pytest.raises(ValueError, match=r"'price' has 40 classes for 40 samples \(whole "
                                         r"numbers read as class labels\); for a quantity use "
                                         r"--task regression"):
        file.dataset()
    assert file.dataset("regression").task == "regression"
    assert file.dataset("classification").classes.size == 40  # asked for: allowed


def test_an_ignored_wide_column_costs_no_memory(tmp_path):
    """One 20 000-character note in a column the model does not read: memory bounded by the
    numbers (issue 25: 18.6 GiB asked for before)."""
    import tracemalloc

    lines = ["a,b,note,y"] + [f"{i},{i + 1},{'n' * (20_000 if i == 5 else 3)},{i % 2}"
                              for i in range(3000)]
    path = write_text(tmp_path / "notes.csv", "\n".join(lines))
    tracemalloc.start()
    file = read_data(path, features=["a", "b"], target="y")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert file.X.shape == (3000, 2)
    assert peak < 20 * 2**20, peak


def test_an_npz_whose_header_asks_for_more_than_it_holds_is_refused(tmp_path):
    """A crafted .npz: X's .npy header announces 10⁹ numbers over 80 bytes of data; refused
    before anything is allocated (np.load would allocate 8 GB first)."""
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                   "shape": (10**9,)})
    path = tmp_path / "crafted.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("X.npy", header.getvalue() + bytes(80))
        archive.writestr("y.npy", b"")
    with pytest.raises(ValueError, match=r"array 'X' declares shape \(1000000000,\) of dtype "
                                         r"<f8 \(8000000000 bytes\)"):
        read_data(path)


def test_a_leading_blank_line_does_not_hide_the_delimiter(tmp_path):
    path = write_text(tmp_path / "b.csv", "\n\na;b;y\n1;2;p\n3;4;q\n")
    assert read_data(path).feature_names == ("a", "b")


def test_many_text_labels_are_not_sent_to_regression(tmp_path):
    """Names are classes whatever their count (only whole numbers ask for regression)."""
    rows = [[i, f"name{i}"] for i in range(30)]
    path = write_csv(tmp_path / "names.csv", ["x", "who"], rows)
    assert read_data(path).dataset().classes.size == 30
