"""``notebooks/quickstart.ipynb``: stored without outputs, and it runs from top to bottom as a researcher would run it."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "quickstart.ipynb"


def test_the_notebook_is_stored_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"cell {index} holds outputs: clear them"
            )


@pytest.mark.slow  # trains a small model
def test_the_notebook_runs_from_top_to_bottom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its last step, ``--preset best`` on real audio, is skipped (QUICKSTART_REAL=0): with it this test
    took 209 s, without it 48 s (2026-12-07), and tests/training/test_whisper_presets.py trains that preset."""
    from nbclient import NotebookClient

    monkeypatch.setenv("QUICKSTART_DIR", str(tmp_path / "notebook"))
    monkeypatch.setenv("QUICKSTART_REAL", "0")
    monkeypatch.setenv("KERAS_BACKEND", os.environ.get("KERAS_BACKEND", "tensorflow"))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    outputs = "\n".join(
        output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "same predictions: True" in outputs
    images = [
        o
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/png" in o.get("data", {})
    ]
    assert len(images) == 2, "the curves and the confusion matrix"
    assert (tmp_path / "notebook" / "models" / "notebook_audio.h5").is_file()
    assert not (tmp_path / "notebook" / "real_models").exists()
