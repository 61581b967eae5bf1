"""How well predict.py's speech-presence check separates voices from silence, tones and noise.

Runs ``speech_presence.no_speech_reason`` on every real RAVDESS recording of a folder
(``../shared/ravdess``: FLAC or WAV, speech and song), optionally on the same recordings
with white noise added at several signal-to-noise ratios, on the demo dataset's WAV files
when a folder is given, and on synthetic sounds that hold no voice (tones, noise, hum).
Prints, for each set, how many recordings the check calls "no speech" and the smallest,
5th-percentile and median spectral variation (``speech_presence.spectral_variation_db``), and
writes the table to ``reports/benchmark_speech_presence.md``.

    python benchmark_speech_presence.py --ravdess ../shared/ravdess --demo data/demo/organized
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ravdess_emotion.core.cli_text import plain_text
from ravdess_emotion.features.audio import load_audio_samples
from ravdess_emotion.features.speech_presence import ANALYSIS_RATE, no_speech_reason, spectral_variation_db

SNRS_DB = (20.0, 10.0, 5.0)


def non_speech_sounds(seconds: float = 3.5, seed: int = 0) -> dict[str, np.ndarray]:
    """Sounds without a voice, at ``ANALYSIS_RATE``: what the check must call "no speech"."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * ANALYSIS_RATE)) / ANALYSIS_RATE
    brown = np.cumsum(rng.standard_normal(len(t)))
    brown -= np.convolve(brown, np.ones(1600) / 1600, mode="same")  # no drift: a stationary rumble
    gate = (t > 1.0) & (t < 2.5)
    sounds = {
        # Digital silence never gets this far: the loader refuses it ("audio is pure silence").
        "near-silence (noise at -80 dBFS)": 1e-4 * rng.uniform(-1, 1, len(t)),
        "sine 440 Hz": 0.5 * np.sin(2 * np.pi * 440 * t),
        "sine 440 Hz at -40 dBFS": 0.01 * np.sin(2 * np.pi * 440 * t),
        "sine 220 Hz, 4 Hz amplitude modulation": 0.5
        * np.sin(2 * np.pi * 220 * t)
        * (0.5 + 0.5 * np.sin(8 * np.pi * t)),
        "sine 440 Hz between 1.0 and 2.5 s": 0.5 * np.sin(2 * np.pi * 440 * t) * gate,
        "white noise": 0.3 * rng.standard_normal(len(t)),
        "white noise between 1.0 and 2.5 s": 0.3 * rng.standard_normal(len(t)) * gate,
        "brown noise": 0.3 * brown / np.abs(brown).max(),
        "50 Hz hum in noise": 0.3 * np.sin(2 * np.pi * 50 * t) + 0.05 * rng.standard_normal(len(t)),
    }
    return {name: sound.astype(np.float32) for name, sound in sounds.items()}


def with_noise(samples: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """``samples`` plus white noise ``snr_db`` below the power of the loud part of the recording."""
    trimmed, _ = librosa.effects.trim(samples, top_db=40)
    signal_power = float(np.mean(trimmed**2))
    noise = rng.standard_normal(len(samples)) * np.sqrt(signal_power / 10 ** (snr_db / 10))
    return (samples + noise).astype(np.float32)


def judge(samples: np.ndarray) -> tuple[float, bool]:
    """The spectral variation of a recording at ``ANALYSIS_RATE``, and whether the check calls it no speech."""
    return spectral_variation_db(samples, ANALYSIS_RATE), no_speech_reason(samples, ANALYSIS_RATE) is not None


def summarize(name: str, results: list[tuple[float, bool]]) -> dict[str, object]:
    variations = np.array([variation for variation, _ in results])
    return {
        "set": name,
        "recordings": len(results),
        "called no speech": int(sum(flagged for _, flagged in results)),
        "smallest variation (dB)": round(float(variations.min()), 2),
        "5th percentile (dB)": round(float(np.percentile(variations, 5)), 2),
        "median (dB)": round(float(np.median(variations)), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=plain_text(__doc__.split("\n\n")[0]))
    parser.add_argument(
        "--ravdess", type=Path, required=True, help="folder of RAVDESS recordings (searched recursively)"
    )
    parser.add_argument(
        "--demo", type=Path, default=None, help="an organized demo folder whose WAV files to check too"
    )
    parser.add_argument(
        "--noisy-every",
        type=int,
        default=4,
        help="add noise to every Nth real recording (default %(default)s)",
    )
    parser.add_argument("--reports-dir", type=Path, default=Path("reports"), help="default %(default)s")
    args = parser.parse_args(argv)
    real = sorted(p for p in args.ravdess.rglob("03-*") if p.suffix.lower() in (".flac", ".wav"))
    if not real:
        print(f"error: no RAVDESS recordings (03-*.flac/.wav) under {args.ravdess}", file=sys.stderr)
        return 2
    rows, results, noisy = [], [], {snr: [] for snr in SNRS_DB}
    rng = np.random.default_rng(0)
    for index, path in enumerate(tqdm(real, desc="real recordings", unit="file")):
        samples = load_audio_samples(path, ANALYSIS_RATE)
        results.append(judge(samples))
        if index % args.noisy_every == 0:
            for snr in SNRS_DB:
                noisy[snr].append(judge(with_noise(samples, snr, rng)))
    rows.append(summarize(f"real RAVDESS ({args.ravdess})", results))
    rows.extend(summarize(f"real RAVDESS + white noise at {snr:g} dB SNR", noisy[snr]) for snr in SNRS_DB)
    if args.demo is not None:
        demo = sorted(args.demo.rglob("03-*.wav"))
        demo_results = [
            judge(load_audio_samples(path, ANALYSIS_RATE))
            for path in tqdm(demo, desc="demo recordings", unit="file")
        ]
        rows.append(summarize(f"synthetic demo voices ({args.demo})", demo_results))
    for name, sound in non_speech_sounds().items():
        rows.append(summarize(name, [judge(sound)]))
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    args.reports_dir.mkdir(parents=True, exist_ok=True)
    (args.reports_dir / "benchmark_speech_presence.md").write_text(table.to_markdown(index=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
