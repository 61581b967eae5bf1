"""Actor-independent benchmark of the face (action-unit) and audio+face models on real RAVDESS speech.

On the same K actor folds as ``benchmarks/audio.py`` (``ravdess_emotion.training.splits.actor_folds``
over actors 01-20, seed 42), through the training API (``ravdess_emotion.training.runs.cross_validate``,
what ``train_models.py --folds K`` runs), one row per step:

- faces only, on the OpenFace AU means of ``../shared/ravdess_aus``: logistic regression
  (``AUEmotionLogistic``) on the raw means, with the means standardised within each
  actor's own clips, then also with each clip's rank among the actor's clips
  (``--preset functionals``, ``au_normalization="zscore+rank"``);
- audio only: ``audio-speech --preset functionals``, and ``--preset whisper``
  (Whisper-base's hidden states, ``ravdess_emotion.features.views.whisper``);
- audio + faces: early fusion (``AudioAUEmotionFusion``: one penalised softmax on both
  views) and late fusion (``AudioAULateFusion``: the two models trained apart, their
  log-probabilities weighted on each fold's validation actors), both with the speed
  copies of the functionals model; and late fusion with the Whisper model instead
  (``fusion-au-speech --preset whisper``, which ``--preset best`` trains too).

Every row reports accuracy, UAR and macro F1 as mean ± std over the folds, and what the
step added to the row it builds on. Weights and penalties come from training and
validation actors only; the test actors of a fold are never looked at.

    python -m benchmarks.faces --ravdess ../shared/ravdess --aus ../shared/ravdess_aus --folds 5

The results go to ``reports/benchmark_faces.md`` and ``.csv``, with the command line,
package versions and the actors of every fold in ``benchmark_faces.json``.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import pandas as pd

from benchmarks.options import SHARED, cross_validation_parser, row_config
from benchmarks.records import fold_summary, write_record
from ravdess_emotion.core.ravdess import parse_actor_list
from ravdess_emotion.corpus.organize import organize
from ravdess_emotion.models import MODEL_CLASSES, AudioAUEmotionFusion, AudioAULateFusion
from ravdess_emotion.training.recipes import PRESETS
from ravdess_emotion.training.runs import cross_validate, loader_for

STEPS: dict[str, tuple[str, str, str, dict[str, object], str | None]] = {
    "au-raw": (
        "faces: AU means, logistic regression",
        "au-speech",
        "AUEmotionLogistic",
        {"au_normalization": "none"},
        None,
    ),
    "au-zscore": (
        "faces: + AU means standardised per actor",
        "au-speech",
        "AUEmotionLogistic",
        {"au_normalization": "zscore"},
        "au-raw",
    ),
    "au-best": (
        "faces: + per-actor ranks (--preset functionals)",
        "au-speech",
        "AUEmotionLogistic",
        {},
        "au-zscore",
    ),
    "audio-best": (
        "audio: functionals (--preset functionals)",
        "audio-speech",
        "AudioEmotionLogistic",
        {},
        None,
    ),
    "fusion-early": (
        "audio + faces: early fusion (one softmax on both)",
        "fusion-au-speech",
        AudioAUEmotionFusion.__name__,
        {},
        "au-best",
    ),
    "fusion-late": (
        "audio + faces: late fusion (weighted on validation actors)",
        "fusion-au-speech",
        AudioAULateFusion.__name__,
        {},
        "au-best",
    ),
    "audio-whisper": ("audio: Whisper (--preset whisper)", "audio-speech", "AudioEmotionLogistic", {}, None),
    "fusion-late-whisper": (
        "audio + faces: late fusion of Whisper and faces (fusion-au-speech --preset whisper, and best)",
        "fusion-au-speech",
        AudioAULateFusion.__name__,
        {},
        "au-best",
    ),
}
"""Name -> (table row, model, network, feature settings over its preset's, the row it builds on)."""
STEP_PRESETS = {"audio-whisper": "whisper", "fusion-late-whisper": "whisper"}
"""The preset of each step whose recipe is not ``--preset functionals``' (its features and speed copies)."""


def main(argv: list[str] | None = None) -> int:
    parser = cross_validation_parser(
        __doc__,
        "data/benchmark_faces",
        "organized copy and caches",
        "epochs per fold (default: the preset's)",
    )
    parser.add_argument(
        "--aus",
        type=Path,
        default=SHARED / "ravdess_aus",
        help="folder with OpenFace AU tables or tracking CSVs of the same takes (default %(default)s)",
    )
    parser.add_argument(
        "--steps",
        default=",".join(STEPS),
        help="comma-separated rows to run, from: " + ", ".join(STEPS) + " (default: all)",
    )
    args = parser.parse_args(argv)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    if unknown := sorted(set(steps) - set(STEPS)):
        parser.error(f"unknown steps {unknown}; choose from {', '.join(STEPS)}")
    for folder, what in ((args.ravdess, "--ravdess"), (args.aus, "--aus")):
        if not folder.is_dir():
            print(f"error: {folder} not found: point {what} at it", file=sys.stderr)
            return 2

    organized = args.work_dir / "organized"
    for source in (args.ravdess, args.aus):  # one organized folder: audio and faces of the same takes
        report = organize(source, organized, progress=True)
        if report.skipped:
            print(f"{source}: {len(report.skipped)} skipped, e.g. {report.skipped[0]}", file=sys.stderr)
    args.reports_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, object]] = []
    fold_actors: dict[str, list[list[int]]] = {}
    for step in steps:
        label, model, network, settings, _ = STEPS[step]
        preset = STEP_PRESETS.get(step, "functionals")
        reports = args.reports_dir / "benchmark_faces" / step
        config = row_config(
            args,
            organized,
            model,
            preset,
            reports,
            cache_dir=args.work_dir / "features",
            audio_settings=replace(PRESETS[preset].feature_settings(), **settings),
        )
        spec = replace(config.specs()[0], model_class=MODEL_CLASSES[network])
        result = cross_validate(spec, loader_for(spec, config), config)
        fold_actors[step] = [parse_actor_list(str(actors)) for actors in result.folds["test_actors"]]
        rows.append(
            {"step": step, "model": label, "network": spec.model_class.__name__, **_metrics(result.folds)}
        )
        print(rows[-1])
    table = pd.DataFrame(rows).set_index("step")
    table["added"] = [
        ""
        if STEPS[s][4] not in table.index
        else f"{table.loc[s, 'mean'] - table.loc[STEPS[s][4], 'mean']:+.3f}"
        for s in table.index
    ]
    shown = table[["model", "accuracy", "uar", "macro_f1", "added"]]
    text = (
        f"Real RAVDESS speech, actors 01-20, {args.folds}-fold actor cross-validation (mean ± std over folds); "
        "'added' is the accuracy gained over the row the step builds on (fusion: over faces alone).\n\n"
        f"{shown.to_markdown(index=False, disable_numparse=True)}\n"
    )
    table.reset_index().to_csv(args.reports_dir / "benchmark_faces.csv", index=False)
    (args.reports_dir / "benchmark_faces.md").write_text(text)
    write_record(args.reports_dir / "benchmark_faces.json", "benchmarks.faces", argv, fold_actors, rows)
    print(text)
    shutil.rmtree(args.work_dir / "models" / ".backup", ignore_errors=True)
    return 0


def _metrics(folds: pd.DataFrame) -> dict[str, object]:
    summary: dict[str, object] = dict(fold_summary(folds))
    summary["mean"] = float(folds["accuracy"].mean())
    return summary


if __name__ == "__main__":
    sys.exit(main())
