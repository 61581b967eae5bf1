"""The audio benchmark's network rows: each is the run its table row names (no training here)."""

import argparse
from pathlib import Path

import pytest

from benchmarks import audio
from benchmarks.options import row_config
from ravdess_emotion.features.views import audio_view


@pytest.mark.parametrize("network", list(audio.NETWORK_VARIANTS))
def test_every_network_row_is_a_valid_run_of_its_channels(
    network: str, benchmark_options: argparse.Namespace, tmp_path: Path
) -> None:
    args = benchmark_options
    label, preset, settings, channels = audio.NETWORK_VARIANTS[network]
    for channel in channels:
        config = row_config(args, tmp_path / "organized", f"audio-{channel}", preset, tmp_path, **settings)
        (spec,) = config.specs()
        assert (spec.channel, spec.preset, config.folds) == (channel, preset, 5)
        assert f"--preset {preset}" in label or preset == "functionals"


@pytest.mark.parametrize(("network", "coefficients"), [("cnn-lstm", 13), ("cnn-lstm-40-mfcc", 40)])
def test_the_mfcc_rows_differ_only_in_the_coefficients(
    network: str, coefficients: int, benchmark_options: argparse.Namespace, tmp_path: Path
) -> None:
    args = benchmark_options
    _, preset, settings, _ = audio.NETWORK_VARIANTS[network]
    config = row_config(args, tmp_path, "audio-speech", preset, tmp_path, **settings)
    default = row_config(args, tmp_path, "audio-speech", "cnn-lstm", tmp_path)
    assert config.audio_settings.n_mfcc == coefficients
    assert audio_view(config.audio_settings).shape(config.audio_settings) == (
        coefficients,
        default.audio_settings.max_frames,
    )
    assert config.specs() == default.specs()  # the same network, recipe and copies
