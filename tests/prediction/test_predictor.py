"""The predictor rebuilds a saved model's inputs from its metadata, whatever kind of model it is (``prediction.predictor``)."""

from __future__ import annotations

import numpy as np
import pytest

from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.speakers import SpeakerPrior, standardize_within_speakers
from ravdess_emotion.prediction import model_inputs

MFCC_PER_SPEAKER = FeatureSettings(
    n_mfcc=13, max_frames=40, speaker_norm=True, au_features="sequence", au_frames=8
)


def test_each_kind_reads_its_views_under_its_settings() -> None:
    features = MFCC_PER_SPEAKER.to_dict()
    assert [i.view.name for i in model_inputs({"kind": "audio", "features": features})] == ["mfcc"]
    assert [i.view.name for i in model_inputs({"kind": "fusion", "features": features})] == ["mfcc", "frames"]
    assert [i.view.name for i in model_inputs({"kind": "fusion_au", "features": features})] == [
        "mfcc",
        "au_sequence",
    ]
    best = {**features, "audio_features": "functionals", "au_features": "means"}
    assert [i.view.name for i in model_inputs({"kind": "fusion_au", "features": best})] == [
        "functionals",
        "au_clip",
    ]
    with pytest.raises(ValueError, match="kind 'nope' is no kind of model"):
        model_inputs({"kind": "nope", "features": features})
    with pytest.raises(ValueError, match="no valid feature settings"):
        model_inputs({"kind": "audio", "features": {**features, "au_features": "bogus"}})


def test_an_ensemble_reads_each_member_its_own_way_and_a_prior_goes_to_a_single_input() -> None:
    rng = np.random.default_rng(0)
    prior = SpeakerPrior.of_speakers(rng.normal(size=(8, 3)), [1, 1, 1, 1, 2, 2, 2, 2]).to_dict()
    functionals = {
        "kind": "audio",
        "features": {**MFCC_PER_SPEAKER.to_dict(), "audio_features": "functionals"},
    }
    members = {
        "functionals": {**functionals, "speaker_prior": prior},
        "mfcc": {"kind": "audio", "features": MFCC_PER_SPEAKER.to_dict()},
    }
    inputs = model_inputs({"views": ["functionals", "mfcc"], "members": members, "kind": "audio_views"})
    assert [(i.name, i.view.name, i.prior is not None) for i in inputs] == [
        ("functionals", "functionals", True),
        ("mfcc", "mfcc", False),
    ]
    assert [i.ways for i in inputs] == [("batch", "enrollment", "independent"), ("batch", "enrollment")]
    with pytest.raises(ValueError, match="does not describe its members"):
        model_inputs({"views": ["functionals"], "members": members})
    # A multi-input model has no speaker prior of one input.
    fusion = model_inputs(
        {"kind": "fusion_au", "features": MFCC_PER_SPEAKER.to_dict(), "speaker_prior": prior}
    )
    assert all(i.prior is None for i in fusion) and [i.ways for i in fusion] == [
        ("batch", "enrollment"),
        ("batch",),
    ]


def test_mfcc_images_of_an_audio_and_face_model_are_standardised_as_in_training() -> None:
    # Training standardises each MFCC coefficient over the speaker's frames, padding left out
    # (the loader, features.speakers); prediction must do the same. Before the predictor read
    # this from the view, it standardised MFCC images as if they were action-unit sequences.
    audio, _ = model_inputs({"kind": "fusion_au", "features": MFCC_PER_SPEAKER.to_dict()})
    rng = np.random.default_rng(1)
    images = rng.normal(5, 3, size=(6, 13, 40))
    images[:, :, 30:] = 0  # padding
    speakers = np.array(["a", "a", "a", "b", "b", "b"])
    expected = standardize_within_speakers(images, speakers)
    np.testing.assert_array_equal(audio.standardize_batch(images, speakers), expected)
    assert np.all(audio.standardize_batch(images, speakers)[:, :, 30:] == 0)
