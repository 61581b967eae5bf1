"""A new feature view is one module: the toy ``rms`` view (``tests/toy_views.py``) trains and predicts like any other.

Registered by its module alone, it is cached by the loader, trained through the training
API and predicted by ``predict.py``, none of which was edited for it.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import predict
from ravdess_emotion.features.loader import RAVDESSDataLoader
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.views import registered_views
from ravdess_emotion.models import AudioEmotionLogistic, EmotionModel
from ravdess_emotion.training.config import RunConfig
from ravdess_emotion.training.recipes import ModelSpec
from ravdess_emotion.training.runs import train_holdout
from tests.toy_views import RMS


@pytest.mark.slow
def test_a_view_registered_in_one_module_trains_and_predicts(
    demo_audio: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert registered_views()["rms"] is RMS
    settings = FeatureSettings(sample_rate=16000)
    loader = RAVDESSDataLoader(
        demo_audio, settings, cache_dir=tmp_path / "features", n_jobs=2, progress=False
    )
    X, y, info = loader.load_views([RMS], "speech")
    assert X.shape == (len(info), 1) and len(y) == len(info) == len(loader.rows_of([RMS], "speech"))
    assert [
        path.name for path in (tmp_path / "features").glob("rms_speech_*.npz")
    ]  # cached under its own name

    spec = ModelSpec("rms-speech", "rms", "speech", AudioEmotionLogistic, batch_size=16, epochs=3)
    assert spec.views == ("rms",)
    dirs = {f"{kind}_dir": tmp_path / kind for kind in ("models", "plots", "reports")}
    config = RunConfig(data_dir=demo_audio, test_actors=(6,), val_actors=(5,), verbose=0, **dirs)
    result = train_holdout(spec, loader, config)
    model_path = tmp_path / "models" / "rms_emotion_speech.h5"
    assert model_path in result.saved and result.metrics["accuracy"] >= 0

    files = sorted((demo_audio / "audio" / "speech").rglob("*-06.wav"))[:5]
    capsys.readouterr()
    assert predict.main([str(model_path), *map(str, files), "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert table["path"].tolist() == [str(f) for f in files]
    model = EmotionModel.load(model_path)
    by_hand = model.predict(np.stack([RMS.extract(f, settings) for f in files]))
    np.testing.assert_allclose(table[model.metadata["emotions"]].to_numpy(), by_hand, atol=1e-4)
