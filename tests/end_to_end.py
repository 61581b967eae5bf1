"""The demo pipeline the end-to-end modules share: synthetic demo data organized and its features cached, once.

``tests/test_end_to_end.py`` (the audio and action-unit models) and
``tests/test_end_to_end_video.py`` (the video and audio+video models) train from the same
organized demo; split in two, the workers of ``./run_tests.sh`` train both halves at once.
The checks each half makes of its models are here, once.

The demo's emotion cues are learnable by design, so models tested on demo actors they
never saw must beat chance clearly; a pipeline that cannot is broken. These numbers
say nothing about accuracy on RAVDESS.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from filelock import FileLock
from PIL import Image

import data_loader
import organize_data
import train_models
from ravdess_emotion.core.ravdess import SYNTHETIC_NAME
from ravdess_emotion.corpus.demo import write_demo_dataset
from ravdess_emotion.training.config import RunConfig

ACTORS = range(1, 13)
TEST_ACTORS = "11-12"
# Demo takes last at most 3.5 s, 151 MFCC frames (22050 Hz, hop 512): at the default 216 every
# clip ends in 65 or more frames of padding, which the LSTMs would read step by step. Faces of
# 16 x 16 pixels still show the demo's cues (video-speech 0.81, video-song 0.75 with this seed)
# at a quarter of the 3D convolutions' work at 32 x 32.
SIZES = ["--video-frames", "8", "--video-size", "16", "--max-frames", "152"]
# Twice chance (1/8 for speech, 1/6 for song): room for the nondeterminism of a 15-epoch run on
# 8 training actors, while a pipeline that learns nothing fails. Measured on the CPU in a run of
# 02f7b8c: 0.53 (audio-speech) to 0.91 (fusion-au-speech); video 0.81 speech and 0.75 song.
MINIMUM_ACCURACY = {
    "audio-speech": 2 / 8,
    "audio-song": 2 / 6,
    "video-speech": 2 / 8,
    "video-song": 2 / 6,
    "fusion-speech": 2 / 8,
    "au-speech": 2 / 8,
    "au-song": 2 / 6,
    "fusion-au-speech": 2 / 8,
}


def organized_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Demo actors 1-12 (both channels, video and tracking) organized, every feature cached; its folder.

    Under pytest-xdist the workers share one copy (the first to ask writes it, the others
    wait on a lock); in one process it lives in a fresh temporary folder.
    """
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = tmp_path_factory.getbasetemp().parent / "end_to_end_demo"  # this run's, shared by its workers
        root.mkdir(exist_ok=True)
    else:
        root = tmp_path_factory.mktemp("end_to_end_demo")
    organized = root / "organized"
    with FileLock(root / "writing.lock"):
        if not (root / "complete").exists():
            write_demo_dataset(root / "source", actors=ACTORS, video_size=(64, 36), progress=False)
            assert organize_data.main(["--source", str(root / "source"), "--dest", str(organized)]) == 0
            assert data_loader.main(["--data-dir", str(organized), *SIZES]) == 0
            (root / "complete").touch()
    return organized


def train_argv(organized: Path, out: Path, models: str) -> list[str]:
    """``train_models.py`` arguments: ``models`` on the demo for 15 epochs, test actors 11-12, into ``out``."""
    argv = ["--data-dir", str(organized), *SIZES, "--epochs", "15", "--patience", "6"]
    argv += ["--test-actors", TEST_ACTORS, "--verbose", "0", "--models", models]
    return argv + [
        arg for name in ("models", "plots", "reports") for arg in (f"--{name}-dir", str(out / name))
    ]


def train_on_demo(
    tmp_path_factory: pytest.TempPathFactory, name: str, *model_lists: str
) -> dict[str, object]:
    """Train each of ``model_lists`` (``"video-speech,video-song"``...) with one ``train_models.py`` run.

    Returns ``organized`` (the shared demo), ``out`` (a fresh folder ``name``), ``runs``
    (each run's arguments), and ``models`` and ``reports`` (its folders under ``out``).
    """
    organized = organized_demo(tmp_path_factory)
    out = tmp_path_factory.mktemp(name)
    runs = [train_argv(organized, out, models) for models in model_lists]
    for argv in runs:
        assert train_models.main(argv) == 0
    return {
        "organized": organized,
        "out": out,
        "runs": runs,
        "models": out / "models",
        "reports": out / "reports",
    }


def check_saved(trained: dict[str, object]) -> None:
    """Each model of each run of :func:`train_on_demo` saved, plotted and reported as trained, actors apart."""
    out = trained["out"]
    for argv in trained["runs"]:
        config = train_models.parse_args(argv)
        for name in config.models:
            stem = train_models.MODEL_SPECS[name].file_stem
            for suffix in (".h5", ".keras", ".json"):
                assert (out / "models" / f"{stem}{suffix}").is_file()
            for plot in ("history", "confusion"):
                assert (out / "plots" / f"{stem}_{plot}.png").stat().st_size > 10_000
            metadata = json.loads((out / "models" / f"{stem}.json").read_text())
            # The model carries the run's whole configuration: the command line, as one RunConfig.
            assert RunConfig.from_dict(metadata["run"]) == config
            run = json.loads((out / "reports" / f"{stem}_run.json").read_text())
            assert run["test_actors"] == [11, 12]
            assert not set(run["train_actors"]) & set(run["val_actors"])
            assert not set(run["train_actors"] + run["val_actors"]) & {11, 12}
            assert run["versions"]["keras"]
    backup = out / "models" / ".backup"
    assert not backup.exists() or not any(backup.iterdir())


def check_above_chance(out: Path, models: list[str]) -> None:
    """Each of ``models`` beat twice chance on the held-out demo actors (``summary.csv``)."""
    summary = pd.read_csv(out / "reports" / "summary.csv").set_index("model")
    assert sorted(summary.index) == sorted(models)
    assert (summary["evaluated_on"] == "test").all()
    for model in models:
        assert summary.loc[model, "accuracy"] >= MINIMUM_ACCURACY[model], summary.to_string()


def check_labelled_synthetic(out: Path, models: list[str]) -> None:
    """Each model's metadata and both its plots say it was trained on synthetic demo data."""
    for name in models:
        spec = train_models.MODEL_SPECS[name]
        metadata = json.loads((out / "models" / f"{spec.file_stem}.json").read_text())
        assert metadata["synthetic_data"] is True
        for plot in ("history", "confusion"):
            with Image.open(out / "plots" / f"{spec.file_stem}_{plot}.png") as image:
                title = image.info["Title"]
            # Says demo data, names the model file and preset (video: none, the same under every
            # preset), and what the plot shows.
            assert title.startswith(SYNTHETIC_NAME) and f"{spec.file_stem}.h5" in title
            assert ("preset cnn-lstm" in title) == (spec.kind not in ("video", "fusion")), title
            assert ("first fit" in title) == (plot == "history")
