"""Speaker statistics from all, some or none of a speaker's recordings (``ravdess_emotion.features.speakers``)."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ravdess_emotion.features.enrollments import Enrollment, safe_file_stem
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.speakers import (
    SpeakerPrior,
    enrollment_copies,
    frame_statistics,
    recording_frames,
    standardize_by_ways,
    standardize_within_speakers,
)
from ravdess_emotion.features.views import audio_view


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
    enrollment = Enrollment.of_recordings(
        "folder a/b", features, audio_view(settings), settings, ["x.wav", "y.wav", "z.wav"]
    )
    path = enrollment.save(tmp_path)
    assert path.name == "folder_a_b.npz" and not list(tmp_path.glob("*.tmp*"))
    loaded = Enrollment.load(path)
    np.testing.assert_array_equal(loaded.features, features)
    assert (loaded.speaker, loaded.sources) == ("folder a/b", ("x.wav", "y.wav", "z.wav"))
    loaded.check_settings(audio_view(settings), settings, str(path))
    with pytest.raises(ValueError, match=r"sample_rate 16000 \(the model: 22050\)"):
        loaded.check_settings(
            audio_view(replace(settings, sample_rate=22050)), replace(settings, sample_rate=22050), str(path)
        )
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not numpy")
    with pytest.raises(ValueError, match=r"broken\.npz: not an enrollment file"):
        Enrollment.load(broken)
    assert [safe_file_stem(n) for n in ("../..", "..", "actor-21")] == ["_", "speaker", "actor-21"]


# ------------------------------------------------------- the numbers, exactly (found by mutation testing)


def test_the_prior_is_the_empirical_bayes_formula_of_its_docstring() -> None:
    rng = np.random.default_rng(3)
    speakers = np.repeat([0, 1, 2], [4, 5, 6])
    features = rng.normal(0, 1, (15, 3)) + np.array([[0, 0, 0], [2, 0, 0], [4, 0, 0]])[speakers]
    features[:, 2] *= 0.01  # a feature of small spread: its variance is not floored at 1
    # Feature 1 has the same mean, 0, for every speaker: its between-speaker variance is floored.
    features[:, 1] = np.concatenate([np.linspace(-1, 1, n) for n in (4, 5, 6)])
    prior = SpeakerPrior.of_speakers(features, speakers, scale=0.5, variance_strength=7.0)
    groups = [features[speakers == s] for s in range(3)]
    within = np.mean([g.var(axis=0) for g in groups], axis=0)
    means = np.stack([g.mean(axis=0) for g in groups])
    between = np.maximum(means.var(axis=0) - within / 5.0, 1e-3 * within + 1e-12)
    np.testing.assert_allclose(prior.mean, features.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(prior.within_variance, within, rtol=1e-12)
    np.testing.assert_allclose(prior.mean_strength, 0.5 * within / between, rtol=1e-12)
    assert prior.variance_strength == 7.0
    assert between[1] == 1e-3 * within[1] + 1e-12 and prior.mean_strength[1] > 100


def test_a_speakers_statistics_are_the_shrunk_mean_and_variance() -> None:
    features, speakers, _ = speakers_data()
    prior = SpeakerPrior.of_speakers(features, speakers, variance_strength=4.0)
    recordings = features[speakers == 2][:6]
    mean, spread = prior.statistics(recordings)
    a, b = prior.mean_strength, prior.variance_strength
    np.testing.assert_allclose(mean, (6 * recordings.mean(axis=0) + a * prior.mean) / (6 + a), rtol=1e-12)
    variance = (6 * recordings.var(axis=0) + b * prior.within_variance) / (6 + b)
    np.testing.assert_allclose(spread, np.sqrt(variance), rtol=1e-12)
    standardized = prior.standardize(features[:5], recordings)
    np.testing.assert_allclose(standardized, (features[:5] - mean) / spread, rtol=1e-6)
    # One recording given as a flat row is one recording of every feature.
    np.testing.assert_array_equal(prior.statistics(recordings[0])[0], prior.statistics(recordings[:1])[0])


def test_statistics_are_computed_in_float64_whatever_the_features_dtype() -> None:
    # Functionals near 10^4 with a spread near 10^-2: float32 arithmetic would lose the variance.
    rng = np.random.default_rng(0)
    speakers = np.repeat([0, 1, 2], 30)
    features = 1e4 + rng.normal(0, 0.01, (90, 2)) + speakers[:, None]
    prior = SpeakerPrior.of_speakers(features, speakers)
    as_float32 = features.astype(np.float32)
    exact = prior.statistics(as_float32.astype(np.float64)[:30])
    for got, want in zip(prior.statistics(as_float32[:30]), exact, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    want = prior.standardize(as_float32.astype(np.float64)[:30], as_float32.astype(np.float64)[:30])
    np.testing.assert_array_equal(prior.standardize(as_float32[:30], as_float32[:30]), want)
    batch = prior.standardize_by_speaker(features, speakers)
    copies = enrollment_copies(features, speakers, prior, sizes=(3,))
    assert batch.dtype == np.float32 and all(copy.dtype == np.float32 for copy in copies)


def test_two_speakers_of_two_recordings_are_enough_for_a_prior() -> None:
    features = np.array([[0.0], [1.0], [5.0], [7.0], [9.0]])
    prior = SpeakerPrior.of_speakers(features[:4], [0, 0, 1, 1])
    # A speaker of one recording has no within-speaker variance: it is left out of the prior.
    with_a_third = SpeakerPrior.of_speakers(features, [0, 0, 1, 1, 2])
    np.testing.assert_allclose(with_a_third.within_variance, prior.within_variance)
    np.testing.assert_allclose(with_a_third.within_variance, [(0.25 + 1.0) / 2])
    with pytest.raises(
        ValueError, match=r"^a speaker prior needs at least two speakers with two recordings each$"
    ):
        SpeakerPrior.of_speakers(features[:4], [0, 0, 1, 2])


def test_a_stored_prior_keeps_its_variance_strength_and_refuses_a_bad_one() -> None:
    features, speakers, _ = speakers_data()
    stored = SpeakerPrior.of_speakers(features, speakers, variance_strength=3.5).to_dict()
    assert SpeakerPrior.from_dict(stored).variance_strength == 3.5
    refused = r"^not a speaker prior: its arrays differ in shape or a variance is not positive$"
    for broken in (
        {**stored, "within_variance": [0.0, 1.0]},  # a zero variance
        {**stored, "within_variance": [-1.0, 1.0], "mean_strength": [1.0, 1.0]},
        {**stored, **{key: [[1.0, 2.0]] for key in ("mean", "within_variance", "mean_strength")}},
    ):
        with pytest.raises(ValueError, match=refused):
            SpeakerPrior.from_dict(broken)


def test_an_enrollment_is_saved_into_new_folders_and_checked_for_recordings(tmp_path: Path) -> None:
    settings = FeatureSettings(audio_features="functionals")
    one = Enrollment.of_recordings(
        "Xavier.", np.ones((1, 4), np.float64), audio_view(settings), settings, ["x.wav"]
    )
    assert one.features.dtype == np.float32
    path = one.save(tmp_path / "new" / "folders")
    assert path == tmp_path / "new" / "folders" / "Xavier.npz"
    loaded = Enrollment.load(path)
    assert loaded.features.dtype == np.float32 and loaded.sources == ("x.wav",)
    loaded.check_settings(audio_view(settings), settings, "here")  # one recording is an enrollment
    empty = Enrollment("alice", np.zeros((0, 4), np.float32), loaded.settings)
    with pytest.raises(ValueError, match=r"^there: holds no recordings$"):
        empty.check_settings(audio_view(settings), settings, "there")
    other = replace(settings, n_fft=1024, hop_length=256)
    message = (
        r"^x\.npz: enrolled with other feature settings than this model's \(n_fft 2048 \(the model: 1024\), "
        r"hop_length 512 \(the model: 256\)\); enroll again from the recordings with this model$"
    )
    with pytest.raises(ValueError, match=message):
        loaded.check_settings(audio_view(other), other, "x.npz")


# --------------------------------------------------------------------------- MFCC images


def mfcc_images(seed: int = 0, n_speakers: int = 4, per_speaker: int = 6, n_frames: int = 30):
    """MFCC-like images (n, 3, n_frames): coefficient 0 is offset per speaker; each recording padded with zeros."""
    rng = np.random.default_rng(seed)
    speakers = np.repeat(np.arange(n_speakers), per_speaker)
    images = np.zeros((len(speakers), 3, n_frames))
    lengths = rng.integers(n_frames // 3, n_frames + 1, len(speakers))
    for i, (speaker, length) in enumerate(zip(speakers, lengths, strict=True)):
        images[i, :, :length] = rng.normal(0, 1, (3, length)) + np.array([[5.0 * speaker - 20], [3.0], [0.0]])
    return images, speakers, lengths


def test_mfcc_images_are_standardised_per_coefficient_over_each_speakers_frames() -> None:
    images, speakers, lengths = mfcc_images()
    normalized = standardize_within_speakers(images, speakers)
    assert normalized.shape == images.shape and normalized.dtype == np.float32
    for speaker in np.unique(speakers):
        rows = np.flatnonzero(speakers == speaker)
        frames = np.concatenate([normalized[i, :, : lengths[i]] for i in rows], axis=1)
        np.testing.assert_allclose(frames.mean(axis=1), 0, atol=1e-5)
        np.testing.assert_allclose(frames.std(axis=1), 1, atol=1e-5)
    # The padding is no frame: it is left out of the statistics and stays zero.
    padding = np.arange(images.shape[2])[None, :] >= lengths[:, None]
    assert np.all(normalized.transpose(0, 2, 1)[padding] == 0)
    longer = np.concatenate([images, np.zeros((len(images), 3, 10))], axis=2)
    np.testing.assert_allclose(
        standardize_within_speakers(longer, speakers)[:, :, :30], normalized, atol=1e-6
    )
    # Functionals rows are standardised exactly as before.
    rows, row_speakers, _ = speakers_data()
    expected = np.empty_like(rows)
    for speaker in np.unique(row_speakers):
        group = rows[row_speakers == speaker]
        expected[row_speakers == speaker] = (group - group.mean(axis=0)) / group.std(axis=0)
    np.testing.assert_array_equal(
        standardize_within_speakers(rows, row_speakers), expected.astype(np.float32)
    )
    with pytest.raises(
        ValueError,
        match=r"^speaker 9 has one recording: per-speaker normalization needs several "
        r"recordings of each speaker$",
    ):
        standardize_within_speakers(images[:3], [1, 1, 9])
    with pytest.raises(ValueError, match=r"one speaker per recording; got \(24, 3, 30\) and 2 speakers"):
        standardize_within_speakers(images, [1, 2])


def test_a_prior_of_mfcc_images_counts_recordings_and_takes_statistics_over_frames() -> None:
    images, speakers, lengths = mfcc_images()
    prior = SpeakerPrior.of_speakers(images, speakers)
    frames = np.concatenate([images[i, :, : lengths[i]] for i in range(len(images))], axis=1).T
    np.testing.assert_allclose(prior.mean, frames.mean(axis=0))
    within = np.mean([recording_frames(images[speakers == s])[0].var(axis=0) for s in range(4)], axis=0)
    np.testing.assert_allclose(prior.within_variance, within)
    # Coefficient 0 differs between speakers: a recording counts for more than the prior there.
    assert prior.mean_strength[0] < 0.1 < prior.mean_strength[2]
    k = 2
    own, _ = recording_frames(images[:k])
    mean, spread = prior.statistics(images[:k])
    strength = prior.mean_strength
    np.testing.assert_allclose(mean, (k * own.mean(axis=0) + strength * prior.mean) / (k + strength))
    variance = (k * own.var(axis=0) + prior.variance_strength * prior.within_variance) / (
        k + prior.variance_strength
    )
    np.testing.assert_allclose(spread, np.sqrt(variance))
    alone = prior.standardize(images[:1], images[:0])
    expected = (images[0, :, : lengths[0]] - prior.mean[:, None]) / np.sqrt(prior.within_variance)[:, None]
    np.testing.assert_allclose(alone[0, :, : lengths[0]], expected, rtol=1e-5, atol=1e-5)
    assert np.all(alone[0, :, lengths[0] :] == 0)
    assert alone.dtype == np.float32
    # The mean strength is the formula of the docstring, with a speaker mean's noise from their recordings' means.
    groups = [images[speakers == s] for s in range(4)]
    frame_sets = [recording_frames(g)[0] for g in groups]
    recording_means = [
        np.stack([g[i, :, : lengths[speakers == s][i]].mean(axis=1) for i in range(len(g))])
        for s, g in enumerate(groups)
    ]
    within_frames = np.mean([f.var(axis=0) for f in frame_sets], axis=0)
    noise = np.mean([m.var(axis=0) for m in recording_means], axis=0) / 6
    between = np.maximum(
        np.stack([f.mean(axis=0) for f in frame_sets]).var(axis=0) - noise, 1e-3 * within_frames
    )
    np.testing.assert_allclose(prior.mean_strength, 0.3 * within_frames / between, rtol=1e-6)
    # A speaker whose recordings hold no frame (all padding) is not known: the prior's statistics.
    for unknown in (images[:2] * 0, np.zeros(0)):
        mean, spread = prior.statistics(unknown)
        np.testing.assert_array_equal(mean, prior.mean)
        np.testing.assert_array_equal(spread, np.sqrt(prior.within_variance))
    # Images of one frame each are functionals rows: the same prior.
    rows = images[:, :, 0]
    np.testing.assert_allclose(
        SpeakerPrior.of_speakers(rows[:, :, None], speakers).mean_strength,
        SpeakerPrior.of_speakers(rows, speakers).mean_strength,
    )


def test_an_enrollment_of_mfcc_images_saves_and_loads(tmp_path: Path) -> None:
    images, _, _ = mfcc_images()
    settings = FeatureSettings(speaker_norm=True)
    saved = Enrollment.of_recordings("actor-02", images[:5], audio_view(settings), settings).save(tmp_path)
    loaded = Enrollment.load(saved)
    assert loaded.features.shape == (5, 3, 30)
    loaded.check_settings(audio_view(settings), settings, "x")
    with pytest.raises(ValueError, match="max_frames 216 \\(the model: 40\\)"):
        loaded.check_settings(
            audio_view(replace(settings, max_frames=40)), replace(settings, max_frames=40), "x"
        )


def test_frame_statistics_take_every_frame_in_float64_and_refuse_none() -> None:
    images, _, lengths = mfcc_images()
    mean, spread = frame_statistics(images[:2])
    frames = np.concatenate([images[i, :, : lengths[i]] for i in range(2)], axis=1)
    np.testing.assert_allclose(mean, frames.mean(axis=1))
    np.testing.assert_allclose(spread, frames.std(axis=1))
    single, single_spread = frame_statistics(images[:1, :, :1].astype(np.float32))
    assert single.dtype == np.float64 and np.all(single_spread == 1.0)  # one frame: no spread, left at 1
    np.testing.assert_array_equal(
        frame_statistics(images.astype(np.float32))[1],
        frame_statistics(images.astype(np.float32).astype(np.float64))[1],
    )
    with pytest.raises(ValueError, match=r"^no recording with a frame to take statistics from$"):
        frame_statistics(np.zeros((2, 3, 5)))


# --------------------------------------------------------------------------- standardising within speakers


@st.composite
def speaker_groups(draw):
    sizes = draw(st.lists(st.integers(2, 12), min_size=1, max_size=5))
    speakers = np.repeat(np.arange(len(sizes)), sizes)
    draw(st.randoms()).shuffle(speakers)
    values = draw(
        arrays(np.float64, (len(speakers), 4), elements=st.floats(-1e3, 1e3, allow_nan=False, width=32))
    )
    return values, speakers


@settings(max_examples=60, deadline=None)
@given(speaker_groups())
def test_each_speaker_ends_up_standardised(groups) -> None:
    values, speakers = groups
    normalized = standardize_within_speakers(values, speakers)
    for speaker in np.unique(speakers):
        rows = normalized[speakers == speaker]
        np.testing.assert_allclose(rows.mean(axis=0), 0, atol=1e-4)
        spread = values[speakers == speaker].std(axis=0)
        expected = np.where(spread > 1e-8, 1.0, 0.0)
        np.testing.assert_allclose(rows.std(axis=0), expected, atol=1e-3)


def test_a_speaker_is_normalized_by_their_own_files_only() -> None:
    values = np.array([[1.0], [3.0], [100.0], [300.0]])
    normalized = standardize_within_speakers(values, ["a", "a", "b", "b"])
    np.testing.assert_allclose(normalized.ravel(), [-1, 1, -1, 1])
    with pytest.raises(ValueError, match="speaker 'c' has one recording"):
        standardize_within_speakers(np.ones((3, 2)), ["a", "a", "c"])
    with pytest.raises(ValueError, match=r"one speaker per recording; got \(3, 2\) and 2 speakers"):
        standardize_within_speakers(np.ones((3, 2)), ["a", "a"])


def test_speaker_normalization_of_sequences_keeps_each_clip_s_shape_over_time() -> None:
    rng = np.random.default_rng(0)
    sequences = rng.normal(5, 2, (6, 4, 35)).astype(np.float32)
    speakers = [1, 1, 1, 2, 2, 2]
    normalized = standardize_within_speakers(sequences, speakers, "zscore", "frame_rows")
    for speaker in (1, 2):
        frames = normalized[np.array(speakers) == speaker].reshape(-1, 35)
        np.testing.assert_allclose(frames.mean(axis=0), 0, atol=1e-5)
        np.testing.assert_allclose(frames.std(axis=0), 1, atol=1e-4)
    # Within a clip, differences between frames are only rescaled, never reordered.
    assert np.argsort(normalized[0, :, 0]).tolist() == np.argsort(sequences[0, :, 0]).tolist()
    with pytest.raises(ValueError, match="speaker 2 has one recording"):
        standardize_within_speakers(sequences[:4], [1, 1, 1, 2], "zscore", "frame_rows")


def test_rank_scores_follow_each_speaker_s_order_only() -> None:
    rng = np.random.default_rng(2)
    means = rng.uniform(0, 1, (8, 35))
    means[4:] = means[:4] ** 3 * 50  # speaker 2: the same order through another spread
    speakers = [1] * 4 + [2] * 4
    both = standardize_within_speakers(means, speakers, "zscore+rank")
    assert both.shape == (8, 70)
    np.testing.assert_allclose(both[:, :35], standardize_within_speakers(means, speakers))
    ranks = both[:, 35:]
    np.testing.assert_allclose(ranks[:4], ranks[4:], atol=1e-6)  # same order, same scores
    np.testing.assert_allclose(
        np.sort(ranks[:4, 0]), [-1.1503, -0.3186, 0.3186, 1.1503], atol=1e-4
    )  # Φ⁻¹((r-½)/4)
    np.testing.assert_array_equal(standardize_within_speakers(means, speakers, "none"), means)
    with pytest.raises(ValueError, match="ranks vectors"):
        standardize_within_speakers(np.zeros((4, 3, 35)), speakers[:4], "zscore+rank")


# --------------------------------------------------------------------------- the ways of a prediction


def test_each_file_is_standardised_by_the_way_its_inputs_allow() -> None:
    features, speakers, _ = speakers_data(per_speaker=6)
    prior = SpeakerPrior.of_speakers(features, speakers)
    names = [f"speaker {s}" for s in speakers]
    labels = [f"file{i}.wav" for i in range(len(features))]
    # Nobody known: the prior alone.
    alone = standardize_by_ways(features, labels, prior)
    np.testing.assert_allclose(alone.features, prior.standardize(features, features[:0]), atol=1e-6)
    assert alone.ways == [("independent", 0)] * len(features) and not alone.problems
    # A batch: every file by all of its speaker's files; a speaker with one file by the prior.
    names[0] = "lone"
    batch = standardize_by_ways(features, labels, prior, names, reliable_files=10)
    same = [i for i, name in enumerate(names) if name == names[1]]
    np.testing.assert_allclose(
        batch.features[1], prior.standardize(features[1:2], features[same])[0], atol=1e-6
    )
    assert batch.ways[0] == ("independent", 0) and batch.ways[1] == ("batch", len(same))
    assert any("has 5 files" in note for note in batch.notes)  # fewer than reliable_files
    # Enrolled: the enrollment's recordings, never the files predicted; others by the prior.
    enrolled = {"alice": features[:3]}
    by_enrollment = standardize_by_ways(
        features[3:5], labels[3:5], prior, names[3:5], ["alice", "bob"], enrolled
    )
    np.testing.assert_allclose(
        by_enrollment.features[0], prior.standardize(features[3:4], features[:3])[0], atol=1e-6
    )
    assert by_enrollment.ways == [("enrollment", 3), ("independent", 0)]


def test_without_a_prior_a_file_that_cannot_be_standardised_is_left_out_with_the_reason() -> None:
    features, speakers, _ = speakers_data(per_speaker=4)
    labels = [f"file{i}.wav" for i in range(len(features))]
    names = ["lone", *(f"speaker {s}" for s in speakers[1:])]
    batch = standardize_by_ways(features, labels, None, names)
    assert 0 not in batch.kept and len(batch.kept) == len(features) - 1
    assert batch.problems == [
        "file0.wav: lone has no other file here; this model normalizes every speaker by their own "
        "recordings, so give several files of each speaker, or --enroll recordings of them"
    ]
    exact = standardize_within_speakers(features[1:4], [1, 1, 1])
    np.testing.assert_allclose(batch.features[:3], exact, atol=1e-6)
    enrolled = standardize_by_ways(
        features[:2], labels[:2], None, names[:2], ["alice", "bob"], {"alice": features[:1]}
    )
    assert len(enrolled.kept) == 0
    assert (
        "the enrollment of 'alice' holds 1 recording; this model needs at least two" in enrolled.problems[0]
    )
    assert "speaker 'bob' is not enrolled (enrolled: alice)" in enrolled.problems[1]
    # Nothing known of any speaker (one recording alone): every file is left out, none crashes.
    alone = standardize_by_ways(features[:2], labels[:2], None)
    assert len(alone.kept) == 0 and len(alone.features) == 0
    assert alone.problems[0] == (
        "file0.wav: no speaker given; this model normalizes every speaker by their own recordings, so give "
        "several files of each speaker, or --enroll recordings of them"
    )
