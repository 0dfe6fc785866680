"""The documentation (docs/sphinx) builds with every warning an error: the API reference from
the docstrings, the README's tour with its figures, the architecture notes and the studies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
SOURCE = ROOT / "docs" / "sphinx"


def test_the_docs_build_without_warnings(tmp_path):
    out = tmp_path / "html"
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-j", "1", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(SOURCE), str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, (run.stdout + run.stderr)[-5000:]

    def page(name):
        return (out / name).read_text(encoding="utf-8")

    assert 'id="ffnn.sklearn.estimators.FFNNClassifier"' in page("api/estimators.html")
    assert 'id="ffnn.training.trainer.train"' in page("api/training.html")
    assert 'id="ffnn.core.network.Network"' in page("api/network.html")
    index = page("index.html")  # the README, with links to the pages that hold the reference
    assert "First steps" in index
    for name in ("guide", "sklearn", "sweeps", "cli", "speed", "coming-from-sklearn",
                 "coming-from-keras", "coming-from-pytorch", "contributing", "architecture"):
        assert f'href="{name}.html"' in index, name
    assert 'src="_images/sweep-heatmap.png"' in page("sweeps.html")
    assert (out / "_images" / "sweep-heatmap.png").is_file()
    studies = page("studies/index.html")
    for study in ("week43_backprop", "regression_study", "classification_study",
                  "project2_2025"):
        assert f'href="{study}.html"' in studies
        assert "<img" in page(f"studies/{study}.html")  # the stored outputs, figures included
    assert "Verification" in page("architecture.html")
    assert "furo" in index  # the theme whose code blocks scroll instead of being cut off


def test_every_page_of_docs_is_on_the_site():
    """Each Markdown page of docs/ has its page on the site (and so is built with -W)."""
    pages = {p.stem for p in (ROOT / "docs").glob("*.md")} - {"studies"}
    assert pages <= {p.stem for p in SOURCE.glob("*.md")}
