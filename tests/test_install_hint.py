"""The extras' install command follows how ffnn was installed: from an index, a source
checkout (editable or not), a wheel file, or a checkout's src/ on sys.path; and it names the
pip of this interpreter."""

from __future__ import annotations

import json
import os
import sys
from importlib import metadata

import pytest

from ffnn.core import validation
from ffnn.core.validation import install_command


class _Distribution:
    def __init__(self, direct_url):
        self.direct_url = direct_url

    def read_text(self, name):
        assert name == "direct_url.json"
        return None if self.direct_url is None else json.dumps(self.direct_url)


@pytest.fixture
def installed_as(monkeypatch, tmp_path):
    """Pretend ffnn was installed with this direct_url.json (None: from an index), with the
    pip on PATH this interpreter's."""
    monkeypatch.setattr("shutil.which", lambda name: os.path.join(
        os.path.dirname(sys.executable), name))
    monkeypatch.chdir(tmp_path)

    def install(direct_url):
        validation._installed_from.cache_clear()
        monkeypatch.setattr(metadata, "distribution", lambda name: _Distribution(direct_url))

    yield install
    validation._installed_from.cache_clear()


def test_from_an_index(installed_as):
    installed_as(None)
    assert install_command("fast") == "pip install 'ffnn[fast]'"


def test_from_a_source_checkout(installed_as, tmp_path):
    checkout = tmp_path / "ffnn checkout"
    checkout.mkdir()
    installed_as({"url": checkout.as_uri(), "dir_info": {"editable": True}})
    assert install_command("dask") == f"pip install -e '{checkout}[dask]'"
    os.chdir(checkout)  # from the checkout itself
    validation._installed_from.cache_clear()
    assert install_command("dask") == "pip install -e '.[dask]'"
    installed_as({"url": checkout.as_uri(), "dir_info": {}})  # pip install . (a copy)
    assert install_command("fast") == "pip install '.[fast]'"


def test_from_a_wheel_file_and_one_that_is_gone(installed_as, tmp_path):
    wheel = tmp_path / "ffnn-0.3.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    installed_as({"url": wheel.as_uri(), "archive_info": {}})
    assert install_command("pandas") == f"pip install '{wheel}[pandas]'"
    wheel.unlink()
    installed_as({"url": wheel.as_uri(), "archive_info": {}})
    assert install_command("pandas") == "pip install 'ffnn[pandas]'"


def test_a_checkout_on_sys_path(installed_as, monkeypatch, tmp_path):
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    installed_as(None)
    monkeypatch.setattr(metadata, "distribution", not_installed)
    root = os.path.dirname(os.path.dirname(validation._PACKAGE.rstrip(os.sep)))
    expected = (f"pip install -e '{root}[fast]'"
                if os.path.isfile(os.path.join(root, "pyproject.toml"))
                else "pip install 'ffnn[fast]'")  # installed: site-packages has no pyproject
    assert install_command("fast") == expected


def test_another_pip_on_path_gives_this_interpreters(installed_as, monkeypatch):
    installed_as(None)
    monkeypatch.setattr("shutil.which", lambda name: "/somewhere/else/bin/pip")
    assert install_command("fast") == f"{sys.executable} -m pip install 'ffnn[fast]'"
    validation._installed_from.cache_clear()
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert install_command("fast") == f"{sys.executable} -m pip install 'ffnn[fast]'"


def test_the_folder_is_read_when_the_command_is_said(installed_as, tmp_path, monkeypatch):
    """The checkout is '.' only from inside it, whatever folder asked first; a removed
    working folder is not an error (every fit asks for JAX's reason)."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    installed_as({"url": checkout.as_uri(), "dir_info": {"editable": True}})
    os.chdir(checkout)
    assert install_command("fast") == "pip install -e '.[fast]'"
    os.chdir(tmp_path)
    assert install_command("fast") == f"pip install -e '{checkout}[fast]'"
    gone = tmp_path / "gone"
    gone.mkdir()
    os.chdir(gone)
    gone.rmdir()
    assert install_command("fast") == f"pip install -e '{checkout}[fast]'"
    from ffnn.backends.jax_engine import no_jax

    assert no_jax().endswith(f"pip install -e '{checkout}[fast]')")
