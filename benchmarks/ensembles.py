"""Late ensembles of the two audio feature views on real RAVDESS: utterance functionals and MFCC images.

For each channel, on the same K actor folds as ``benchmarks/audio.py``
(``ravdess_emotion.training.splits.actor_folds``, seed 42), it trains two members on each
fold's training actors: ``--preset functionals`` (logistic regression on 1,456 functionals) and
``--preset cnn-lstm`` (the default: the CNN-LSTM on 13 MFCC x 216; ``--mfcc-coefficients
40`` for the 40 x 216 that measured best on song), each as its preset
trains it (standardised per speaker, with a speaker prior). Neither is refit, so the fold's validation actors stay
unseen by both. Every validation and test recording is predicted by each member in two of
the ways ``predict.py`` runs (``ravdess_emotion.features.speakers.standardize_by_ways``):

- batch: standardised by all of the actor's recordings (as the cross-validation of
  ``train_models.py`` does);
- independent: by the speaker prior alone, one recording with nothing else known
  (``--speaker-groups none``).

The ensemble is ``softmax(w log p_functionals + (1 - w) log p_mfcc)``
(``ravdess_emotion.models.fusion.late_fusion_log_probabilities``), with ``w = 0.5`` and with
``w`` chosen from 0, 0.05, ..., 1 by log-loss on the fold's validation actors only, for
each way. Every row comes from the same run, so the ensemble is compared with its
members on the same models and folds.

    python -m benchmarks.ensembles --ravdess ../shared/ravdess --folds 5 --channels speech
    python -m benchmarks.ensembles --channels song --mfcc-coefficients 40 --reports-dir reports/ensembles_40

Results go to ``reports/benchmark_ensembles.md`` and ``.csv``, with the command line,
package versions, the chosen weights and the actors of every fold in
``benchmark_ensembles.json``; every recording's log-probabilities from each member, on
the fold that tested it and as a validation actor, in ``benchmark_ensembles_<channel>.npz``
(``prediction_arrays``), for other combinations without training again.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score

from benchmarks.options import cross_validation_parser, organized_audio, row_config
from benchmarks.records import write_record
from ravdess_emotion.core.files import write_atomically
from ravdess_emotion.features.speakers import SpeakerPrior, standardize_by_ways
from ravdess_emotion.models import EmotionModel
from ravdess_emotion.models.fusion import POOLING_WEIGHTS, late_fusion_log_probabilities, late_fusion_weight
from ravdess_emotion.prediction import speaker_of
from ravdess_emotion.training.fitting import fit_and_evaluate
from ravdess_emotion.training.recipes import PRESETS
from ravdess_emotion.training.runs import load_training_inputs, loader_for
from ravdess_emotion.training.splits import ActorSplit, actor_folds

MEMBERS = {"functionals": "functionals", "mfcc": "cnn-lstm"}
"""The two members: feature view -> the preset that trains it."""
WAYS = {"batch": "auto", "independent": "none"}
"""Way of knowing the speaker -> ``predict.py --speaker-groups``."""


def member_log_probabilities(
    model: EmotionModel, raw: np.ndarray, paths: list[Path], rows: np.ndarray, grouping: str
) -> np.ndarray:
    """Log-probabilities (len(rows), classes) of ``model`` on the raw features ``raw[rows]``, standardised as ``predict.py`` would.

    ``grouping`` is ``"auto"`` (each RAVDESS actor by all of its given recordings) or
    ``"none"`` (the speaker prior alone). Every file must be predicted.
    """
    stored = model.metadata.get("speaker_prior")
    prior = None if stored is None else SpeakerPrior.from_dict(stored)
    speakers = None if grouping == "none" else [speaker_of(paths[i], grouping) for i in rows]
    result = standardize_by_ways(raw[rows], [str(paths[i]) for i in rows], prior, speakers)
    if len(result.kept) != len(rows):
        raise RuntimeError(f"the model left out {len(rows) - len(result.kept)} files: {result.problems[:3]}")
    return np.log(np.clip(model.predict(result.features), 1e-12, 1.0))


def scores(log_probabilities: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Accuracy and UAR (balanced accuracy) of the most probable class."""
    predicted = log_probabilities.argmax(axis=1)
    return {"accuracy": float((predicted == y).mean()), "uar": float(balanced_accuracy_score(y, predicted))}


def member_settings(member: str, mfcc_coefficients: int) -> dict[str, object]:
    """The ``RunConfig`` settings of a member beyond its preset: the MFCC member's coefficients.

    13 (the preset's, the seed's) adds nothing, so the default run is the preset itself.
    """
    preset = PRESETS[MEMBERS[member]]
    if member != "mfcc" or mfcc_coefficients == preset.feature_settings().n_mfcc:
        return {}
    return {"audio_settings": replace(preset.feature_settings(), n_mfcc=mfcc_coefficients)}


def member_labels(mfcc_coefficients: int) -> dict[str, str]:
    """The table's name of each member, with the options that train it."""
    mfcc = f"MFCC images (--preset {MEMBERS['mfcc']}"
    if member_settings("mfcc", mfcc_coefficients):
        mfcc += f" --n-mfcc {mfcc_coefficients}"
    return {"functionals": f"functionals (--preset {MEMBERS['functionals']})", "mfcc": mfcc + ")"}


def fold_rows(
    log_probabilities: dict[str, dict[str, dict[str, np.ndarray]]],
    y_val: np.ndarray,
    y_test: np.ndarray,
    labels: dict[str, str],
) -> tuple[list[dict[str, object]], dict[str, float]]:
    """One fold's test scores of each member and each ensemble, per way, and the weights chosen on validation.

    ``log_probabilities[member][way]`` holds ``"val"`` and ``"test"`` arrays; ``labels``
    names the members (``member_labels``).
    """
    rows, chosen = [], {}
    for way in WAYS:
        functionals, mfcc = (log_probabilities[member][way] for member in MEMBERS)
        weight = late_fusion_weight(functionals["val"], mfcc["val"], y_val, POOLING_WEIGHTS)
        chosen[way] = weight
        candidates = {
            labels["functionals"]: functionals["test"],
            labels["mfcc"]: mfcc["test"],
            "ensemble, w = 0.5": late_fusion_log_probabilities(functionals["test"], mfcc["test"], 0.5),
            "ensemble, w chosen on validation actors": late_fusion_log_probabilities(
                functionals["test"], mfcc["test"], weight
            ),
        }
        for model, values in candidates.items():
            rows.append({"way": way, "model": model, **scores(values, y_test)})
    return rows, chosen


def prediction_arrays(
    info: pd.DataFrame,
    y: np.ndarray,
    folds: list[ActorSplit],
    fold_log_probabilities: list[dict[str, dict[str, dict[str, np.ndarray]]]],
) -> dict[str, np.ndarray]:
    """Every recording's member log-probabilities of a channel, as the arrays of one ``.npz``.

    - ``filename``, ``actor``, ``label`` (class index): one per recording, in the loader's order;
    - ``fold``: the fold (1-based) whose test actors hold the recording;
    - ``<member>_<way>_test``: (recordings, classes), each row from the fold that tested it;
    - ``<member>_<way>_val_fold<k>`` with ``val_rows_fold<k>``: fold k's validation actors'
      rows, the ones its weight was chosen on.

    ``fold_log_probabilities[k - 1][member][way]`` holds fold k's ``"val"`` and ``"test"`` arrays.
    """
    arrays: dict[str, np.ndarray] = {
        "filename": info["filename"].to_numpy(str),
        "actor": info["actor"].to_numpy(np.int64),
        "label": np.asarray(y, np.int64),
        "fold": np.zeros(len(y), np.int64),
    }
    for index, (split, members) in enumerate(zip(folds, fold_log_probabilities, strict=True), start=1):
        arrays["fold"][split.test] = index
        arrays[f"val_rows_fold{index}"] = np.asarray(split.val, np.int64)
        for member, ways in members.items():
            for way, parts in ways.items():
                test = arrays.setdefault(
                    f"{member}_{way}_test", np.full((len(y), parts["test"].shape[1]), np.nan)
                )
                test[split.test] = parts["test"]
                arrays[f"{member}_{way}_val_fold{index}"] = parts["val"]
    return arrays


def main(argv: list[str] | None = None) -> int:
    parser = cross_validation_parser(
        __doc__,
        "data/benchmark",
        "organized copy and caches, shared with benchmarks.audio",
        "epochs per fold of both members (default: each preset's: 60 for functionals, 40 for cnn-lstm)",
        whole_epilog=True,
    )
    parser.add_argument("--channels", default="speech,song", help="default %(default)s")
    parser.add_argument(
        "--mfcc-coefficients",
        type=int,
        default=PRESETS[MEMBERS["mfcc"]].feature_settings().n_mfcc,
        help="MFCC coefficients of the MFCC member, as train_models.py --n-mfcc (default %(default)s, "
        "the seed's; 40 measured best on song)",
    )
    args = parser.parse_args(argv)
    try:  # the feature settings check the number, as for train_models.py --n-mfcc
        member_settings("mfcc", args.mfcc_coefficients)
    except ValueError as error:
        parser.error(f"--mfcc-coefficients: {error}")
    labels = member_labels(args.mfcc_coefficients)
    channels = [c.strip() for c in args.channels.split(",") if c.strip()]
    if not channels or set(channels) - {"speech", "song"}:
        parser.error(f"--channels: give speech, song or both, not {args.channels!r}")
    organized = organized_audio(args)
    if organized is None:
        return 2
    args.reports_dir.mkdir(parents=True, exist_ok=True)
    results, weights, fold_actors, started = [], [], {}, time.time()
    for channel in channels:
        members = {}
        for member, preset in MEMBERS.items():
            reports = args.reports_dir / "benchmark_ensembles" / f"{member}_{channel}"
            # Each as its preset trains it (both with a speaker prior), but without the refit,
            # which would train on the validation actors the weight is chosen on.
            config = row_config(
                args,
                organized,
                f"audio-{channel}",
                preset,
                reports,
                refit=False,
                **member_settings(member, args.mfcc_coefficients),
            )
            spec = config.specs()[0]
            loader = loader_for(spec, config)
            inputs, y, info = load_training_inputs(loader, spec)
            raw = loader.load_audio_dataset(channel, standardize=False)[0]
            members[member] = (config, spec, loader, inputs, y, info, raw)
        names = [list(m[5]["filename"]) for m in members.values()]
        if names[0] != names[1]:
            raise RuntimeError("the two members' files differ: their rows cannot be paired")
        _, _, _, _, y, info, _ = members["functionals"]
        paths = [Path(name) for name in info["filename"]]
        actors = info["actor"].to_numpy()
        folds = actor_folds(actors, args.folds, seed=args.seed)
        fold_actors[channel] = [split.test_actors for split in folds]
        channel_log_probabilities = []
        for index, split in enumerate(folds, start=1):
            log_probabilities: dict[str, dict[str, dict[str, np.ndarray]]] = {}
            for member, (config, spec, loader, inputs, _, _, raw) in members.items():
                tag = f"ensembles_{member}_{channel}_fold{index}"
                fit = fit_and_evaluate(spec, inputs, y, split, loader.settings.to_dict(), config, tag)
                fit.model.metadata = {**fit.config, **fit.model.metadata}  # what saving would write beside it
                log_probabilities[member] = {
                    way: {
                        part: member_log_probabilities(fit.model, raw, paths, rows, grouping)
                        for part, rows in (("val", split.val), ("test", split.test))
                    }
                    for way, grouping in WAYS.items()
                }
            channel_log_probabilities.append(log_probabilities)
            rows, chosen = fold_rows(log_probabilities, y[split.val], y[split.test], labels)
            results += [{"channel": channel, "fold": index, **row} for row in rows]
            weights.append({"channel": channel, "fold": index, **chosen})
            print(pd.DataFrame(rows).to_string(index=False), f"\nweights {chosen}", flush=True)
        arrays = prediction_arrays(info, y, folds, channel_log_probabilities)
        write_atomically(
            args.reports_dir / f"benchmark_ensembles_{channel}.npz",
            lambda stream, arrays=arrays: np.savez(stream, **arrays),
        )
    table = pd.DataFrame(results)
    table.to_csv(args.reports_dir / "benchmark_ensembles.csv", index=False)
    summary = (
        table.groupby(["channel", "way", "model"], sort=False)[["accuracy", "uar"]]
        .agg(lambda values: f"{values.mean():.3f} ± {values.std(ddof=1):.3f}")
        .reset_index()
    )
    weight_table = pd.DataFrame(weights)
    text = (
        f"Accuracy and UAR on the test actors ({args.folds}-fold actor cross-validation, mean ± std over "
        f"folds); members trained without a refit:\n\n{summary.to_markdown(index=False)}\n\n"
        f"Weights of the functionals member chosen on each fold's validation actors:\n\n"
        f"{weight_table.to_markdown(index=False)}\n\n{time.time() - started:.0f} s in all\n"
    )
    (args.reports_dir / "benchmark_ensembles.md").write_text(text)
    write_record(
        args.reports_dir / "benchmark_ensembles.json",
        "benchmarks.ensembles",
        argv,
        fold_actors,
        summary.to_dict(orient="records"),
        weights=weights,
    )
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
