"""Sphinx configuration of ffnn's documentation: the README's tour, the architecture notes,
the worked studies (the executed notebooks of ``examples/``, rendered as stored, never run)
and an API reference from the numpydoc docstrings.

Build (from the repository root, with the ``docs`` extra installed)::

    python -m sphinx -W --keep-going -b html docs/sphinx docs/_build/html

Nothing is fetched from the network while building (no intersphinx).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))  # the checkout's ffnn, installed or not

import ffnn  # noqa: E402

project = "ffnn"
author = "The ffnn developers"
copyright = "the ffnn developers, MIT License"
release = version = ffnn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # numpydoc-style sections
    "sphinx.ext.mathjax",
    "myst_nb",  # Markdown pages (MyST) and the notebooks of examples/
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build"]
root_doc = "index"

# -- MyST and notebooks ---------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath"]
nb_execution_mode = "off"  # the notebooks are stored executed; tests/test_examples.py runs them
nb_merge_streams = True

# -- API reference --------------------------------------------------------------------------
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the numpydoc sections carry the types
autodoc_preserve_defaults = True
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True  # "Attributes" as fields: no second entry beside a property's own

# -- HTML -----------------------------------------------------------------------------------
html_theme = "furo"  # long code lines scroll inside their block instead of being cut off
html_title = f"ffnn {release}"

# -- Hooks ----------------------------------------------------------------------------------


def _skip(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated metadata-routing setters (``set_fit_request``, ...):
    their docstrings point into scikit-learn's own documentation."""
    return True if re.fullmatch(r"set_\w+_request", name) else None


# README.md and docs/*.md link to files by their place in the repository; here those are
# pages of this site. The links become {doc} roles: the study pages are symbolic links to
# examples/*.ipynb, which a path link would resolve to their target outside this folder.
HERE = Path(__file__).resolve().parent
FIXED = {"examples/": "/studies/index", "benchmarks/README.md": "/benchmarks",
         "docs/studies.md": "/studies/index", "studies.md": "/studies/index"}
STUDY = re.compile(r"(?:\.\./)?examples/(\w+)\.ipynb")
PAGE = re.compile(r"(?:docs/)?([\w-]+)\.md")
LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)\)")  # [text](target), not images


def page_of(target: str) -> str | None:
    """The site's page for a link of README.md or docs/*.md, or None (left as written)."""
    bare = target.removeprefix("../")
    if bare in FIXED:
        return FIXED[bare]
    if match := STUDY.fullmatch(target):
        return f"/studies/{match.group(1)}"
    if (match := PAGE.fullmatch(target)) and (HERE / f"{match.group(1)}.md").is_file():
        return f"/{match.group(1)}"
    return None


def _relink(app, relative_path, parent_docname, content):
    """Point an included file's links at this site's pages (the ``include-read`` event)."""

    def relink(match):
        text, target = match.groups()
        page = page_of(target)
        if page is None:
            return match.group(0)
        return f"{{doc}}`{text.replace('`', '')} <{page}>`"

    content[0] = LINK.sub(relink, content[0])


def setup(app):
    app.connect("autodoc-skip-member", _skip)
    app.connect("include-read", _relink)

# Types such as "array-like, shape (n_samples, n_features)" become cross-references word by
# word; a shape's name that two classes have as an attribute (Dataset.n_features,
# Model.n_features) would warn "more than one target". Only that category is silenced
# (ref.python); a missing target still fails the build.
suppress_warnings = ["ref.python"]
