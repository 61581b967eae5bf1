"""The plots and summaries a reader looks at: every emotion shown, axes that do not mislead, demo data named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from ravdess_emotion.core.ravdess import EMOTIONS, SYNTHETIC_NAME, SYNTHETIC_NOTICE
from ravdess_emotion.training.recipes import MODEL_SPECS, PRESETS, apply_preset
from ravdess_emotion.training.reports import (
    confusion_figure,
    confusion_labels,
    history_figure,
    plot_title,
    save_figure,
    write_summary,
)


def test_a_song_prediction_outside_the_six_song_emotions_is_shown() -> None:
    y_true = np.repeat(np.arange(6), 4)
    y_pred = y_true.copy()
    y_pred[0] = EMOTIONS.index("disgust")  # song has no disgust, but the network can still say it
    assert confusion_labels("song", y_pred) == [0, 1, 2, 3, 4, 5, 6]
    assert confusion_labels("song", y_true) == [0, 1, 2, 3, 4, 5]
    assert confusion_labels("speech", y_true) == list(range(8))  # absent classes still get a row


def test_confusion_figure_names_rows_with_their_counts_and_says_it_is_normalized() -> None:
    y_true = np.array([0, 0, 0, 1, 2, 2])
    y_pred = np.array([0, 1, 0, 1, 2, 7])
    figure = confusion_figure(y_true, y_pred, confusion_labels("speech", y_pred), "a title")
    ax = figure.axes[0]
    rows = [label.get_text() for label in ax.get_yticklabels()]
    assert rows == [f"{e} (n={n})" for e, n in zip(EMOTIONS, [3, 1, 2, 0, 0, 0, 0, 0], strict=True)]
    assert [label.get_text() for label in ax.get_xticklabels()] == list(EMOTIONS)
    assert "rows normalized" in ax.get_title() and ax.get_title().startswith("a title")
    values = ax.images[0].get_array()
    assert np.allclose(values[0, :2], [2 / 3, 1 / 3]) and values[3].sum() == 0  # no sad clip: a row of 0


def test_history_accuracy_axis_runs_from_0_to_1(tmp_path: Path) -> None:
    history = {
        "accuracy": [0.4, 0.5],
        "val_accuracy": [0.41, 0.43],
        "loss": [1.5, 1.2],
        "val_loss": [1.6, 1.5],
    }
    figure = history_figure(history, "first fit")
    accuracy, loss = figure.axes
    assert accuracy.get_ylim() == (0.0, 1.0) and loss.get_ylim() != (0.0, 1.0)
    assert figure._suptitle.get_text() == "first fit"
    path = save_figure(figure, "first fit", tmp_path / "history.png")
    with Image.open(path) as image:
        assert image.info["Title"] == "first fit"


def test_titles_name_the_model_file_the_preset_and_demo_data() -> None:
    spec = apply_preset(MODEL_SPECS["audio-speech"], PRESETS["seed"])
    title = plot_title(spec, "audio_emotion_speech_seed.h5", "test actors 21-24", synthetic=False)
    assert title == "audio-speech, preset seed (audio_emotion_speech_seed.h5): test actors 21-24"
    # A video model is the same under every preset: its title names none.
    video = apply_preset(MODEL_SPECS["video-speech"], PRESETS["functionals"])
    assert plot_title(video, "v.h5", "test", synthetic=False) == "video-speech (v.h5): test"
    assert plot_title(spec, "x.h5", "refit", synthetic=True).startswith(f"{SYNTHETIC_NAME}: audio-speech")


def test_summary_marks_demo_rows_and_warns(tmp_path: Path) -> None:
    row = {"model": "audio-speech", "protocol": "holdout", "accuracy": "0.900"}
    write_summary([{**row, "data": "real"}], tmp_path)
    assert (tmp_path / "summary.md").read_text().startswith("| model")
    write_summary([{**row, "model": "audio-song", "data": "SYNTHETIC demo"}], tmp_path)
    summary = pd.read_csv(tmp_path / "summary.csv").set_index("model")
    assert summary["data"].to_dict() == {"audio-song": "SYNTHETIC demo", "audio-speech": "real"}
    assert (tmp_path / "summary.md").read_text().startswith(f"**{SYNTHETIC_NOTICE}.**")
