"""Every fenced Python block of README.md and docs/*.md runs as pasted: alone, in a fresh
process, in an empty folder (the files it writes go there), without a warning.
(tests/test_wheel.py runs the README's blocks, shell ones too, on the core install.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def blocks():
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for number, match in enumerate(BLOCK.finditer(text), 1):
            line = text[:match.start()].count("\n") + 1
            yield pytest.param(match.group(1), id=f"{document.name}:{line}#{number}")


def test_the_readme_has_python_blocks():
    assert len(list(blocks())) >= 3


@pytest.mark.parametrize("code", list(blocks()))
def test_block_runs_as_pasted(code, tmp_path):
    script = tmp_path / "block.py"
    script.write_text(code, encoding="utf-8")
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600, env={"MPLBACKEND": "Agg", "PATH": "",
                                                      "HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr[-3000:]
    # quiet on the full install (the test extra): a warning only where the user can act on it
    assert "warn" not in run.stderr.lower(), run.stderr[-3000:]
