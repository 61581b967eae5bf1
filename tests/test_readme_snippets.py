"""The README's Python snippets, run exactly as they stand there, and the seed's interface around them.

Each block that follows a ``<!-- tested: NAME -->`` line in README.md runs in a fresh
Python process whose working folder holds what the README assumes: data organized in
the default ``data/organized`` (a small synthetic demo set with actors 21-24) and a model
trained by ``train_models.py`` in ``models/``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import organize_data
from ravdess_emotion.corpus.demo import write_demo_dataset
from ravdess_emotion.features.caches import CacheError
from ravdess_emotion.features.loader import RAVDESSDataLoader

pytestmark = pytest.mark.slow  # every test here trains models or runs the scripts end to end

ROOT = Path(__file__).resolve().parents[1]
ACTORS = [1, 2, 3, 21, 22, 23, 24]


def readme_snippets() -> dict[str, str]:
    """``{name: code}`` of every block of README.md and docs/ marked ``<!-- tested: name -->``."""
    text = "\n".join(
        page.read_text() for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    )
    found = re.findall(r"<!-- tested: (.+?) -->\n```python\n(.*?)```", text, flags=re.DOTALL)
    return dict(found)


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a user's shell has it
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder laid out as after `organize_data.py` and `train_models.py --models audio-speech`."""
    root = tmp_path_factory.mktemp("readme")
    # Small source videos: the snippet reads its frames at 224 x 224 whatever their size.
    write_demo_dataset(
        root / "source",
        actors=ACTORS,
        channels=("speech",),
        statements=(1,),
        video_size=(64, 36),
        progress=False,
    )
    organize_data.organize(root / "source", root / "data" / "organized", progress=False)
    trained = subprocess.run(
        [
            sys.executable,
            str(ROOT / "train_models.py"),
            "--models",
            "audio-speech",
            "--epochs",
            "1",
            "--verbose",
            "0",
        ],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert trained.returncode == 0, trained.stderr
    return root


def test_the_readme_marks_its_snippets() -> None:
    assert set(readme_snippets()) == {"the seed's interface", "splitting by actor", "training from python"}


def test_the_seeds_interface_works_as_written(workdir: Path) -> None:
    code = readme_snippets()["the seed's interface"]
    check = (
        "\nassert X.shape[1:] == (13, 216) and len(X) == len(y_loaded) == 56"
        "\nassert (X_loaded == X).all() and V.shape[1:] == (15, 224, 224, 3)"
        "\nassert predictions.shape == (8, 8)"
    )
    result = _python(code + check, workdir)
    assert result.returncode == 0, result.stderr
    assert zipfile.is_zipfile(workdir / "features_audio.pkl")  # an .npz inside, never a pickle
    # The snippet imports TensorFlow itself, so TensorFlow's start-up lines are its own; Keras adds nothing.
    assert "Skipping variable loading for optimizer" not in result.stderr, result.stderr


def test_splitting_by_actor_works_as_written(workdir: Path) -> None:
    result = _python(readme_snippets()["splitting by actor"], workdir)
    assert result.returncode == 0, result.stderr
    printed = result.stdout.strip().splitlines()[-1]
    assert printed.endswith("test [21, 22, 23, 24]")
    train, val = re.match(r"actors: train (\[.*?\]) validation (\[.*?\])", printed).groups()
    assert not set(eval(train)) & set(eval(val)) and set(eval(train)) | set(eval(val)) == {1, 2, 3}


def test_loading_a_keras_file_prints_nothing(workdir: Path) -> None:
    code = (
        "import ravdess_emotion.core.backend\n"
        "import keras\n"
        "from emotion_models import EmotionModel\n"
        "keras.models.load_model('models/audio_emotion_speech.keras')\n"
        "EmotionModel.load('models/audio_emotion_speech.keras')\n"
        "print('loaded')\n"
    )
    result = _python(code, workdir)
    assert result.returncode == 0 and result.stdout.strip() == "loaded", result.stderr
    assert result.stderr == ""  # no optimizer warning, and no TensorFlow start-up noise


# --------------------------------------------------------------------------- around the snippets


def test_features_saved_as_pkl_are_never_a_pickle(tmp_path: Path) -> None:
    loader = RAVDESSDataLoader(tmp_path)
    X, y = np.arange(24, dtype=np.float32).reshape(4, 2, 3), np.array([0, 1, 2, 3])
    path = loader.save_features(X, y, tmp_path / "features_audio.pkl")
    assert path == tmp_path / "features_audio.pkl" and zipfile.is_zipfile(path)
    X_loaded, y_loaded = loader.load_features(path)
    assert (X_loaded == X).all() and (y_loaded == y).all()
    # A real pickle under that name is refused, never unpickled.
    np.save(tmp_path / "evil.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(tmp_path / "evil.pkl", "w") as archive:
        archive.write(tmp_path / "evil.npy", "X0.npy")
        archive.write(tmp_path / "evil.npy", "y.npy")
    with pytest.raises(CacheError, match="pickled objects, refused"):
        loader.load_features(tmp_path / "evil.pkl")


def test_the_seeds_setting_names_are_accepted_and_unknown_ones_refused(tmp_path: Path) -> None:
    loader = RAVDESSDataLoader(tmp_path, n_frames=15, img_size=(112, 112))
    assert loader.settings.video_frames == 15 and loader.settings.video_size == (112, 112)
    with pytest.raises(TypeError, match=r"unknown settings \['n_mfccs'\].*n_mfcc"):
        RAVDESSDataLoader(tmp_path, n_mfccs=40)


def test_without_data_the_loader_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as raised:
        RAVDESSDataLoader().load_audio_dataset("speech")
    message = str(raised.value)
    assert "data/organized/manifest.csv does not exist" in message
    for advice in ("organize_data.py --download", "in data/", "organize_data.py --demo"):
        assert advice in message, message


def test_training_from_python_works_as_written(workdir: Path) -> None:
    result = _python(readme_snippets()["training from python"], workdir)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    protocol_line = next(line for line in lines if line.startswith("3-fold actor cross-validation"))
    metrics = eval(protocol_line.removeprefix("3-fold actor cross-validation "))
    assert set(metrics) == {"accuracy", "uar", "macro_f1"} and all(0 <= v <= 1 for v in metrics.values())
    assert lines[-4].split() == ["fold", "test_actors", "accuracy", "uar"]  # the three folds follow
    assert (workdir / "reports" / "audio_emotion_speech_functionals_cv_run.json").exists()
