"""Actor-independent benchmark of the audio models on real RAVDESS audio, with a classic baseline.

For speech and song it runs, on the same K actor folds (``train_models.actor_folds``):

- the project's CNN-LSTM (``train_models.py --folds K`` with the chosen preset);
- a classic baseline a user could pick instead: per-file MFCC, delta-MFCC and log-mel
  statistics (mean and standard deviation over time) with a scikit-learn RBF SVM;

and it measures feature extraction: files per second of the project's parallel,
cached extractor against a plain sequential ``librosa.load`` + ``librosa.feature.mfcc``
loop on the same files, and the time of a second, cached run.

    python benchmark_audio.py --ravdess ../shared/ravdess --folds 5

The results go to ``reports/benchmark_audio.md`` and ``.csv``, with the command line,
package versions and the actors of every fold beside them in ``benchmark_audio.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import joblib
import librosa
import numpy as np
import pandas as pd
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from tqdm.auto import tqdm

import train_models
from data_loader import FeatureSettings, RAVDESSDataLoader, load_audio_samples
from organize_data import organize

BASELINE_SAMPLE_RATE = 22050


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


def svm_baseline(features: np.ndarray, y: np.ndarray, folds: list[train_models.ActorSplit]) -> pd.DataFrame:
    """RBF SVM on standardised statistics, trained on each fold's training and validation actors."""
    rows = []
    for index, split in enumerate(folds, start=1):
        train = np.concatenate([split.train, split.val])  # an SVM needs no early stopping
        classifier = make_pipeline(StandardScaler(), SVC(C=10.0, gamma="scale"))
        classifier.fit(features[train], y[train])
        predicted = classifier.predict(features[split.test])
        rows.append({"fold": index, **train_models.classification_metrics(y[split.test], predicted)})
    return pd.DataFrame(rows)


def extraction_speed(loader: RAVDESSDataLoader, channel: str, limit: int) -> dict[str, float]:
    """Files per second: the project's parallel extractor (cold, then cached) vs a sequential librosa loop."""
    rows = loader.select("audio", channel).head(limit)
    paths = [loader.data_dir / p for p in rows["path"]]
    settings = loader.settings

    started = time.perf_counter()
    for path in paths:
        samples, _ = librosa.load(path, sr=settings.sample_rate)
        librosa.feature.mfcc(y=samples, sr=settings.sample_rate, n_mfcc=settings.n_mfcc)
    sequential = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as cache:
        subset = RAVDESSDataLoader(loader.data_dir, settings, cache_dir=cache, n_jobs=loader.n_jobs)
        subset._manifest = loader.manifest[loader.manifest["path"].isin(rows["path"])]
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n")[-1])
    parser.add_argument(
        "--ravdess",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "shared" / "ravdess",
        help="real RAVDESS audio: archives or Actor_NN folders (default %(default)s)",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=Path("data/benchmark"),
        help="organized copy and caches (default %(default)s)",
    )
    parser.add_argument("--channels", default="speech,song", help="default %(default)s")
    parser.add_argument("--folds", type=int, default=5, help="actor folds (default %(default)s)")
    parser.add_argument(
        "--epochs", type=int, default=50, help="CNN-LSTM epochs per fold (default %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=42, help="default %(default)s")
    parser.add_argument(
        "--speed-files", type=int, default=200, help="files timed for extraction speed (default %(default)s)"
    )
    parser.add_argument("--skip-cnn", action="store_true", help="only the baseline and the extraction speed")
    parser.add_argument("--reports-dir", type=Path, default=Path("reports"), help="default %(default)s")
    args = parser.parse_args(argv)
    if not args.ravdess.is_dir():
        print(
            f"error: {args.ravdess} not found: point --ravdess at the RAVDESS audio archives or folders",
            file=sys.stderr,
        )
        return 2

    organized = args.work_dir / "organized"
    organize(args.ravdess, organized, progress=True)
    loader = RAVDESSDataLoader(organized, FeatureSettings())
    args.reports_dir.mkdir(parents=True, exist_ok=True)
    rows, speeds, fold_actors = [], {}, {}
    for channel in args.channels.split(","):
        speeds[channel] = extraction_speed(loader, channel, args.speed_files)
        print(f"{channel} extraction: {speeds[channel]}")
        _, y, info = loader.load_audio_dataset(channel, return_info=True)
        folds = train_models.actor_folds(info["actor"].to_numpy(), args.folds, seed=args.seed)
        fold_actors[channel] = [split.test_actors for split in folds]
        paths = [organized / p for p in info["path"]]
        features = np.stack(
            joblib.Parallel(n_jobs=-1)(
                joblib.delayed(statistics_features)(p) for p in tqdm(paths, desc=f"statistics {channel}")
            )
        )
        baseline = svm_baseline(features, y, folds)
        rows.append(_row("MFCC/log-mel statistics + SVM", channel, args.folds, baseline))
        print(rows[-1])
        if not args.skip_cnn:
            reports = args.reports_dir / "benchmark_cnn"
            status = train_models.main(
                [
                    "--data-dir",
                    str(organized),
                    "--models",
                    f"audio-{channel}",
                    "--folds",
                    str(args.folds),
                    "--epochs",
                    str(args.epochs),
                    "--seed",
                    str(args.seed),
                    "--verbose",
                    "0",
                    "--reports-dir",
                    str(reports),
                    "--plots-dir",
                    str(reports / "plots"),
                    "--models-dir",
                    str(args.work_dir / "models"),
                ]
            )
            if status:
                return status
            folds_table = pd.read_csv(reports / f"audio_emotion_{channel}_cv_folds.csv")
            rows.append(
                _row("CNN-LSTM, seed configuration (13 MFCC x 216)", channel, args.folds, folds_table)
            )
            print(rows[-1])
    table = pd.DataFrame(rows)
    table.to_csv(args.reports_dir / "benchmark_audio.csv", index=False)
    speed_table = pd.DataFrame(speeds).T
    text = (
        f"{table.to_markdown(index=False)}\n\nFeature extraction ({os.cpu_count()} cores):\n\n"
        f"{speed_table.to_markdown(floatfmt='.1f')}\n"
    )
    (args.reports_dir / "benchmark_audio.md").write_text(text)
    record = {
        "command": " ".join(["python", "benchmark_audio.py", *(argv if argv is not None else sys.argv[1:])]),
        "fold_test_actors": fold_actors,
        "versions": train_models.package_versions(),
        "results": rows,
        "extraction": speeds,
    }
    (args.reports_dir / "benchmark_audio.json").write_text(json.dumps(record, indent=2) + "\n")
    print(text)
    shutil.rmtree(args.work_dir / "models" / ".backup", ignore_errors=True)
    return 0


def _row(model: str, channel: str, n_folds: int, folds: pd.DataFrame) -> dict[str, object]:
    return {
        "model": model,
        "channel": channel,
        "protocol": f"{n_folds}-fold actor CV",
        **{m: f"{folds[m].mean():.3f} ± {folds[m].std(ddof=1):.3f}" for m in ("accuracy", "uar", "macro_f1")},
    }


if __name__ == "__main__":
    sys.exit(main())
