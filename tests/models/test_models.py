"""Each model builds, trains a few steps on small inputs, saves to .h5 and .keras, and reloads unchanged."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from ravdess_emotion.models import (
    MODEL_CLASSES,
    AttentionPooling1D,
    AudioAUEmotionFusion,
    AudioAULateFusion,
    AudioEmotionAttentionCNNLSTM,
    AudioEmotionCNNLSTM,
    AudioEmotionLogistic,
    AUEmotionLogistic,
    AUEmotionLSTM,
    EmotionModel,
    SpecAugment,
    VideoEmotion3DCNNLSTM,
)
from tests.model_inputs import MODEL_INPUTS, case_id, model_input, small_inputs

RNG = np.random.default_rng(0)
INPUTS = small_inputs(24, audio_frames=64, video=(4, 16))
AUDIO, FUNCTIONALS, UNITS, UNIT_FRAMES = (INPUTS[k] for k in ("mfcc", "functionals", "au_clip", "au_sequence"))
LABELS = np.arange(24) % 8


def _shape(X: np.ndarray | list[np.ndarray]) -> tuple:
    return X.shape[1:] if isinstance(X, np.ndarray) else tuple(x.shape[1:] for x in X)


CASES = [
    pytest.param(cls, model_input(names, INPUTS), _shape(model_input(names, INPUTS)), id=case_id(cls, names))
    for cls, names in MODEL_INPUTS
]


@pytest.mark.slow
@pytest.mark.parametrize(("model_class", "X", "shape"), CASES)
def test_train_save_reload_predict(model_class, X, shape, tmp_path: Path) -> None:
    model = model_class(num_emotions=8)
    model.build_model(shape)
    history = model.train(X, LABELS, X, LABELS, epochs=2, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 2
    assert np.isfinite(history.history["val_loss"]).all()
    probabilities = model.predict(X)
    assert probabilities.shape == (24, 8)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    metrics = model.evaluate(X, LABELS)
    assert set(metrics) >= {"loss", "accuracy"}

    for suffix in (".h5", ".keras"):
        path = model.save(tmp_path / f"model{suffix}", metadata={"channel": "speech"})
        assert path.exists() and path.with_suffix(".json").exists()
        reloaded = EmotionModel.load(path)
        assert type(reloaded) is model_class
        assert reloaded.metadata["channel"] == "speech"
        np.testing.assert_allclose(reloaded.predict(X), probabilities, atol=1e-5)
        # Reloaded models train again (an .h5 loaded compiled would not, on any backend).
        reloaded.train(X, LABELS, epochs=1, batch_size=8, verbose=0)
    assert not list(tmp_path.glob(".*tmp*"))


@pytest.mark.slow
def test_audio_model_learns_a_separable_task() -> None:
    # Two classes told apart by the level of MFCC 1: a model that cannot fit this is broken.
    X = RNG.normal(size=(64, 13, 64)).astype(np.float32)
    y = np.arange(64) % 2
    X[y == 1, 1, :] += 3.0
    model = AudioEmotionCNNLSTM(num_emotions=2)
    model.train(X, y, epochs=8, batch_size=16, verbose=0)
    assert model.evaluate(X, y)["accuracy"] > 0.9


@pytest.mark.slow
def test_one_hot_labels_are_accepted() -> None:
    model = AudioEmotionCNNLSTM()
    model.train(AUDIO[:8], np.eye(8)[LABELS[:8]], epochs=1, batch_size=8, verbose=0)
    assert model.predict_classes(AUDIO[:8]).shape == (8,)


@pytest.mark.slow
def test_logistic_model_decays_its_learning_rate_to_zero_over_the_run() -> None:
    model = AudioEmotionLogistic(learning_rate=0.01)
    model.train(FUNCTIONALS, LABELS, epochs=3, batch_size=8, verbose=0)
    optimizer = model.model.optimizer
    assert int(optimizer.iterations) == 3 * 3  # 24 samples in batches of 8
    assert float(optimizer.learning_rate) == pytest.approx(0.0, abs=1e-7)
    # The L2 penalty is part of the loss: what Keras reports is the cross-entropy plus 0.03 ||W||².
    probabilities = model.predict(FUNCTIONALS)
    cross_entropy = -np.mean(np.log(probabilities[np.arange(len(LABELS)), LABELS]))
    kernel = np.asarray(model.model.get_layer("emotion").get_weights()[0])
    penalty = AudioEmotionLogistic.defaults.l2_penalty * float(np.sum(kernel**2))
    assert penalty > 1e-3
    assert model.evaluate(FUNCTIONALS, LABELS)["loss"] == pytest.approx(cross_entropy + penalty, rel=1e-3)


@pytest.mark.slow
def test_every_input_is_standardised_by_its_own_training_statistics() -> None:
    audio, units = FUNCTIONALS * 10 + 5, UNITS * 0.1 - 2
    model = AudioAUEmotionFusion()
    model.train([audio, units], LABELS, epochs=1, batch_size=8, verbose=0)
    network = model.model
    assert network.name == "audio_au_emotion_logistic" and model.uses_cosine_decay()
    for layer, data in (("functionals_normalization", audio), ("au_normalization", units)):
        np.testing.assert_allclose(
            np.ravel(network.get_layer(layer).mean), data.mean(axis=0), rtol=1e-4, atol=1e-4
        )
    lstm = AUEmotionLSTM()
    lstm.train(UNIT_FRAMES * 3, LABELS, epochs=1, batch_size=8, verbose=0)
    mean = np.ravel(lstm.model.get_layer("au_normalization").mean)
    np.testing.assert_allclose(mean, (UNIT_FRAMES * 3).reshape(-1, 35).mean(axis=0), rtol=1e-4)
    assert not AudioAUEmotionFusion().uses_cosine_decay()  # before it is built, and for the networks


@pytest.mark.slow
def test_late_fusion_weighs_its_branches_on_validation_data_and_keeps_the_weight(tmp_path: Path) -> None:
    # The audio tells the classes apart, the faces are noise: the weight must go to the audio.
    y = np.arange(96) % 4
    audio = RNG.normal(size=(96, 6)).astype(np.float32)
    audio[np.arange(96), y] += 4.0
    faces = RNG.normal(size=(96, 5)).astype(np.float32)
    model = AudioAULateFusion(num_emotions=4, learning_rate=0.05)
    history = model.train(
        [audio, faces], y, [audio, faces], y, epochs=15, batch_size=16, patience=None, verbose=0
    )
    assert {"loss", "accuracy", "val_accuracy", "audio_emotion_loss", "au_emotion_loss"} <= set(
        history.history
    )
    assert model.audio_weight >= 0.8
    assert model.evaluate([audio, faces], y)["accuracy"] > 0.9
    fused = model.predict([audio, faces])
    path = model.save(tmp_path / "late.h5")
    assert json.loads(path.with_suffix(".json").read_text())["audio_weight"] == model.audio_weight
    loaded = EmotionModel.load(path)
    np.testing.assert_allclose(loaded.predict([audio, faces]), fused, atol=1e-5)
    # A refit has no validation data: it keeps the weight it is given.
    refit = AudioAULateFusion(num_emotions=4, **model.refit_settings())
    refit.train([audio, faces], y, epochs=1, batch_size=16, verbose=0)
    assert refit.audio_weight == model.audio_weight
    assert float(refit.model.get_layer("audio_weight").scale) == model.audio_weight


def test_the_au_logistic_model_trains_at_ten_times_the_rate_given() -> None:
    model = AUEmotionLogistic(learning_rate=0.002)
    model.build_model((35,))
    assert float(model.model.optimizer.learning_rate) == pytest.approx(0.02)
    model.train(UNITS, LABELS, epochs=2, batch_size=8, verbose=0)
    schedule = model.model.optimizer._learning_rate
    assert float(schedule.initial_learning_rate) == pytest.approx(0.02)  # cosine-decayed from there
    assert AudioEmotionLogistic(learning_rate=0.002).hyperparameters.learning_rate_scale == 1.0


def test_wrong_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="clip vectors"):
        AUEmotionLogistic().build_model((8, 35))
    with pytest.raises(ValueError, match="AU sequences"):
        AUEmotionLSTM().build_model((35,))
    with pytest.raises(ValueError, match="n_mfcc, frames"):
        AudioEmotionCNNLSTM().build_model((13, 216, 1))
    with pytest.raises(ValueError, match="frames, height, width, 3"):
        VideoEmotion3DCNNLSTM().build_model((6, 32, 32))
    with pytest.raises(ValueError, match="num_emotions"):
        AudioEmotionCNNLSTM(num_emotions=1)


def test_loading_checks_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        EmotionModel.load(tmp_path / "missing.h5")
    model = AudioEmotionCNNLSTM()
    model.build_model((13, 216))
    path = model.save(tmp_path / "audio.h5")
    with pytest.raises(ValueError, match="not a VideoEmotion3DCNNLSTM"):
        VideoEmotion3DCNNLSTM.load(path)
    path.with_suffix(".json").write_text('{"model_class": "Evil"}')
    with pytest.raises(ValueError, match="not a model of this project"):
        EmotionModel.load(path)
    path.with_suffix(".json").unlink()
    with pytest.raises(ValueError, match=r"train_models\.py"):
        EmotionModel.load(path)
    with pytest.raises(ValueError, match=r"\.h5 or \.keras"):
        model.save(tmp_path / "audio.pkl")


def test_a_save_killed_between_the_network_and_its_metadata_is_refused_on_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = AudioEmotionLogistic()
    old.build_model((40,))
    path = old.save(tmp_path / "audio.h5", metadata={"run": "old"})
    assert EmotionModel.load(path).metadata["run"] == "old"
    new = AudioEmotionLogistic()
    new.build_model((40,))

    # The new metadata is renamed into place, then the process dies before the network's rename.
    import ravdess_emotion.core.files as files

    real_replace = files.os.replace

    def killed_before_the_network(source, target):
        if str(target).endswith(".h5"):
            raise KeyboardInterrupt("killed")
        return real_replace(source, target)

    monkeypatch.setattr(files.os, "replace", killed_before_the_network)
    with pytest.raises(KeyboardInterrupt):
        new.save(path, metadata={"run": "new"})
    monkeypatch.undo()
    assert json.loads(path.with_suffix(".json").read_text())["run"] == "new"  # the pair is split
    with pytest.raises(ValueError, match="do not belong together"):
        EmotionModel.load(path)
    # Saving again mends it; the .keras beside it shares the .json and keeps its own checksum.
    new.save(path, metadata={"run": "new"})
    new.save(path.with_suffix(".keras"))
    for suffix in (".h5", ".keras"):
        assert EmotionModel.load(path.with_suffix(suffix)).metadata["run"] == "new"


# --------------------------------------------------------------------------- the recipe's layers


def test_attention_pooling_is_a_learned_weighted_mean_over_time() -> None:
    pooling = AttentionPooling1D(units=4)
    steps = RNG.normal(size=(5, 7, 3)).astype(np.float32)
    pooled = np.asarray(pooling(steps))
    assert pooled.shape == (5, 3)
    # Weights are positive and sum to 1: each output lies within its sequence's range.
    assert (pooled >= steps.min(axis=1) - 1e-5).all() and (pooled <= steps.max(axis=1) + 1e-5).all()
    constant = np.repeat(steps[:, :1], 7, axis=1)
    np.testing.assert_allclose(np.asarray(pooling(constant)), steps[:, 0], rtol=1e-5)
    assert AttentionPooling1D.from_config(pooling.get_config()).units == 4
    with pytest.raises(ValueError, match="units must be positive"):
        AttentionPooling1D(units=0)
    with pytest.raises(ValueError, match=r"expects \(batch, steps, features\)"):
        AttentionPooling1D()(np.zeros((2, 3), np.float32))


def test_spec_augment_masks_bands_in_training_and_nothing_at_inference() -> None:
    masking = SpecAugment(time_masks=2, max_time=5, frequency_masks=1, max_frequency=2, fill=-1.0, seed=0)
    ones = np.ones((64, 13, 40), np.float32)
    np.testing.assert_array_equal(np.asarray(masking(ones, training=False)), ones)
    masked = np.asarray(masking(ones, training=True)) == -1.0
    assert set(np.unique(np.asarray(masking(ones, training=True)))) <= {-1.0, 1.0}
    whole_frames = masked.all(axis=1)  # frames masked across every coefficient: the time bands
    whole_rows = masked.all(axis=2)  # coefficients masked across every frame: the frequency bands
    assert 0 < whole_frames.sum(axis=1).max() <= 2 * 5 and whole_frames.any(axis=1).mean() > 0.5
    assert 0 < whole_rows.sum(axis=1).max() <= 2 and whole_rows.any(axis=1).mean() > 0.3
    # Nothing else is masked: every masked cell is in a masked frame or a masked coefficient.
    assert not (masked & ~whole_frames[:, None, :] & ~whole_rows[:, :, None]).any()
    config = SpecAugment.from_config(masking.get_config()).get_config()
    assert (config["time_masks"], config["max_time"], config["max_frequency"], config["fill"]) == (
        2,
        5,
        2,
        -1.0,
    )
    with pytest.raises(ValueError, match="max_time must be 0 or more"):
        SpecAugment(max_time=-1)


@pytest.mark.slow
def test_the_recipe_model_trains_on_mixed_batches_with_smoothed_labels() -> None:
    model = AudioEmotionAttentionCNNLSTM(num_emotions=8)
    model.build_model((13, 216))
    names = [layer.name for layer in model.model.layers]
    assert "spec_augment" in names and "audio_attention_pooling" in names
    assert names.index("mfcc_normalization") < names.index("spec_augment")  # masks are the mean
    hp = model.hyperparameters
    assert hp.mixup_alpha == 0.2 and hp.label_smoothing == 0.1 and model.uses_cosine_decay()
    # The seed's model keeps the seed's layers: no masking, average pooling.
    seed_names = [layer.name for layer in AudioEmotionCNNLSTM().build_model((13, 216)).layers]
    assert "spec_augment" not in seed_names and "audio_time_pooling" in seed_names


@pytest.mark.slow
def test_the_models_script_shows_every_network_by_default(capsys) -> None:
    import emotion_models

    assert emotion_models.main([]) == 0
    shown = re.findall(r'Model: "(\w+)"', capsys.readouterr().out)
    assert len(shown) == len(MODEL_CLASSES) and "audio_views_ensemble" in shown
    assert "au_emotion_lstm" in shown and "audio_emotion_attention_cnn_lstm" in shown
    with pytest.raises(SystemExit):
        emotion_models.main(["Nope"])
    assert "unknown model(s) Nope" in capsys.readouterr().err
