"""Every scenario vector of tests/vectors (the files the Rust suite runs, read in place) through
the Python API."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vector_runner import VECTOR_DIR, discover, run_file

ALL_FILES = discover(VECTOR_DIR)
# Like the Rust suite: TENTHS_VECTOR=<text> runs only the vectors whose name contains the text.
FILES = [p for p in ALL_FILES if os.environ.get("TENTHS_VECTOR", "") in p.stem]


def test_the_vectors_are_there() -> None:
    assert VECTOR_DIR.is_dir(), VECTOR_DIR
    assert len(ALL_FILES) >= 40, f"only {len(ALL_FILES)} vectors in {VECTOR_DIR}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_vector(path: Path) -> None:
    run_file(path)


def test_the_runner_catches_a_wrong_expectation(tmp_path: Path) -> None:
    """A vector whose expectation is wrong must fail (the runner is not vacuous)."""
    import json

    from vector_runner import VectorFailure

    source = VECTOR_DIR / "bad-input-unknown-fields.json"
    vector = json.loads(source.read_text())
    for step in vector["steps"]:
        if step.get("expect", {}).get("field") == "summry":
            step["expect"]["field"] = "summary"
    broken = tmp_path / source.name
    broken.write_text(json.dumps(vector))
    with pytest.raises(VectorFailure, match="field: expected 'summary', got 'summry'"):
        run_file(broken)
