"""Action-unit features: clip vectors and sequences from confident frames, per-speaker standardisation, the loader."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.corpus.organize import organize
from ravdess_emotion.corpus.tracking import AU_COLUMNS, read_tracking, tracking_text
from ravdess_emotion.features.action_units import au_feature_names, au_features_job, clip_statistics
from ravdess_emotion.features.loader import RAVDESSDataLoader
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.views import audio_view, view_named


def _write_tracking(path: Path, units: np.ndarray, confidence: np.ndarray | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    confidence = np.full(len(units), 0.95) if confidence is None else confidence
    path.write_bytes(tracking_text(units, confidence))
    return path


def test_means_and_statistics_leave_out_frames_the_tracker_was_unsure_of(tmp_path: Path) -> None:
    units = np.zeros((4, 35))
    units[:, 0] = [1.0, 2.0, 4.0, 3.0]  # AU01_r
    path = _write_tracking(tmp_path / "01-01-01-01-01-01-01.csv", units, np.array([0.9, 0.9, 0.1, 0.9]))
    means = au_features_job(path, FeatureSettings(au_features="means"))
    assert means.shape == (35,) and means[0] == pytest.approx(2.0)  # frames 1, 2, 4
    stats = au_features_job(path, FeatureSettings(au_features="statistics"))
    assert stats.shape == view_named("au_clip").shape(FeatureSettings(au_features="statistics")) == (175,)
    named = dict(zip(au_feature_names(FeatureSettings(au_features="statistics")), stats, strict=True))
    assert named["AU01_r_mean"] == pytest.approx(2.0)
    assert named["AU01_r_std"] == pytest.approx(np.std([1, 2, 3]))
    assert named["AU01_r_mean_abs_change"] == pytest.approx(1.0)  # 1→2→3 between confident frames
    assert named["AU02_r_p90"] == 0


def test_a_sequence_is_resampled_over_the_confident_frames(tmp_path: Path) -> None:
    units = np.zeros((5, 35))
    units[:, 3] = [0, 1, 9, 2, 3]
    path = _write_tracking(tmp_path / "01-01-01-01-01-01-01.csv", units, np.array([0.9, 0.9, 0.0, 0.9, 0.9]))
    settings = FeatureSettings(au_features="sequence", au_frames=7)
    sequence = au_features_job(path, settings)
    assert sequence.shape == view_named("au_sequence").shape(settings) == (7, 35)
    np.testing.assert_allclose(
        sequence[:, 3], np.interp(np.linspace(0, 1, 7), np.linspace(0, 1, 4), [0, 1, 2, 3])
    )
    assert sequence[:, 3].max() < 9  # the failed frame never enters


def test_a_clip_table_row_gives_means_only(tmp_path: Path) -> None:
    path = tmp_path / "01-01-01-01-01-01-01.au-means.csv"
    path.write_text(pd.DataFrame([np.arange(35.0)], columns=list(AU_COLUMNS)).to_csv(index=False))
    np.testing.assert_array_equal(au_features_job(path, FeatureSettings()), np.arange(35.0))
    with pytest.raises(MediaError, match="needs per-frame tracking"):
        au_features_job(path, FeatureSettings(au_features="sequence"))


def test_real_tracking_statistics_are_finite() -> None:
    csv = (
        Path(__file__).resolve().parents[2].parent
        / "shared"
        / "ravdess_tracking"
        / "01-01-01-01-01-01-01.csv"
    )
    if not csv.is_file():
        pytest.skip(f"{csv} not found (../shared is absent on a fresh clone)")
    stats = clip_statistics(read_tracking(csv), statistics=True)
    assert stats.shape == (175,) and np.isfinite(stats).all()


@pytest.fixture
def faces_and_voices(tmp_path: Path) -> Path:
    """Two actors, 3 takes each: tracking CSVs for all, an extra table row for one, audio for all but one take."""
    source = tmp_path / "source"
    rng = np.random.default_rng(1)
    for actor in (1, 2):
        for emotion in (1, 3, 5):
            stem = f"01-01-0{emotion}-01-01-01-0{actor}"
            units = rng.uniform(0, 1, (6, 35)) + emotion
            _write_tracking(source / f"Actor_0{actor}" / f"{stem}.csv", units)
            if (actor, emotion) != (2, 5):
                t = np.arange(8000) / 16000
                voice = 0.3 * np.sin(2 * np.pi * (120 + 20 * emotion) * t) * rng.uniform(0.5, 1, 8000)
                sf.write(source / f"Actor_0{actor}" / f"03{stem[2:]}.wav", voice, 16000)
    table = pd.DataFrame([np.full(35, 99.0)], columns=list(AU_COLUMNS))
    table.insert(0, "name", ["01-01-01-01-01-01-01"])  # the same take as a tracking CSV
    table.to_csv(source / "table.csv", index=False)
    organize(source, tmp_path / "organized", progress=False)
    return tmp_path / "organized"


def test_the_loader_reads_one_face_file_per_take_and_prefers_tracking(
    faces_and_voices: Path, tmp_path
) -> None:
    loader = RAVDESSDataLoader(
        faces_and_voices, FeatureSettings(au_normalization="none"), cache_dir=tmp_path / "c"
    )
    X, y, info = loader.load_au_dataset("speech", return_info=True)
    assert X.shape == (6, 35)
    assert set(info["content"]) == {"tracking"}  # the table row of the same take lost to the per-frame file
    assert X.max() < 99
    assert sorted(y.tolist()) == [0, 0, 2, 2, 4, 4]
    np.testing.assert_allclose(X.mean(axis=1), y + 1.5, atol=0.2)  # uniform(0, 1) + emotion code
    again = RAVDESSDataLoader(
        faces_and_voices, FeatureSettings(au_normalization="none"), cache_dir=tmp_path / "c"
    )
    np.testing.assert_array_equal(again.load_au_dataset("speech")[0], X)  # from the cache
    assert len(list((tmp_path / "c").glob("au_speech_*.npz"))) == 1
    normalized = RAVDESSDataLoader(faces_and_voices, FeatureSettings(), cache_dir=tmp_path / "c")
    Xn, _, info_n = normalized.load_au_dataset("speech", return_info=True)
    np.testing.assert_allclose(Xn[info_n["actor"].to_numpy() == 1].mean(axis=0), 0, atol=1e-5)


def test_audio_and_faces_are_paired_by_take_and_a_missing_side_is_reported(
    faces_and_voices: Path, tmp_path
) -> None:
    settings = FeatureSettings(audio_features="functionals", sample_rate=16000, n_fft=1024, hop_length=160)
    loader = RAVDESSDataLoader(faces_and_voices, settings, cache_dir=tmp_path / "c", n_jobs=1, progress=False)
    (X_audio, X_au), y, info = loader.load_audio_au_dataset("speech", return_info=True)
    assert len(X_audio) == len(X_au) == len(y) == 5
    assert X_audio.shape[1] == audio_view(settings).shape(settings)[0] and X_au.shape[1] == 35
    assert [p.split("/")[-1][3:] for p in info["audio_path"]] == [
        p.split("/")[-1][3:-4] + ".wav" for p in info["path"]
    ]
    assert any(
        "01-05-01-01-01-02" in message and "no audio-only file" in message for message in loader.skipped
    )
    with pytest.raises(MediaError, match="strict"):
        RAVDESSDataLoader(
            faces_and_voices, settings, cache_dir=tmp_path / "c", n_jobs=1, progress=False, strict=True
        ).load_audio_au_dataset("speech")


def test_a_cache_written_for_other_settings_is_rebuilt(faces_and_voices: Path, tmp_path, capsys) -> None:
    means = RAVDESSDataLoader(
        faces_and_voices, FeatureSettings(au_normalization="none"), cache_dir=tmp_path / "c"
    )
    means.load_au_dataset("speech")
    (means_cache,) = (tmp_path / "c").glob("au_speech_*.npz")
    settings = FeatureSettings(au_features="sequence", au_frames=4, au_normalization="none")
    sequences = RAVDESSDataLoader(faces_and_voices, settings, cache_dir=tmp_path / "c")
    # The means' cache put where the sequences' would be: its stored key gives it away.
    sequences.load_au_dataset("speech")
    (target,) = set((tmp_path / "c").glob("au_speech_*.npz")) - {means_cache}
    target.write_bytes(means_cache.read_bytes())
    capsys.readouterr()
    X = sequences.load_au_dataset("speech")[0]
    assert X.shape == (6, 4, 35)
    assert "written for other settings, files or feature version; rebuilding it" in capsys.readouterr().err
