"""The presets on the command line (the default ``cnn-lstm``, ``seed``, ``functionals``, ``whisper``, ``best``): its defaults, explicit options that win, usage errors."""

import pytest

import train_models
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.views import audio_view, resolve_view
from ravdess_emotion.models import AudioEmotionCNNLSTM, AudioEmotionLogistic, AudioEmotionMLP

BEST = train_models.PRESETS["functionals"].feature_settings()


def test_preset_sets_audio_defaults_and_explicit_options_win() -> None:
    args = train_models.parse_args(["--preset", "functionals", "--models", "audio-speech,video-song"])
    audio, video = args.specs()
    # 32 files a batch, each standardised 5 ways: by all of its speaker's, by none, by 1, 3 and 10.
    assert audio.model_class is AudioEmotionLogistic and (audio.epochs, audio.batch_size) == (60, 32 * 5)
    assert audio.speeds == (0.9, 0.95, 1.05, 1.1) and audio.enrollment_sizes == (1, 3, 10)
    assert video == train_models.MODEL_SPECS["video-song"]
    assert args.audio_settings == BEST and args.video_settings.audio_features == "mfcc"
    # The preset's patience and refit are the audio model's; video keeps the seed's (10, no refit).
    assert (audio.patience, audio.refit, video.patience, video.refit) == (0, True, 10, False)
    # Speed perturbation is for speech only: it measured worse on song.
    assert (
        train_models.parse_args(["--preset", "functionals", "--models", "audio-song"]).specs()[0].speeds == ()
    )
    options = "--preset functionals --models audio-speech,video-song --audio-model AudioEmotionMLP --speed-perturbation none"
    args = train_models.parse_args(options.split())
    assert args.specs()[0].model_class is AudioEmotionMLP and args.specs()[0].speeds == ()
    assert args.specs()[1] == train_models.MODEL_SPECS["video-song"]
    args = train_models.parse_args(["--models", "audio-song", "--speed-perturbation", "0.8, 1.25"])
    assert args.specs()[0].speeds == (0.8, 1.25)
    args = train_models.parse_args(
        [
            "--preset",
            "functionals",
            "--no-speaker-norm",
            "--sample-rate",
            "22050",
            "--patience",
            "5",
            "--no-refit",
        ]
    )
    assert not args.audio_settings.speaker_norm and args.audio_settings.sample_rate == 22050
    assert all((spec.patience, spec.refit) == (5, False) for spec in args.specs())
    # Without per-speaker normalization there is nothing to copy: the batch stays the preset's.
    assert args.specs()[0].batch_size == 32
    for option, sizes, batch in (("none", None, 32), ("prior", (), 64), ("2,20", (2, 20), 128)):
        spec = train_models.parse_args(["--preset", "functionals", "--enrollment-copies", option]).specs()[0]
        assert (spec.enrollment_sizes, spec.batch_size) == (sizes, batch)
    assert (
        train_models.parse_args(["--preset", "functionals", "--batch-size", "8"]).batch_size == 8
    )  # it wins in fitting
    for bad in ("0,3", "three", ""):
        with pytest.raises(SystemExit):
            train_models.parse_args(["--preset", "functionals", "--enrollment-copies", bad])
    seed = train_models.parse_args(["--preset", "seed"])
    # The seed's audio settings; the action-unit models of the seed preset read AU sequences.
    assert seed.specs()[0].model_class is AudioEmotionCNNLSTM
    assert seed.audio_settings == FeatureSettings(au_features="sequence")
    assert {(spec.refit, spec.patience) for spec in seed.specs()} == {(False, 10)}
    assert [spec.name for spec in seed.specs()] == list(train_models.DESIGN_MODELS)
    # Its files say that they are the seed's; the default preset's files carry no preset name.
    assert [spec.file_stem for spec in seed.specs()[:3]] == [
        "audio_emotion_speech_seed",
        "audio_emotion_song_seed",
        "video_emotion_speech",
    ]


def test_presets_choose_the_action_unit_models_and_their_files() -> None:
    faces = "au-speech,au-song,fusion-au-speech,fusion-au-song"
    seed = train_models.parse_args(["--models", faces, "--preset", "seed"])
    assert [s.model_class.__name__ for s in seed.specs()] == ["AUEmotionLSTM"] * 2 + [
        "AudioAUEmotionFusion"
    ] * 2
    assert [s.file_stem for s in seed.specs()] == [
        "au_emotion_speech_seed",
        "au_emotion_song_seed",
        "fusion_au_emotion_speech_seed",
        "fusion_au_emotion_song_seed",
    ]
    default = train_models.parse_args(["--models", faces])  # the seed's face models, the default's names
    assert [s.model_class for s in default.specs()] == [s.model_class for s in seed.specs()]
    assert default.specs()[2].file_stem == "fusion_au_emotion_speech"
    best = train_models.parse_args(["--models", faces, "--preset", "functionals"])
    assert [s.model_class.__name__ for s in best.specs()] == ["AUEmotionLogistic"] * 2 + [
        "AudioAULateFusion"
    ] * 2
    assert best.specs()[2].file_stem == "fusion_au_emotion_speech_functionals"
    assert best.settings_for(best.specs()[0]) == best.audio_settings
    assert (best.audio_settings.au_features, best.audio_settings.au_normalization) == ("means", "zscore+rank")
    assert resolve_view("face", best.audio_settings).shape(best.audio_settings) == (70,)
    assert seed.audio_settings.au_normalization == "zscore"
    assert resolve_view("face", seed.audio_settings).shape(seed.audio_settings) == (32, 35)
    # Speed copies of the audio (paired with the same faces) for speech fusion, as for the audio model.
    assert [s.speeds for s in best.specs()] == [(), (), (0.9, 0.95, 1.05, 1.1), ()]
    options = ["--models", "au-speech", "--au-features", "statistics", "--au-normalization", "none"]
    settings = train_models.parse_args(options).audio_settings
    assert (
        settings.au_features,
        settings.au_normalization,
        resolve_view("face", settings).shape(settings),
    ) == (
        "statistics",
        "none",
        (175,),
    )


def test_the_default_preset_standardises_the_seeds_mfcc_images_per_speaker() -> None:
    args = train_models.parse_args(["--models", "audio-speech,video-speech"])
    assert args == train_models.parse_args(["--preset", "cnn-lstm", "--models", "audio-speech,video-speech"])
    settings, (spec, video) = args.audio_settings, args.specs()
    assert (
        settings.speaker_norm
        and audio_view(settings).shape(settings) == (13, 216)
        and settings.sample_rate == 22050
    )
    # Each file standardised by its speaker's recordings and by the prior alone: batches of 32 x 2.
    assert spec.enrollment_sizes == () and spec.batch_size == 64
    assert (spec.epochs, spec.patience, spec.refit) == (40, 0, True)
    assert spec.file_stem == "audio_emotion_speech" and spec.label == "audio-speech"
    # The video model is the seed's under every preset: early stopping, no refit, its own batch.
    assert video == train_models.MODEL_SPECS["video-speech"] and (video.patience, video.refit) == (10, False)
    exact = train_models.parse_args(["--enrollment-copies", "none"]).specs()[0]
    assert exact.enrollment_sizes is None and exact.batch_size == 32
    raw = train_models.parse_args(["--no-speaker-norm"])
    # Nothing to standardise, so no copies: the seed's unstandardised MFCCs with the recipe.
    assert not raw.audio_settings.speaker_norm
    assert (raw.specs()[0].enrollment_sizes, raw.specs()[0].batch_size) == (None, 32)
    assert not train_models.parse_args(["--preset", "seed"]).audio_settings.speaker_norm


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
        train_models.parse_args(["--preset", "functionals", "--speed-perturbation", value])
    assert message in capsys.readouterr().err
