"""The ``--preset best`` recipe on the command line: its defaults, explicit options that win, usage errors."""

import pytest

import train_models
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.models import AudioEmotionCNNLSTM, AudioEmotionLogistic, AudioEmotionMLP

BEST = train_models.PRESETS["best"].feature_settings()


def test_preset_sets_audio_defaults_and_explicit_options_win() -> None:
    args = train_models.parse_args(["--preset", "best", "--models", "audio-speech,video-song"])
    audio, video = args.specs()
    # 32 files a batch, each standardised 5 ways: by all of its speaker's, by none, by 1, 3 and 10.
    assert audio.model_class is AudioEmotionLogistic and (audio.epochs, audio.batch_size) == (60, 32 * 5)
    assert audio.speeds == (0.9, 0.95, 1.05, 1.1) and audio.enrollment_sizes == (1, 3, 10)
    assert video == train_models.MODEL_SPECS["video-song"]
    assert args.audio_settings == BEST and args.video_settings.audio_features == "mfcc"
    assert args.refit is True and args.patience == 0
    # Speed perturbation is for speech only: it measured worse on song.
    assert train_models.parse_args(["--preset", "best", "--models", "audio-song"]).specs()[0].speeds == ()
    options = "--preset best --models audio-speech,video-song --audio-model AudioEmotionMLP --speed-perturbation none"
    args = train_models.parse_args(options.split())
    assert args.specs()[0].model_class is AudioEmotionMLP and args.specs()[0].speeds == ()
    assert args.specs()[1] == train_models.MODEL_SPECS["video-song"]
    args = train_models.parse_args(["--models", "audio-song", "--speed-perturbation", "0.8, 1.25"])
    assert args.specs()[0].speeds == (0.8, 1.25)
    args = train_models.parse_args(
        ["--preset", "best", "--no-speaker-norm", "--sample-rate", "22050", "--patience", "5", "--no-refit"]
    )
    assert not args.audio_settings.speaker_norm and args.audio_settings.sample_rate == 22050
    assert (args.patience, args.refit) == (5, False)
    # Without per-speaker normalization there is nothing to copy: the batch stays the preset's.
    assert args.specs()[0].batch_size == 32
    for option, sizes, batch in (("none", None, 32), ("prior", (), 64), ("2,20", (2, 20), 128)):
        spec = train_models.parse_args(["--preset", "best", "--enrollment-copies", option]).specs()[0]
        assert (spec.enrollment_sizes, spec.batch_size) == (sizes, batch)
    assert (
        train_models.parse_args(["--preset", "best", "--batch-size", "8"]).batch_size == 8
    )  # it wins in fitting
    for bad in ("0,3", "three", ""):
        with pytest.raises(SystemExit):
            train_models.parse_args(["--preset", "best", "--enrollment-copies", bad])
    seed = train_models.parse_args([])
    # The seed's audio settings; the action-unit models of the seed preset read AU sequences.
    assert seed.specs()[0].model_class is AudioEmotionCNNLSTM
    assert seed.audio_settings == FeatureSettings(au_features="sequence")
    assert (seed.refit, seed.patience) == (False, 10)
    assert [spec.name for spec in seed.specs()] == list(train_models.DESIGN_MODELS)


def test_presets_choose_the_action_unit_models_and_their_files() -> None:
    faces = "au-speech,au-song,fusion-au-speech,fusion-au-song"
    seed = train_models.parse_args(["--models", faces])
    assert [s.model_class.__name__ for s in seed.specs()] == ["AUEmotionLSTM"] * 2 + [
        "AudioAUEmotionFusion"
    ] * 2
    assert [s.file_stem for s in seed.specs()] == [
        "au_emotion_speech",
        "au_emotion_song",
        "fusion_au_emotion_speech",
        "fusion_au_emotion_song",
    ]
    best = train_models.parse_args(["--models", faces, "--preset", "best"])
    assert [s.model_class.__name__ for s in best.specs()] == ["AUEmotionLogistic"] * 2 + [
        "AudioAULateFusion"
    ] * 2
    assert best.specs()[2].file_stem == "fusion_au_emotion_speech_best"
    assert best.settings_for(best.specs()[0]) == best.audio_settings
    assert (best.audio_settings.au_features, best.audio_settings.au_normalization) == ("means", "zscore+rank")
    assert best.audio_settings.au_shape == (70,)
    assert seed.audio_settings.au_normalization == "zscore" and seed.audio_settings.au_shape == (32, 35)
    # Speed copies of the audio (paired with the same faces) for speech fusion, as for the audio model.
    assert [s.speeds for s in best.specs()] == [(), (), (0.9, 0.95, 1.05, 1.1), ()]
    options = ["--models", "au-speech", "--au-features", "statistics", "--au-normalization", "none"]
    settings = train_models.parse_args(options).audio_settings
    assert (settings.au_features, settings.au_normalization, settings.au_shape) == (
        "statistics",
        "none",
        (175,),
    )


def test_the_cnn_lstm_preset_standardises_the_seeds_mfcc_images_per_speaker() -> None:
    args = train_models.parse_args(["--preset", "cnn-lstm", "--models", "audio-speech"])
    settings, spec = args.audio_settings, args.specs()[0]
    assert settings.speaker_norm and settings.audio_shape == (13, 216) and settings.sample_rate == 22050
    # Exact statistics only (batch and enrollment): no prior copies, so the batch stays the preset's.
    assert spec.enrollment_sizes is None and spec.batch_size == 32
    assert spec.file_stem == "audio_emotion_speech_cnn-lstm"
    with_prior = train_models.parse_args(["--preset", "cnn-lstm", "--enrollment-copies", "prior"]).specs()[0]
    assert with_prior.enrollment_sizes == () and with_prior.batch_size == 64
    assert not train_models.parse_args(
        ["--preset", "cnn-lstm", "--no-speaker-norm"]
    ).audio_settings.speaker_norm
    assert not train_models.parse_args([]).audio_settings.speaker_norm  # the seed's default


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("fast", "'fast' is not a comma-separated list of speeds"),
        ("1.0", "differ from 1.0"),
        ("0.9,2.5", "between 0.5 and 2.0"),
        (",", "between 0.5 and 2.0"),
    ],
)
def test_bad_speed_perturbation_is_a_usage_error(value: str, message: str, capsys) -> None:
    with pytest.raises(SystemExit):
        train_models.parse_args(["--preset", "best", "--speed-perturbation", value])
    assert message in capsys.readouterr().err
