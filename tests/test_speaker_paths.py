"""Three ways to meet a speaker with one ``--preset functionals`` audio model: all their files, an enrollment, none.

The same ways serve the default model (``--preset cnn-lstm``) on MFCC images standardised per speaker (the last tests).

Every test goes through ``train_models.py`` and ``predict.py`` as a user would, and checks
the probabilities against the standardisation the model's own speaker prior defines, so
that a prediction that quietly used other statistics (the files predicted instead of the
enrollment, say) fails. Accuracy on real voices is ``benchmarks/speakers.py``'s business.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import predict
from ravdess_emotion.core.ravdess import parse_name
from ravdess_emotion.features.enrollments import Enrollment
from ravdess_emotion.features.functionals import n_features
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.speakers import SpeakerPrior, standardize_within_speakers
from ravdess_emotion.features.views import extract_audio_features
from ravdess_emotion.models import EmotionModel
from tests.demo_training import train_on_demo

pytestmark = pytest.mark.slow  # every test here trains models or runs the scripts end to end


@pytest.fixture(scope="module")
def models(demo_audio: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The best speech model as trained now (``prior``) and as it was (``before``: --enrollment-copies none)."""
    # Speed copies would extract every training file five times; the speaker paths do not depend on them.
    options = ("--epochs", "3", "--speed-perturbation", "none")
    return {
        "prior": train_on_demo(demo_audio, tmp_path_factory.mktemp("prior"), "functionals", *options),
        "before": train_on_demo(
            demo_audio,
            tmp_path_factory.mktemp("before"),
            "functionals",
            *options,
            "--enrollment-copies",
            "none",
        ),
    }


def speech(demo_audio: Path, actor: int, statement: int | None = None, emotions=None) -> list[Path]:
    files = sorted((demo_audio / "audio" / "speech").rglob(f"*-{actor:02d}.wav"))
    return [
        f
        for f in files
        if (statement is None or parse_name(f).statement == statement)
        and (emotions is None or parse_name(f).emotion in emotions)
    ]


def run_predict(capsys, *args: object) -> tuple[int, pd.DataFrame, str]:
    code = predict.main([*map(str, args), "--format", "json"])  # full precision
    captured = capsys.readouterr()
    table = pd.DataFrame(json.loads(captured.out)) if code == 0 and captured.out.strip() else pd.DataFrame()
    return code, table, captured.err


def expected_probabilities(
    model_path: Path, targets: list[Path], recordings: list[Path] | None
) -> np.ndarray:
    """What the model gives ``targets`` standardised by ``recordings`` (None: each by none) with its own prior."""
    model = EmotionModel.load(model_path)
    settings = FeatureSettings.from_dict(model.metadata["features"])
    prior = SpeakerPrior.from_dict(model.metadata["speaker_prior"])

    def raw(files: list[Path]) -> np.ndarray:
        return np.concatenate([extract_audio_features(f, settings)[None] for f in files])

    targets_raw = raw(targets)
    known = raw(recordings) if recordings else targets_raw[:0]
    return model.predict(prior.standardize(targets_raw, known))


def probabilities(table: pd.DataFrame, model_path: Path) -> np.ndarray:
    return table[json.loads(model_path.with_suffix(".json").read_text())["emotions"]].to_numpy()


def test_the_model_json_says_which_ways_it_serves(models: dict[str, Path]) -> None:
    prior = json.loads(models["prior"].with_suffix(".json").read_text())
    assert prior["speaker_paths"] == ["batch", "enrollment", "independent"]
    assert prior["enrollment_sizes"] == [1, 3, 10]
    assert len(prior["speaker_prior"]["mean"]) == n_features()
    before = json.loads(models["before"].with_suffix(".json").read_text())
    assert "speaker_prior" not in before and before["enrollment_sizes"] is None
    assert predict.speaker_paths(EmotionModel.load(models["before"])) == ("batch", "enrollment")
    assert predict.speaker_paths(EmotionModel.load(models["prior"])) == ("batch", "enrollment", "independent")


def test_a_batch_of_a_speakers_files_is_standardised_by_all_of_them(
    models: dict[str, Path], demo_audio: Path, capsys
) -> None:
    files = speech(demo_audio, 6)
    code, table, _ = run_predict(capsys, models["prior"], *files)
    assert code == 0 and table["speaker_path"].eq("batch").all() and table["speaker_files"].eq(16).all()
    assert table["path"].tolist() == list(map(str, files))
    np.testing.assert_allclose(
        probabilities(table, models["prior"]),
        expected_probabilities(models["prior"], files, files),
        atol=1e-4,
    )


def test_one_recording_alone_is_predicted_without_speaker_statistics(
    models: dict[str, Path], demo_audio: Path, tmp_path: Path, capsys
) -> None:
    lone = tmp_path / "elsewhere" / "recording.wav"
    lone.parent.mkdir()
    shutil.copy(speech(demo_audio, 6)[0], lone)
    code, table, _ = run_predict(capsys, models["prior"], lone)
    assert code == 0 and table[["speaker_path", "speaker_files"]].values.tolist() == [["independent", 0]]
    alone = probabilities(table, models["prior"])
    np.testing.assert_allclose(alone, expected_probabilities(models["prior"], [lone], None), atol=1e-4)
    # --speaker-groups none: every file on its own, whatever else is predicted with it.
    files = speech(demo_audio, 6)[:4]
    code, table, _ = run_predict(capsys, models["prior"], lone, *files, "--speaker-groups", "none")
    assert code == 0 and table["speaker_path"].eq("independent").all()
    np.testing.assert_allclose(probabilities(table, models["prior"])[:1], alone, atol=1e-5)


def test_a_model_without_the_speaker_independent_way_says_what_it_can_do(
    models: dict[str, Path], demo_audio: Path, tmp_path: Path, capsys
) -> None:
    # What it can do, it does as in training: each speaker standardised by exactly their own files.
    files = speech(demo_audio, 6)
    code, table, _ = run_predict(capsys, models["before"], *files)
    model = EmotionModel.load(models["before"])
    settings = FeatureSettings.from_dict(model.metadata["features"])
    raw = np.concatenate([extract_audio_features(f, settings)[None] for f in files])
    expected = model.predict(standardize_within_speakers(raw, np.zeros(len(files))))
    assert code == 0 and table["speaker_path"].eq("batch").all()
    np.testing.assert_allclose(probabilities(table, models["before"]), expected, atol=1e-4)
    code, _, err = run_predict(
        capsys, models["before"], *speech(demo_audio, 6)[:3], "--speaker-groups", "none"
    )
    assert code == 2 and "cannot predict with --speaker-groups none" in err and "batch and enrollment" in err
    lone = tmp_path / "recording.wav"
    shutil.copy(speech(demo_audio, 6)[0], lone)
    code, _, err = run_predict(capsys, models["before"], lone, *speech(demo_audio, 5))
    assert code == 0 and "recording.wav" in err and "give several files of each speaker" in err
    enroll = tmp_path / "one"
    enroll.mkdir()
    shutil.copy(speech(demo_audio, 6, 1)[0], enroll)
    code, _, err = run_predict(capsys, models["before"], speech(demo_audio, 6, 2)[0], "--enroll", enroll)
    assert code == 1 and "holds 1 recording; this model needs at least two" in err


def test_an_enrollment_folder_alone_gives_the_statistics_and_is_stored_once(
    models: dict[str, Path], demo_audio: Path, tmp_path: Path, capsys
) -> None:
    enroll = tmp_path / "enroll"
    enroll.mkdir()
    recordings = speech(demo_audio, 6, statement=1)
    for f in recordings:
        shutil.copy(f, enroll)
    targets = speech(demo_audio, 6, statement=2)
    code, together, _ = run_predict(capsys, models["prior"], *targets, "--enroll", enroll)
    assert code == 0 and together["speaker_path"].eq("enrollment").all()
    assert together["speaker_files"].eq(len(recordings)).all()
    expected = expected_probabilities(models["prior"], targets, recordings)
    np.testing.assert_allclose(probabilities(together, models["prior"]), expected, atol=1e-4)
    # Never mixed: a target predicted alone gets the same as among the others.
    code, alone, _ = run_predict(capsys, models["prior"], targets[3], "--enroll", enroll)
    np.testing.assert_allclose(probabilities(alone, models["prior"]), expected[3:4], atol=1e-5)

    store = tmp_path / "store"
    code, _, err = run_predict(capsys, models["prior"], "--enroll", enroll, "--save-enrollment", store)
    assert (
        code == 0
        and "enrolled actor-06: 8 recordings" in err
        and [p.name for p in store.iterdir()] == ["actor-06.npz"]
    )
    shutil.rmtree(enroll)  # the stored enrollment needs no audio
    code, stored, _ = run_predict(capsys, models["prior"], *targets, "--enroll", store / "actor-06.npz")
    assert code == 0 and stored["speaker_files"].eq(len(recordings)).all()
    np.testing.assert_allclose(probabilities(stored, models["prior"]), expected, atol=1e-5)

    other = Enrollment.load(store / "actor-06.npz")
    other = Enrollment(other.speaker, other.features, {**other.settings, "sample_rate": 22050})
    elsewhere = other.save(tmp_path / "other")
    code, _, err = run_predict(capsys, models["prior"], targets[0], "--enroll", elsewhere)
    assert code == 2 and "sample_rate 22050 (the model: 16000)" in err and "enroll again" in err


def test_one_enrollment_file_unbalanced_enrollment_and_a_speaker_not_enrolled(
    models: dict[str, Path], demo_audio: Path, tmp_path: Path, capsys
) -> None:
    targets = speech(demo_audio, 6, statement=2)
    one, calm = tmp_path / "one", tmp_path / "calm"
    for folder, files in (
        (one, speech(demo_audio, 6, 1)[:1]),
        (calm, speech(demo_audio, 6, 1, emotions=(1, 2))),
    ):
        folder.mkdir()
        for f in files:
            shutil.copy(f, folder)
    assert len(list(calm.iterdir())) == 2  # neutral and calm only
    results = {}
    for name, folder in (("one", one), ("calm", calm)):
        code, table, _ = run_predict(
            capsys, models["prior"], *targets, speech(demo_audio, 5)[0], "--enroll", folder
        )
        assert code == 0
        mine = table[table["path"].isin(map(str, targets))]
        assert mine["speaker_path"].eq("enrollment").all()
        assert mine["speaker_files"].eq(len(list(folder.iterdir()))).all()
        expected = expected_probabilities(models["prior"], targets, sorted(folder.iterdir()))
        np.testing.assert_allclose(probabilities(mine, models["prior"]), expected, atol=1e-4)
        # Actor 5 is not enrolled: predicted without speaker statistics, and says so.
        assert table.loc[~table["path"].isin(map(str, targets)), "speaker_path"].tolist() == ["independent"]
        results[name] = probabilities(mine, models["prior"])
    assert not np.allclose(results["one"], results["calm"], atol=1e-3)


def test_speakers_without_ravdess_names_are_matched_by_their_folders_name(
    models: dict[str, Path], demo_audio: Path, tmp_path: Path, capsys
) -> None:
    enrolled, new = tmp_path / "enroll" / "alice", tmp_path / "today" / "alice"
    enrolled.mkdir(parents=True)
    new.mkdir(parents=True)
    for index, f in enumerate(speech(demo_audio, 4, 1)):
        shutil.copy(f, enrolled / f"take{index}.wav")
    shutil.copy(speech(demo_audio, 4, 2)[0], new / "hello.wav")
    code, table, _ = run_predict(capsys, models["prior"], new / "hello.wav", "--enroll", tmp_path / "enroll")
    assert code == 0 and table[["speaker_path", "speaker_files"]].values.tolist() == [["enrollment", 8]]


def test_the_help_example_enrolls_and_a_miss_is_reported(
    models: dict[str, Path], demo_audio: Path, tmp_path: Path, capsys
) -> None:
    """``--enroll my_voice/ --save-enrollment enrolled/``, then ``today.wav --enroll enrolled/ --speaker my_voice``."""
    my_voice = tmp_path / "my_voice"
    my_voice.mkdir()
    for index, f in enumerate(speech(demo_audio, 4, 1)):
        shutil.copy(f, my_voice / f"take{index}.wav")
    today = tmp_path / "today.wav"
    shutil.copy(speech(demo_audio, 4, 2)[0], today)
    code, _, err = run_predict(
        capsys, models["prior"], "--enroll", my_voice, "--save-enrollment", tmp_path / "enrolled"
    )
    assert code == 0 and "enrolled my_voice: 8 recordings" in err
    # Without --speaker the file's speaker is its folder's name, which nobody enrolled: said, not silent.
    code, table, err = run_predict(capsys, models["prior"], today, "--enroll", tmp_path / "enrolled")
    assert code == 0 and table["speaker_path"].tolist() == ["independent"]
    assert "warning: 1 files of speakers not enrolled" in err and "give --speaker NAME" in err
    assert "enrolled speakers with no file here: my_voice" in err
    code, table, err = run_predict(
        capsys, models["prior"], today, "--enroll", tmp_path / "enrolled", "--speaker", "my_voice"
    )
    assert code == 0 and table[["speaker_path", "speaker_files"]].values.tolist() == [["enrollment", 8]]
    assert "enrolled speakers matched: my_voice (1 files)" in err
    expected = expected_probabilities(models["prior"], [today], speech(demo_audio, 4, 1))
    np.testing.assert_allclose(probabilities(table, models["prior"]), expected, atol=1e-4)


def test_song_files_do_not_feed_the_statistics_of_a_speakers_speech(
    models: dict[str, Path], demo_audio: Path, capsys
) -> None:
    files = speech(demo_audio, 6)
    songs = sorted((demo_audio / "audio" / "song").rglob("*-06.wav"))[:4]
    assert songs and all(parse_name(f).vocal_channel == 2 for f in songs)
    code, table, err = run_predict(capsys, models["prior"], *files, *songs)
    assert code == 0 and "warning: 4 song recordings" in err and "given to a speech model" in err
    mine = table[table["path"].isin(map(str, files))]
    assert mine["speaker_files"].eq(len(files)).all()
    np.testing.assert_allclose(
        probabilities(mine, models["prior"]), expected_probabilities(models["prior"], files, files), atol=1e-4
    )
    assert table.loc[table["path"].isin(map(str, songs)), "speaker_files"].eq(len(songs)).all()


def test_contradictory_options_are_refused(models: dict[str, Path], demo_audio: Path, capsys) -> None:
    with pytest.raises(SystemExit):
        predict.main(
            [str(models["prior"]), str(speech(demo_audio, 6)[0]), "--enroll", "x", "--speaker-groups", "none"]
        )
    assert "choose one" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        predict.main([str(models["prior"])])
    assert "give files or folders to predict" in capsys.readouterr().err


@pytest.fixture(scope="module")
def mfcc_models(demo_audio: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Default (``--preset cnn-lstm``) speech models on small MFCC images: as the preset trains them (with a
    prior) and with exact statistics only (``exact``: ``--enrollment-copies none``)."""
    # 160 frames (3.7 s) hold every demo file (at most 3.5 s): one window per file, as in training.
    # No refit: a second training changes nothing in how the model meets a speaker.
    options = ("--epochs", "1", "--max-frames", "160", "--no-refit")
    return {
        "exact": train_on_demo(
            demo_audio,
            tmp_path_factory.mktemp("mfcc_exact"),
            "cnn-lstm",
            *options,
            "--enrollment-copies",
            "none",
        ),
        "prior": train_on_demo(demo_audio, tmp_path_factory.mktemp("mfcc_prior"), "cnn-lstm", *options),
    }


def test_mfcc_images_meet_a_speaker_in_the_same_three_ways(
    mfcc_models: dict[str, Path], demo_audio: Path, tmp_path: Path, capsys
) -> None:
    model = mfcc_models["prior"]
    saved = json.loads(model.with_suffix(".json").read_text())
    assert saved["speaker_paths"] == ["batch", "enrollment", "independent"]
    assert saved["features"]["speaker_norm"] and len(saved["speaker_prior"]["mean"]) == 13
    files = speech(demo_audio, 6)
    code, table, _ = run_predict(capsys, model, *files)
    assert code == 0 and table["speaker_path"].eq("batch").all()
    np.testing.assert_allclose(
        probabilities(table, model), expected_probabilities(model, files, files), atol=1e-4
    )
    lone = tmp_path / "elsewhere" / "recording.wav"
    lone.parent.mkdir()
    shutil.copy(files[0], lone)
    code, table, _ = run_predict(capsys, model, lone)
    assert code == 0 and table["speaker_path"].tolist() == ["independent"]
    np.testing.assert_allclose(
        probabilities(table, model), expected_probabilities(model, [lone], None), atol=1e-4
    )
    enroll, store = tmp_path / "enroll", tmp_path / "store"
    enroll.mkdir()
    recordings = speech(demo_audio, 6, statement=1)
    for f in recordings:
        shutil.copy(f, enroll)
    code, _, err = run_predict(capsys, model, "--enroll", enroll, "--save-enrollment", store)
    assert code == 0 and "enrolled actor-06: 8 recordings" in err
    assert Enrollment.load(store / "actor-06.npz").features.shape == (8, 13, 160)
    targets = speech(demo_audio, 6, statement=2)
    code, table, _ = run_predict(capsys, model, *targets, "--enroll", store / "actor-06.npz")
    assert code == 0 and table["speaker_path"].eq("enrollment").all()
    expected = expected_probabilities(model, targets, recordings)
    np.testing.assert_allclose(probabilities(table, model), expected, atol=1e-4)


def test_the_cnn_lstm_preset_standardises_a_batch_by_exactly_its_speakers_frames(
    mfcc_models: dict[str, Path], demo_audio: Path, tmp_path: Path, capsys
) -> None:
    model_path = mfcc_models["exact"]
    model = EmotionModel.load(model_path)
    assert predict.speaker_paths(model) == ("batch", "enrollment") and "speaker_prior" not in model.metadata
    settings = FeatureSettings.from_dict(model.metadata["features"])
    files = speech(demo_audio, 5)
    raw = np.concatenate([extract_audio_features(f, settings)[None] for f in files])
    code, table, _ = run_predict(capsys, model_path, *files)
    assert code == 0 and table["speaker_path"].eq("batch").all()
    expected = model.predict(standardize_within_speakers(raw, np.zeros(len(files))))
    np.testing.assert_allclose(probabilities(table, model_path), expected, atol=1e-4)
    lone = tmp_path / "recording.wav"
    shutil.copy(files[0], lone)
    code, _, err = run_predict(capsys, model_path, lone, *speech(demo_audio, 6))
    assert code == 0 and "recording.wav" in err and "give several files of each speaker" in err
