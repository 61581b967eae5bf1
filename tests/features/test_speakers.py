"""Speaker statistics from all, some or none of a speaker's recordings (``ravdess_emotion.features.speakers``)."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.speakers import (
    Enrollment,
    SpeakerPrior,
    enrollment_copies,
    safe_file_stem,
)


def speakers_data(seed: int = 0, n_speakers: int = 6, per_speaker: int = 40):
    """Feature 0 varies between speakers (a voice's pitch), feature 1 only within them (an emotion's loudness)."""
    rng = np.random.default_rng(seed)
    speakers = np.repeat(np.arange(n_speakers), per_speaker)
    offsets = np.array([-6.0, -3.0, 0.0, 3.0, 6.0, 10.0])[:n_speakers]
    features = np.stack(
        [offsets[speakers] + rng.normal(0, 1, len(speakers)), rng.normal(0, 1, len(speakers))], axis=1
    )
    return features, speakers, offsets


def test_the_prior_trusts_a_speaker_on_what_differs_between_speakers() -> None:
    features, speakers, _ = speakers_data()
    prior = SpeakerPrior.of_speakers(features, speakers)
    # Speaker means spread about 30 against a variance of 1 within: a recording counts as much as the prior on
    # feature 0 long before it does on feature 1, where speakers do not differ.
    assert prior.mean_strength[0] < 0.2 < 1 < prior.mean_strength[1]
    np.testing.assert_allclose(prior.within_variance, [1, 1], rtol=0.15)
    mean, spread = prior.statistics(features[:0])
    np.testing.assert_array_equal(mean, prior.mean)
    np.testing.assert_array_equal(spread, np.sqrt(prior.within_variance))


def test_more_recordings_move_a_speaker_from_the_prior_to_their_own_statistics() -> None:
    features, speakers, offsets = speakers_data()
    prior = SpeakerPrior.of_speakers(features[speakers < 5], speakers[speakers < 5])
    new = features[speakers == 5]
    errors = [abs(prior.statistics(new[:k])[0][0] - offsets[5]) for k in (0, 1, 40)]
    assert errors[0] > 2 and errors[1] < 1.5 and errors[2] < 0.5
    all_of_them = prior.standardize(new, new)
    np.testing.assert_allclose(all_of_them.mean(axis=0), 0, atol=0.2)
    np.testing.assert_array_equal(prior.standardize_by_speaker(new, np.zeros(len(new))), all_of_them)


@settings(max_examples=40, deadline=None)
@given(k=st.integers(1, 30), seed=st.integers(0, 1000))
def test_a_speakers_mean_lies_between_their_recordings_and_the_population(k: int, seed: int) -> None:
    features, speakers, _ = speakers_data(seed)
    prior = SpeakerPrior.of_speakers(features, speakers)
    recordings = features[speakers == 0][:k]
    mean, spread = prior.statistics(recordings)
    low = np.minimum(recordings.mean(axis=0), prior.mean) - 1e-9
    high = np.maximum(recordings.mean(axis=0), prior.mean) + 1e-9
    assert ((low <= mean) & (mean <= high)).all()
    assert (spread > 0).all()


def test_prior_round_trips_through_json_and_rejects_what_is_not_one() -> None:
    features, speakers, _ = speakers_data()
    prior = SpeakerPrior.of_speakers(features, speakers)
    again = SpeakerPrior.from_dict(prior.to_dict())
    np.testing.assert_allclose(
        again.standardize(features, features[:7]), prior.standardize(features, features[:7]), rtol=1e-5
    )
    with pytest.raises(ValueError, match="not a speaker prior"):
        SpeakerPrior.from_dict({"mean": [0.0]})
    with pytest.raises(ValueError, match="differ in shape"):
        SpeakerPrior.from_dict({**prior.to_dict(), "mean": [0.0]})
    with pytest.raises(ValueError, match="two speakers with two recordings"):
        SpeakerPrior.of_speakers(features[:3], [0, 0, 1])


def test_enrollment_copies_draw_only_from_each_speakers_own_recordings() -> None:
    features, speakers, _ = speakers_data()
    prior = SpeakerPrior.of_speakers(features, speakers)
    independent, one, everything = enrollment_copies(features, speakers, prior, sizes=(1, 100))
    np.testing.assert_array_equal(independent, prior.standardize(features, features[:0]))
    np.testing.assert_allclose(everything, prior.standardize_by_speaker(features, speakers), rtol=1e-6)
    for speaker in np.unique(speakers):
        rows = speakers == speaker
        # One drawn recording: every row of the speaker shares the one (mean, spread).
        drawn = [
            prior.standardize(features[rows], features[np.flatnonzero(rows)[i]][None])
            for i in range(rows.sum())
        ]
        assert any(np.allclose(one[rows], d, atol=1e-5) for d in drawn)


def test_enrollment_saves_once_and_loads_back(tmp_path: Path) -> None:
    settings = FeatureSettings(audio_features="functionals", sample_rate=16000)
    features = np.arange(12, dtype=np.float32).reshape(3, 4)
    enrollment = Enrollment.of_recordings("folder a/b", features, settings, ["x.wav", "y.wav", "z.wav"])
    path = enrollment.save(tmp_path)
    assert path.name == "folder_a_b.npz" and not list(tmp_path.glob("*.tmp*"))
    loaded = Enrollment.load(path)
    np.testing.assert_array_equal(loaded.features, features)
    assert (loaded.speaker, loaded.sources) == ("folder a/b", ("x.wav", "y.wav", "z.wav"))
    loaded.check_settings(settings, str(path))
    with pytest.raises(ValueError, match=r"sample_rate 16000 \(the model: 22050\)"):
        loaded.check_settings(replace(settings, sample_rate=22050), str(path))
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not numpy")
    with pytest.raises(ValueError, match=r"broken\.npz: not an enrollment file"):
        Enrollment.load(broken)
    assert [safe_file_stem(n) for n in ("../..", "..", "actor-21")] == ["_", "speaker", "actor-21"]
