"""Actor-independent benchmark of the audio models on real RAVDESS audio, with a classic baseline.

For speech and song it runs, on the same K actor folds (``ravdess_emotion.training.splits.actor_folds``),
one row per step from the classic baseline to ``--preset functionals``:

- a classic baseline a user could pick instead: per-file MFCC, delta-MFCC and log-mel
  statistics (mean and standard deviation over time) with a scikit-learn RBF SVM;
- the same SVM with the statistics standardised per speaker, then on the full utterance
  functionals (``ravdess_emotion.features.functionals``) without and with per-speaker normalization;
- the project's networks through the training API (``ravdess_emotion.training.runs.cross_validate``,
  what ``train_models.py --folds K`` runs): the seed's CNN-LSTM
  (``--preset seed``), the same layers with a training recipe, then also with the MFCCs
  standardised per speaker, then also on copies standardised by a speaker prior alone
  (``--preset cnn-lstm``, the default); an MLP on the functionals, without and
  with per-speaker normalization; logistic regression on them (the ``--preset functionals`` network) without
  speed perturbation; with it on song (the preset uses it on speech only); and
  ``--preset functionals`` as it is;

and it measures feature extraction: files per second of the project's parallel,
cached extractor against a plain sequential ``librosa.load`` + ``librosa.feature.mfcc``
loop on the same files, and the time of a second, cached run.

    python -m benchmarks.audio --ravdess ../shared/ravdess --folds 5

The results go to ``reports/benchmark_audio.md`` and ``.csv``, with the command line,
package versions and the actors of every fold beside them in ``benchmark_audio.json``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import joblib
import librosa
import numpy as np
import pandas as pd
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from tqdm.auto import tqdm

from benchmarks.options import cross_validation_parser, organized_audio, row_config
from benchmarks.records import fold_summary, write_record
from ravdess_emotion.core.files import available_cores
from ravdess_emotion.features.audio import load_audio_samples
from ravdess_emotion.features.loader import RAVDESSDataLoader
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.speakers import standardize_within_speakers
from ravdess_emotion.features.views import compile_audio_code
from ravdess_emotion.training.metrics import classification_metrics
from ravdess_emotion.training.recipes import PRESETS
from ravdess_emotion.training.runs import cross_validate, loader_for
from ravdess_emotion.training.splits import ActorSplit, actor_folds

BASELINE_SAMPLE_RATE = 22050

BEST = PRESETS["functionals"]
SPEEDS = BEST.speed_perturbation["speech"]
MLP = {"audio_model": "AudioEmotionMLP", "speed_perturbation": ()}
BEST_RAW = replace(BEST.feature_settings(), speaker_norm=False)

NETWORK_VARIANTS: dict[str, tuple[str, str, dict[str, object], tuple[str, ...]]] = {
    "seed": ("CNN-LSTM on 13 MFCC x 216 (--preset seed)", "seed", {}, ("speech", "song")),
    "cnn-lstm-no-speaker-norm": (
        "the same layers and MFCCs with SpecAugment, attention pooling, mixup (--preset cnn-lstm "
        "--no-speaker-norm)",
        "cnn-lstm",
        {"audio_settings": replace(PRESETS["cnn-lstm"].feature_settings(), speaker_norm=False)},
        ("speech", "song"),
    ),
    "cnn-lstm-no-prior": (
        "the same + MFCCs standardised per speaker (--preset cnn-lstm --enrollment-copies none)",
        "cnn-lstm",
        {"enrollment_sizes": None},
        ("speech", "song"),
    ),
    "cnn-lstm": (
        "the same + copies standardised by a speaker prior alone (--preset cnn-lstm, the default)",
        "cnn-lstm",
        {},
        ("speech", "song"),
    ),
    "cnn-lstm-40-mfcc": (
        "the same on 40 MFCC x 216 instead of 13 (--preset cnn-lstm --n-mfcc 40)",
        "cnn-lstm",
        {"audio_settings": replace(PRESETS["cnn-lstm"].feature_settings(), n_mfcc=40)},
        ("speech", "song"),
    ),
    "mlp-no-speaker-norm": (
        "MLP on functionals, no per-speaker normalization",
        "functionals",
        {**MLP, "audio_settings": BEST_RAW},
        ("speech", "song"),
    ),
    "mlp": ("MLP on functionals + per-speaker norm.", "functionals", MLP, ("speech", "song")),
    "logistic": (
        "logistic regression on functionals + per-speaker norm.",
        "functionals",
        {"speed_perturbation": ()},
        ("speech", "song"),
    ),
    # For speech this is the preset itself: the row below measures it.
    "logistic-speed-song": (
        "logistic regression + per-speaker norm. + speed perturbation " + ",".join(f"{s:g}" for s in SPEEDS),
        "functionals",
        {"speed_perturbation": SPEEDS},
        ("song",),
    ),
    "functionals": ("--preset functionals", "functionals", {}, ("speech", "song")),
}
"""The networks trained: name -> (table row, preset, further ``RunConfig`` settings, channels)."""


def statistics_features(path: Path) -> np.ndarray:
    """Per-file statistics for the baseline: mean and std over time of 40 MFCCs, their deltas, and 64 log-mel bands.

    Returns
    -------
    np.ndarray, shape (288,), float32
    """
    samples = load_audio_samples(path, BASELINE_SAMPLE_RATE)
    samples, _ = librosa.effects.trim(samples, top_db=40)  # leading and trailing silence say nothing
    mel = librosa.feature.melspectrogram(y=samples, sr=BASELINE_SAMPLE_RATE, n_mels=64)
    log_mel = librosa.power_to_db(mel)
    mfcc = librosa.feature.mfcc(S=log_mel, n_mfcc=40)
    delta = librosa.feature.delta(mfcc)
    frames = np.concatenate([mfcc, delta, log_mel])
    return np.concatenate([frames.mean(axis=1), frames.std(axis=1)]).astype(np.float32)


def svm_folds(features: np.ndarray, y: np.ndarray, folds: list[ActorSplit]) -> pd.DataFrame:
    """RBF SVM on standardised statistics, trained on each fold's training and validation actors."""
    rows = []
    for index, split in enumerate(folds, start=1):
        train = np.concatenate([split.train, split.val])  # an SVM needs no early stopping
        classifier = make_pipeline(StandardScaler(), SVC(C=10.0, gamma="scale"))
        classifier.fit(features[train], y[train])
        predicted = classifier.predict(features[split.test])
        rows.append({"fold": index, **classification_metrics(y[split.test], predicted)})
    return pd.DataFrame(rows)


def extraction_speed(loader: RAVDESSDataLoader, channel: str, limit: int) -> dict[str, float]:
    """Files per second: the project's parallel extractor (cold, then cached) vs a sequential librosa loop."""
    rows = loader.select("audio", channel)
    rows = rows.head(limit) if limit else rows
    paths = [loader.data_dir / p for p in rows["path"]]
    settings = loader.settings

    started = time.perf_counter()
    for path in paths:
        samples, _ = librosa.load(path, sr=settings.sample_rate)
        librosa.feature.mfcc(y=samples, sr=settings.sample_rate, n_mfcc=settings.n_mfcc)
    sequential = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as cache:
        subset = RAVDESSDataLoader(
            loader.data_dir,
            settings,
            cache_dir=cache,
            n_jobs=loader.n_jobs,
            manifest=loader.manifest[loader.manifest["path"].isin(rows["path"])],
        )
        started = time.perf_counter()
        subset.load_audio_dataset(channel)
        parallel = time.perf_counter() - started
        started = time.perf_counter()
        subset.load_audio_dataset(channel)
        cached = time.perf_counter() - started
    return {
        "files": len(paths),
        "sequential_files_per_s": len(paths) / sequential,
        "project_files_per_s": len(paths) / parallel,
        "cached_files_per_s": len(paths) / cached,
        "speedup": sequential / parallel,
        "cached_seconds": cached,
    }


def main(argv: list[str] | None = None) -> int:
    parser = cross_validation_parser(
        __doc__,
        "data/benchmark",
        "organized copy and caches",
        "epochs per fold for every network (default: each preset's)",
    )
    parser.add_argument("--channels", default="speech,song", help="default %(default)s")
    parser.add_argument(
        "--speed-files",
        type=int,
        default=0,
        help="files timed for extraction speed per channel; 0 times all of them (default %(default)s)",
    )
    parser.add_argument(
        "--networks",
        default=",".join(NETWORK_VARIANTS),
        help="comma-separated networks to train, from: " + ", ".join(NETWORK_VARIANTS) + "; 'none' for only "
        "the SVM rows and the extraction speed (default: all)",
    )
    args = parser.parse_args(argv)
    networks = [] if args.networks == "none" else [n.strip() for n in args.networks.split(",") if n.strip()]
    unknown = sorted(set(networks) - set(NETWORK_VARIANTS))
    if unknown:
        parser.error(f"unknown networks {unknown}; choose from {', '.join(NETWORK_VARIANTS)}")
    organized = organized_audio(args)
    if organized is None:
        return 2
    loader = RAVDESSDataLoader(organized, FeatureSettings())
    # The SVM rows normalize per speaker themselves, so they read the raw functionals.
    functionals_loader = RAVDESSDataLoader(organized, BEST_RAW)
    args.reports_dir.mkdir(parents=True, exist_ok=True)
    rows, speeds, fold_actors = [], {}, {}
    for channel in args.channels.split(","):
        speeds[channel] = extraction_speed(loader, channel, args.speed_files)
        print(f"{channel} extraction: {speeds[channel]}")
        _, y, info = loader.load_audio_dataset(channel, return_info=True)
        actors = info["actor"].to_numpy()
        folds = actor_folds(actors, args.folds, seed=args.seed)
        fold_actors[channel] = [split.test_actors for split in folds]
        paths = [organized / p for p in info["path"]]
        compile_audio_code(BEST_RAW)  # before the workers: see ravdess_emotion.features.audio
        statistics = np.stack(
            joblib.Parallel(n_jobs=-1)(
                joblib.delayed(statistics_features)(p) for p in tqdm(paths, desc=f"statistics {channel}")
            )
        )
        functionals, _, functionals_info = functionals_loader.load_audio_dataset(channel, return_info=True)
        if not (functionals_info["path"].to_numpy() == info["path"].to_numpy()).all():
            raise RuntimeError("the MFCC and functionals datasets hold different files")  # same manifest rows
        svm_rows = (
            ("MFCC/log-mel statistics + SVM (baseline)", statistics),
            ("statistics + per-speaker normalization + SVM", standardize_within_speakers(statistics, actors)),
            ("functionals + SVM, no per-speaker normalization", functionals),
            (
                "functionals + per-speaker normalization + SVM",
                standardize_within_speakers(functionals, actors),
            ),
        )
        for name, features in svm_rows:
            rows.append(_row(name, channel, args.folds, svm_folds(features, y, folds)))
            print(rows[-1])
        for network in networks:
            name, preset, settings, channels = NETWORK_VARIANTS[network]
            if channel not in channels:
                continue
            reports = args.reports_dir / "benchmark_networks" / network
            config = row_config(args, organized, f"audio-{channel}", preset, reports, **settings)
            spec = config.specs()[0]
            result = cross_validate(spec, loader_for(spec, config), config)
            rows.append(_row(name, channel, args.folds, result.folds))
            print(rows[-1])
    table = pd.DataFrame(rows)
    table.to_csv(args.reports_dir / "benchmark_audio.csv", index=False)
    speed_table = pd.DataFrame(speeds).T
    # One line per step with speech and song side by side: the README's improvements table.
    steps = table.pivot(index="model", columns="channel", values="accuracy").reindex(
        index=table["model"].drop_duplicates(), columns=table["channel"].drop_duplicates()
    )
    text = (
        f"Accuracy ({args.folds}-fold actor cross-validation, mean ± std over folds):\n\n"
        f"{steps.to_markdown()}\n\nAll metrics:\n\n{table.to_markdown(index=False)}\n\n"
        f"Feature extraction ({available_cores()} cores):\n\n{speed_table.to_markdown(floatfmt='.1f')}\n"
    )
    (args.reports_dir / "benchmark_audio.md").write_text(text)
    write_record(
        args.reports_dir / "benchmark_audio.json",
        "benchmarks.audio",
        argv,
        fold_actors,
        rows,
        extraction=speeds,
    )
    print(text)
    shutil.rmtree(args.work_dir / "models" / ".backup", ignore_errors=True)
    return 0


def _row(model: str, channel: str, n_folds: int, folds: pd.DataFrame) -> dict[str, object]:
    return {
        "model": model,
        "channel": channel,
        "protocol": f"{n_folds}-fold actor CV",
        **fold_summary(folds),
    }


if __name__ == "__main__":
    sys.exit(main())
