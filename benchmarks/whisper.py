"""Whisper-base hidden states as an audio view on real RAVDESS: what each step adds, actor-independent.

For speech and song, on the same K actor folds as ``benchmarks/audio.py``
(``ravdess_emotion.training.splits.actor_folds`` over the actors given, seed 42), one row per step:

- probes, scikit-learn logistic regression (C = 0.01) on the pooled statistics of the
  ``whisper`` view standardised within each actor, trained on each fold's training and
  validation actors: the last layer alone (what CTranslate2's ``encode`` returns), each
  other layer alone, and all seven;
- through the training API (``ravdess_emotion.training.runs.cross_validate``, what
  ``train_models.py --folds K`` runs), each with the ``--preset whisper`` recipe (a speaker
  prior and enrollment copies, a refit on training and validation actors, no speed
  copies): logistic regression on all layers (the preset itself), the MLP, a learned
  weighting of the layers (``AudioEmotionLayerWeighting``); and ``--preset best``, the late
  fusion of the Whisper and the functionals models (an ensemble of views whose weight is
  chosen on each fold's validation actors), each member trained by its own preset;

and the extraction speed: files per second of the Whisper view and of the functionals,
each from an empty cache on the same files in the same run, and the time both would
take for all 2,452 RAVDESS audio files.

    python -m benchmarks.whisper --ravdess ../shared/ravdess --folds 5

The results go to ``reports/benchmark_whisper.md`` and ``.csv``, with the command line,
package versions and the actors of every fold in ``benchmark_whisper.json``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from benchmarks.options import cross_validation_parser, organized_audio, row_config
from benchmarks.records import fold_summary, write_record
from ravdess_emotion.core.files import available_cores
from ravdess_emotion.features.loader import RAVDESSDataLoader
from ravdess_emotion.features.speakers import standardize_within_speakers
from ravdess_emotion.features.views import view_named
from ravdess_emotion.training.metrics import classification_metrics
from ravdess_emotion.training.recipes import PRESETS
from ravdess_emotion.training.runs import cross_validate, loader_for
from ravdess_emotion.training.splits import actor_folds

RAVDESS_AUDIO_FILES = 2452
"""Audio-only files of the whole RAVDESS release (speech and song, actors 01-24)."""
WHISPER = PRESETS["whisper"].feature_settings()
FUNCTIONALS = PRESETS["functionals"].feature_settings()
PROBE_C = 0.01

NETWORKS: dict[str, tuple[str, dict[str, object]]] = {
    "logistic": ("Whisper, all layers: logistic regression", {}),
    "mlp": ("Whisper, all layers: MLP", {"audio_model": "AudioEmotionMLP"}),
    "layer-weighting": (
        "Whisper: a learned weighting of the layers",
        {"audio_model": "AudioEmotionLayerWeighting"},
    ),
}
"""Rows through the training API: name -> (table row, further ``RunConfig`` settings)."""


def probe_folds(features: np.ndarray, y: np.ndarray, actors: np.ndarray, folds) -> pd.DataFrame:
    """Logistic regression on features standardised per actor, trained on each fold's training and validation actors."""
    standardized = standardize_within_speakers(features, actors)
    rows = []
    for index, split in enumerate(folds, start=1):
        train = np.concatenate([split.train, split.val])
        classifier = LogisticRegression(C=PROBE_C, max_iter=3000).fit(standardized[train], y[train])
        rows.append(
            {
                "fold": index,
                **classification_metrics(y[split.test], classifier.predict(standardized[split.test])),
            }
        )
    return pd.DataFrame(rows)


def extraction_speed(loader: RAVDESSDataLoader, channel: str, limit: int) -> dict[str, float]:
    """Files per second of the Whisper view and of the functionals, each from an empty cache, on the same files."""
    rows = loader.rows_of([view_named("whisper")], channel)
    rows = rows.head(limit) if limit else rows
    manifest = loader.manifest[loader.manifest["path"].isin(rows["path"])]
    speeds: dict[str, float] = {"files": len(rows), "cores": available_cores()}
    for name, settings in (("whisper", WHISPER), ("functionals", FUNCTIONALS)):
        with tempfile.TemporaryDirectory() as cache:
            subset = RAVDESSDataLoader(loader.data_dir, settings, cache_dir=cache, manifest=manifest)
            started = time.perf_counter()
            subset.load_views([view_named(name)], channel, standardize=False)
            seconds = time.perf_counter() - started
        speeds[f"{name}_files_per_s"] = len(rows) / seconds
        speeds[f"{name}_minutes_for_ravdess"] = RAVDESS_AUDIO_FILES / (len(rows) / seconds) / 60
    return speeds


def main(argv: list[str] | None = None) -> int:
    parser = cross_validation_parser(
        __doc__,
        "data/benchmark",
        "organized copy and caches, shared with benchmarks.audio",
        "epochs per fold for every network (default: the preset's)",
    )
    parser.add_argument("--channels", default="speech,song", help="default %(default)s")
    parser.add_argument(
        "--speed-files",
        type=int,
        default=200,
        help="files timed for extraction speed per channel; 0 times all of them (default %(default)s)",
    )
    parser.add_argument(
        "--steps",
        default="probes,logistic,mlp,layer-weighting,ensemble",
        help="comma-separated rows: probes, " + ", ".join(NETWORKS) + ", ensemble (default: all); '' times "
        "the extraction alone",
    )
    args = parser.parse_args(argv)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    if unknown := sorted(set(steps) - {"probes", "ensemble", *NETWORKS}):
        parser.error(f"unknown steps {unknown}; choose from probes, {', '.join(NETWORKS)}, ensemble")
    organized = organized_audio(args)
    if organized is None:
        return 2
    loader = RAVDESSDataLoader(organized, WHISPER)
    args.reports_dir.mkdir(parents=True, exist_ok=True)
    rows, speeds, fold_actors = [], {}, {}
    for channel in args.channels.split(","):
        X, y, info = loader.load_views([view_named("whisper")], channel, standardize=False)
        actors = info["actor"].to_numpy()
        folds = actor_folds(actors, args.folds, seed=args.seed)
        fold_actors[channel] = [split.test_actors for split in folds]
        if "probes" in steps:
            width = X.shape[1] // 7
            layers = {
                f"layer {i}" + (" (the last, CTranslate2's output)" if i == 6 else ""): slice(
                    i * width, (i + 1) * width
                )
                for i in range(7)
            }
            for name, columns in {**layers, "all 7 layers": slice(None)}.items():
                rows.append(
                    _row(
                        f"probe, Whisper {name}",
                        channel,
                        args.folds,
                        probe_folds(X[:, columns], y, actors, folds),
                    )
                )
                print(rows[-1], flush=True)
        common = {"audio_settings": WHISPER, "cache_dir": organized.parent / "features"}
        for network, (label, settings) in NETWORKS.items():
            if network not in steps:
                continue
            reports = args.reports_dir / "benchmark_whisper" / network
            config = row_config(args, organized, f"audio-{channel}", "whisper", reports, **common, **settings)
            spec = config.specs()[0]
            rows.append(
                _row(label, channel, args.folds, cross_validate(spec, loader_for(spec, config), config).folds)
            )
            print(rows[-1], flush=True)
        if "ensemble" in steps:
            reports = args.reports_dir / "benchmark_whisper" / "ensemble"
            config = row_config(args, organized, f"audio-{channel}", "best", reports, **common)
            spec = config.specs()[0]
            label = "Whisper + functionals, late fusion weighted on validation actors (--preset best)"
            rows.append(
                _row(label, channel, args.folds, cross_validate(spec, loader_for(spec, config), config).folds)
            )
            print(rows[-1], flush=True)
        speeds[channel] = extraction_speed(loader, channel, args.speed_files)
        print(f"{channel} extraction: {speeds[channel]}", flush=True)
    table = pd.DataFrame(rows, columns=["model", "channel", "protocol", "accuracy", "uar", "macro_f1"])
    table.to_csv(args.reports_dir / "benchmark_whisper.csv", index=False)
    text = ""
    if rows:  # --steps "" measures the extraction speed alone
        steps_table = table.pivot(index="model", columns="channel", values="accuracy").reindex(
            index=table["model"].drop_duplicates(), columns=table["channel"].drop_duplicates()
        )
        text = (
            f"Accuracy ({args.folds}-fold actor cross-validation, mean ± std over folds):\n\n"
            f"{steps_table.to_markdown()}\n\nAll metrics:\n\n{table.to_markdown(index=False)}\n\n"
        )
    text += (
        f"Feature extraction, each view from an empty cache ({available_cores()} cores):\n\n"
        f"{pd.DataFrame(speeds).T.to_markdown(floatfmt='.2f')}\n"
    )
    (args.reports_dir / "benchmark_whisper.md").write_text(text)
    write_record(
        args.reports_dir / "benchmark_whisper.json",
        "benchmarks.whisper",
        argv,
        fold_actors,
        rows,
        extraction=speeds,
    )
    print(text)
    shutil.rmtree(args.work_dir / "models" / ".backup", ignore_errors=True)
    return 0


def _row(model: str, channel: str, n_folds: int, folds: pd.DataFrame) -> dict[str, object]:
    return {"model": model, "channel": channel, "protocol": f"{n_folds}-fold actor CV", **fold_summary(folds)}


if __name__ == "__main__":
    sys.exit(main())
