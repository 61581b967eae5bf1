"""The ensemble of feature views (``--preset ensemble``): pooling, one saved file, training and prediction.

The end-to-end tests train it through ``train_models.py`` on the demo voices and predict
through ``predict.py`` as a user would; the probabilities are checked against each member
predicted by hand with its own speaker prior and pooled, so that a member fed the other's
features or standardised by the other's statistics fails. Whether pooling helps on real
voices is ``benchmarks/ensembles.py``'s business.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import predict
import train_models
from ravdess_emotion.core.ravdess import parse_name
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.speakers import SpeakerPrior
from ravdess_emotion.features.views import extract_audio_features
from ravdess_emotion.models import (
    AudioViewsEnsemble,
    EmotionModel,
    LogLinearPooling,
    late_fusion_log_probabilities,
)
from ravdess_emotion.training import ensembles
from ravdess_emotion.training.config import RunConfig
from tests.model_inputs import ENSEMBLE_INPUTS, small_inputs, view_ensemble


@settings(max_examples=25, deadline=None)
@given(
    weight=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_log_linear_pooling_is_the_late_fusion_of_two(weight: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    first, second = (rng.dirichlet(np.ones(8), size=5).astype(np.float32) for _ in range(2))
    pooled = np.asarray(LogLinearPooling([weight, 1 - weight])([first, second]))
    expected = np.exp(late_fusion_log_probabilities(np.log(first), np.log(second), weight))
    np.testing.assert_allclose(pooled, expected, atol=1e-5)


@pytest.mark.parametrize("weights", [(0.5,), (0.7, 0.7), (-0.1, 1.1)])
def test_pooling_weights_must_be_a_mixture(weights: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match="non-negative numbers summing to 1"):
        LogLinearPooling(weights)


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_an_ensemble_predicts_its_members_pooled_and_saves_as_one_file(suffix: str, tmp_path: Path) -> None:
    inputs = small_inputs(16, audio_frames=40, video=(4, 16))
    ensemble = view_ensemble(inputs, np.arange(16) % 8, weight=0.7)
    X = [inputs[view] for view in ENSEMBLE_INPUTS]
    members = ensemble.members()
    by_hand = np.exp(
        late_fusion_log_probabilities(
            np.log(members["functionals"].predict(X[0])), np.log(members["mfcc"].predict(X[1])), 0.7
        )
    )
    np.testing.assert_allclose(ensemble.predict(X), by_hand, atol=1e-5)

    loaded = EmotionModel.load(ensemble.save(tmp_path / f"ensemble{suffix}"))
    assert isinstance(loaded, AudioViewsEnsemble) and loaded.weights == pytest.approx(
        {"functionals": 0.7, "mfcc": 0.3}
    )
    np.testing.assert_allclose(loaded.predict(X), ensemble.predict(X), atol=1e-6)
    again = loaded.members()
    assert again["functionals"].metadata["features"] == {"view": "functionals"}
    np.testing.assert_allclose(again["mfcc"].predict(X[1]), members["mfcc"].predict(X[1]), atol=1e-6)
    pooled_again = late_fusion_log_probabilities(
        np.log(again["functionals"].predict(X[0])), np.log(again["mfcc"].predict(X[1])), 0.7
    )
    np.testing.assert_allclose(np.exp(pooled_again), by_hand, atol=1e-5)


@pytest.mark.slow
def test_an_ensemble_trains_like_any_model_on_arrays_of_its_views() -> None:
    inputs = small_inputs(32, audio_frames=40, video=(4, 16))
    y = np.arange(32) % 8
    X = [inputs[view] for view in ENSEMBLE_INPUTS]
    ensemble = AudioViewsEnsemble(num_emotions=8)
    ensemble.train(
        [x[:24] for x in X], y[:24], [x[24:] for x in X], y[24:], epochs=1, batch_size=8, verbose=0
    )
    assert set(ensemble.weights) == set(ENSEMBLE_INPUTS)
    assert sum(ensemble.weights.values()) == pytest.approx(1.0)
    assert ensemble.predict(X).shape == (32, 8)
    with pytest.raises(ValueError, match="one array per member"):
        ensemble.train(X[0], y)


def test_the_ensemble_preset_takes_no_other_network() -> None:
    with pytest.raises(ValueError, match="--audio-model and --preset ensemble exclude each other"):
        RunConfig(preset="ensemble", audio_model="AudioEmotionLogistic")
    with pytest.raises(SystemExit) as stopped:
        train_models.main(["--preset", "ensemble", "--audio-model", "AudioEmotionLogistic"])
    assert stopped.value.code == 2


# --------------------------------------------------------------------------- trained on the demo voices


def ensemble_run(demo_audio: Path, channel: str, epochs: int, root: Path, *options: str) -> list[str]:
    """``train_models.py`` options of a quiet ``--preset ensemble`` run of one channel, writing under ``root``."""
    dirs = [arg for kind in ("models", "plots", "reports") for arg in (f"--{kind}-dir", str(root / kind))]
    models = ["--models", f"audio-{channel}", "--preset", "ensemble", "--epochs", str(epochs)]
    # 160 MFCC frames hold every demo file (at most 3.5 s) in one window, and without speed
    # copies each voice is extracted once: what the ensemble does with its members is the same.
    sizes = ["--max-frames", "160", "--speed-perturbation", "none"]
    return ["--data-dir", str(demo_audio), *models, *sizes, "--verbose", "0", *options, *dirs]


@pytest.fixture(scope="module")
def trained(demo_audio: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ensemble trained on actors 1-4, its weight chosen on actor 5, tested on actor 6 (2 epochs per member)."""
    root = tmp_path_factory.mktemp("ensemble")
    args = ensemble_run(demo_audio, "speech", 2, root, "--test-actors", "6", "--val-actors", "5")
    assert train_models.main(args) == 0
    return root


@pytest.fixture(scope="module")
def mixed(trained: Path) -> Path:
    """The trained ensemble with weights 0.4 / 0.6: both members count, so a member predicted wrongly shows.

    (Two epochs on the demo voices may well choose one member alone.)
    """
    path = trained / "models" / "audio_emotion_speech_ensemble.h5"
    model = EmotionModel.load(path)
    mixed = AudioViewsEnsemble.of_members(model.members(), {"functionals": 0.4, "mfcc": 0.6})
    kept = {
        k: v
        for k, v in model.metadata.items()
        if k not in ("members", "views", "view_weights", "model_files")
    }
    return mixed.save(trained / "models" / "mixed.h5", metadata=kept)


def speech(demo_audio: Path, actor: int, statement: int | None = None) -> list[Path]:
    files = sorted((demo_audio / "audio" / "speech").rglob(f"*-{actor:02d}.wav"))
    return [f for f in files if statement is None or parse_name(f).statement == statement]


def run_predict(capsys, *args: object) -> tuple[int, pd.DataFrame, str]:
    code = predict.main([*map(str, args), "--format", "json"])
    captured = capsys.readouterr()
    table = pd.DataFrame(json.loads(captured.out)) if code == 0 and captured.out.strip() else pd.DataFrame()
    return code, table, captured.err


def pooled_by_hand(model_path: Path, targets: list[Path], recordings: list[Path] | None) -> np.ndarray:
    """Each member on ``targets`` standardised by ``recordings`` (None: none) with its own prior, pooled by the weights."""
    ensemble = EmotionModel.load(model_path)
    logs = []
    for member in ensemble.members().values():
        settings = FeatureSettings.from_dict(member.metadata["features"])
        prior = SpeakerPrior.from_dict(member.metadata["speaker_prior"])
        targets_raw = np.concatenate([extract_audio_features(f, settings)[None] for f in targets])
        known = (
            np.concatenate([extract_audio_features(f, settings)[None] for f in recordings])
            if recordings
            else targets_raw[:0]
        )
        logs.append(np.log(np.clip(member.predict(prior.standardize(targets_raw, known)), 1e-12, 1)))
    weight = ensemble.weights["functionals"]
    return np.exp(late_fusion_log_probabilities(logs[0], logs[1], weight))


def probabilities(table: pd.DataFrame) -> np.ndarray:
    return table[["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]].to_numpy()


@pytest.mark.slow
def test_the_saved_ensemble_describes_both_members(trained: Path) -> None:
    metadata = json.loads((trained / "models" / "audio_emotion_speech_ensemble.json").read_text())
    assert metadata["model_class"] == "AudioViewsEnsemble" and metadata["views"] == ["functionals", "mfcc"]
    assert sum(metadata["view_weights"].values()) == pytest.approx(1.0)
    functionals, mfcc = (metadata["members"][view] for view in metadata["views"])
    assert (
        functionals["features"]["audio_features"] == "functionals" and functionals["preset"] == "functionals"
    )
    assert mfcc["features"]["audio_features"] == "mfcc" and mfcc["features"]["n_mfcc"] == 40
    assert mfcc["preset"] == "cnn-lstm"
    for member in (functionals, mfcc):
        # Refit on actors 1-5 after the weight was chosen on actor 5; the prior is of those actors.
        assert member["refit"] and member["train_actors"] == [1, 2, 3, 4] and member["val_actors"] == [5]
        assert member["emotions"][0] == "neutral" and "speaker_prior" in member
    assert (
        metadata["test_actors"] == [6]
        and metadata["member_fits"]["mfcc"]["model_class"] == mfcc["model_class"]
    )
    for name in (
        "audio_emotion_speech_ensemble",
        "audio_emotion_speech_ensemble_functionals",
        "audio_emotion_speech_ensemble_mfcc",
    ):
        assert (trained / "plots" / f"{name}_confusion.png").exists()
    assert (trained / "plots" / "audio_emotion_speech_ensemble_mfcc_refit_history.png").exists()


@pytest.mark.slow
def test_each_member_meets_the_speaker_its_own_way_and_the_ensemble_pools_them(
    mixed: Path, demo_audio: Path, tmp_path: Path, capsys
) -> None:
    model = mixed
    targets = speech(demo_audio, 6)
    code, batch, err = run_predict(capsys, model, *targets)
    assert code == 0 and batch["speaker_path"].eq("batch").all(), err
    np.testing.assert_allclose(probabilities(batch), pooled_by_hand(model, targets, targets), atol=1e-4)

    code, alone, _ = run_predict(capsys, model, targets[0], "--speaker-groups", "none")
    assert code == 0 and alone["speaker_path"].eq("independent").all()
    np.testing.assert_allclose(probabilities(alone), pooled_by_hand(model, targets[:1], None), atol=1e-4)

    enroll = tmp_path / "enroll"
    enroll.mkdir()
    recordings = speech(demo_audio, 6, statement=1)
    for f in recordings:
        shutil.copy(f, enroll)
    store = tmp_path / "store"
    code, _, err = run_predict(capsys, model, "--enroll", enroll, "--save-enrollment", store)
    assert code == 0 and err.count("enrolled actor-06: 8 recordings") == 2
    assert sorted(p.relative_to(store).as_posix() for p in store.rglob("*.npz")) == [
        "functionals/actor-06.npz",
        "mfcc/actor-06.npz",
    ]
    asked = speech(demo_audio, 6, statement=2)
    code, enrolled, _ = run_predict(capsys, model, *asked, "--enroll", store)
    assert code == 0 and enrolled["speaker_path"].eq("enrollment").all()
    np.testing.assert_allclose(probabilities(enrolled), pooled_by_hand(model, asked, recordings), atol=1e-4)

    shutil.rmtree(store / "mfcc")  # one view's enrollment alone cannot serve both members
    code, _, err = run_predict(capsys, model, *asked, "--enroll", store)
    assert code == 1 and "enrolled for the functionals member(s) only" in err


@pytest.mark.slow
def test_a_file_is_reported_once_when_no_member_can_read_it(
    trained: Path, demo_audio: Path, tmp_path: Path, capsys
) -> None:
    model = trained / "models" / "audio_emotion_speech_ensemble.h5"
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really")
    code, table, err = run_predict(capsys, model, *speech(demo_audio, 6)[:3], broken)
    assert code == 0 and len(table) == 3
    assert err.count(f"skipped: {broken}") == 1 and err.count("note: actor 06 has 3 files") == 1


@pytest.mark.slow
def test_metadata_without_its_members_is_refused(trained: Path, tmp_path: Path, capsys) -> None:
    for suffix in (".h5", ".json"):
        shutil.copy(trained / "models" / f"audio_emotion_speech_ensemble{suffix}", tmp_path / f"e{suffix}")
    metadata = json.loads((tmp_path / "e.json").read_text())
    del metadata["members"]["mfcc"]
    (tmp_path / "e.json").write_text(json.dumps(metadata))
    assert predict.main([str(tmp_path / "e.h5"), str(tmp_path)]) == 2
    assert "does not describe its members" in capsys.readouterr().err


@pytest.mark.slow
def test_the_weight_is_chosen_on_the_validation_actors_only(
    demo_audio: Path, tmp_path: Path, monkeypatch
) -> None:
    seen = []

    def spy(first, second, y, weights):
        seen.append((len(first), list(y)))
        return 0.25

    monkeypatch.setattr(ensembles, "late_fusion_weight", spy)
    # Twice as many test recordings as validation ones: a weight chosen on the wrong actors shows.
    args = ensemble_run(
        demo_audio, "speech", 1, tmp_path, "--test-actors", "5,6", "--val-actors", "4", "--no-refit"
    )
    assert train_models.main(args) == 0
    validation = speech(demo_audio, 4)
    assert [n for n, _ in seen] == [len(validation)]
    assert sorted(seen[0][1]) == sorted(parse_name(f).emotion - 1 for f in validation)
    metadata = json.loads((tmp_path / "models" / "audio_emotion_speech_ensemble.json").read_text())
    assert metadata["view_weights"] == {"functionals": 0.25, "mfcc": 0.75}
    assert not metadata["refit"] and not metadata["members"]["mfcc"]["refit"]


@pytest.mark.slow
def test_cross_validation_shows_the_members_and_resumes_a_fold_that_finished(
    demo_audio: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    args = ensemble_run(demo_audio, "song", 1, tmp_path, "--folds", "2", "--no-refit")
    fit = ensembles.fit_and_evaluate

    def killed_in_fold_2(spec, inputs, y, split, settings, config, tag, *rest, **kwargs):
        if "fold2" in tag:
            raise KeyboardInterrupt("killed")
        return fit(spec, inputs, y, split, settings, config, tag, *rest, **kwargs)

    monkeypatch.setattr(ensembles, "fit_and_evaluate", killed_in_fold_2)
    with pytest.raises(KeyboardInterrupt):
        train_models.main(args)
    monkeypatch.setattr(ensembles, "fit_and_evaluate", fit)
    capsys.readouterr()
    assert train_models.main(args) == 0
    assert "audio_emotion_song_ensemble_fold1 finished before the interruption" in capsys.readouterr().out
    folds = pd.read_csv(tmp_path / "reports" / "audio_emotion_song_ensemble_cv_folds.csv")
    assert len(folds) == 2 and folds["epochs_run"].eq(2).all()  # 1 epoch of each member, fold 1 read back
    for column in ("accuracy", "functionals_accuracy", "mfcc_accuracy", "mfcc_uar"):
        assert folds[column].between(0, 1).all(), column
    assert not list((tmp_path / "models" / ".backup").glob("*.evaluation.json"))  # the run is whole
