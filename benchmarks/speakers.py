"""How well the audio model knows a speaker: all recordings, a few enrolled ones, or none, on real RAVDESS.

For speech and song, on the same K actor folds as ``benchmarks/audio.py``
(``ravdess_emotion.training.splits.actor_folds``, seed 42), it trains ``--preset functionals``
(or another preset standardised per speaker, ``--preset cnn-lstm``) on each fold's
training actors twice: with a speaker prior and enrollment copies
(``train_models.py --enrollment-copies 1,3,10``; ``--prior-copies`` sets them) and, as
the baseline of the same run, without (``--enrollment-copies none``: standardised by
each actor's own recordings only). Each test actor is then predicted through
``ravdess_emotion.features.speakers.standardize_by_ways``, what ``predict.py`` runs:

- targets, in two splits of each actor's recordings (:func:`target_split`):
  ``statement``, the recordings of statement 2 ("Dogs are sitting by the door"), enrolled
  from statement 1; ``halves``, a random half of the recordings, enrolled from the other
  half (both sentences in each, as a user's random recordings would be);
- batch: standardised by all of the actor's recordings (both statements), as the main
  benchmark and the cross-validation of ``train_models.py`` do;
- independent: no recording of the actor known (``--speaker-groups none``);
- enrolled k: ``k`` recordings of the enrollment pool drawn at random (``--draws``
  draws), never a target (``--enroll``);
- unbalanced: enrolled with the pool's neutral and calm recordings only (6 recordings
  in ``statement``, where the pool is statement 1; about 6 in ``halves``, as many as the
  random half holds), as a user's everyday speech would be.

    python -m benchmarks.speakers --ravdess ../shared/ravdess --folds 5
    python -m benchmarks.speakers --preset cnn-lstm --prior-copies prior --channels speech

Results go to ``reports/benchmark_speakers.md`` and ``.csv``, with the command line,
package versions and the actors of every fold in ``benchmark_speakers.json``; for
another preset than ``functionals`` to ``benchmark_speakers_<preset>.*``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import numpy as np
import pandas as pd

from benchmarks.options import cross_validation_parser, organized_audio, row_config
from benchmarks.records import write_record
from ravdess_emotion.features.speakers import ENROLLMENT_SIZES as TRAINING_ENROLLMENT_SIZES
from ravdess_emotion.features.speakers import SpeakerPrior, standardize_by_ways
from ravdess_emotion.models import EmotionModel
from ravdess_emotion.prediction import speaker_of
from ravdess_emotion.training.fitting import fit_and_evaluate
from ravdess_emotion.training.recipes import parse_enrollment_sizes
from ravdess_emotion.training.runs import load_training_inputs, loader_for
from ravdess_emotion.training.splits import actor_folds

ENROLLMENT_SIZES = (1, 3, 5, 10, 20)
SPEAKER_PRESETS = ("functionals", "whisper", "cnn-lstm")
"""The presets that standardise audio per speaker."""


def recipes(preset: str, prior_copies: tuple[int, ...]) -> dict[str, tuple[str, tuple[int, ...] | None]]:
    """The two trainings compared: recipe -> (table label, ``--enrollment-copies``)."""
    copies = ",".join(map(str, prior_copies)) or "prior"
    return {
        "prior": (f"--preset {preset} --enrollment-copies {copies} (speaker prior)", prior_copies),
        "before": (f"--preset {preset} --enrollment-copies none (each actor's own statistics only)", None),
    }


TARGET_SPLITS = ("statement", "halves")
"""How a test actor's recordings are split into targets and the enrollment pool (:func:`target_split`)."""


def target_split(
    statement: np.ndarray, split: str, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``(targets, pool)``: indices into one actor's recordings, disjoint.

    ``statement``: the recordings of statement 2 are the targets and those of statement
    1 the pool, so every enrolled recording says the other sentence. ``halves``: a
    random half of the recordings are the targets and the other half the pool, both
    sentences in each, as a user's random recordings would be.
    """
    if split == "statement":
        return np.flatnonzero(statement == 2), np.flatnonzero(statement == 1)
    if split == "halves":
        order = rng.permutation(len(statement))
        return np.sort(order[: len(order) // 2]), np.sort(order[len(order) // 2 :])
    raise ValueError(f"split must be one of {TARGET_SPLITS}, not {split!r}")


def ways_of_actor(
    model: EmotionModel,
    raw: np.ndarray,
    y: np.ndarray,
    info: pd.DataFrame,
    rows: np.ndarray,
    draws: int,
    rng: np.random.Generator,
    split: str,
) -> dict[str, float]:
    """Accuracy on one test actor's targets (:func:`target_split`) for every way of knowing the actor; NaN where impossible."""
    paths = [Path(name) for name in info["filename"].iloc[rows]]
    targets, pool = target_split(info["statement"].to_numpy()[rows], split, rng)
    actor = f"actor-{int(info['actor'].iloc[rows[0]]):02d}"
    stored = model.metadata.get("speaker_prior")
    prior = None if stored is None else SpeakerPrior.from_dict(stored)
    features, labels = raw[rows], [str(path) for path in paths]
    speakers = [speaker_of(path) for path in paths]
    target_features, target_labels = features[targets], [labels[i] for i in targets]
    target_speakers = [speakers[i] for i in targets]
    truth = y[rows][targets]

    def accuracy(normalized: np.ndarray, kept: np.ndarray) -> float:
        if len(kept) < len(targets):
            return float("nan")  # the model cannot predict every target this way
        return float((model.predict(normalized).argmax(axis=1) == truth).mean())

    def enrolled(chosen: np.ndarray) -> float:
        result = standardize_by_ways(
            target_features,
            target_labels,
            prior,
            target_speakers,
            [actor] * len(targets),
            {actor: raw[rows[chosen]]},
        )
        return accuracy(result.features, result.kept)

    results: dict[str, float] = {}
    batch = standardize_by_ways(features, labels, prior, speakers)
    results["batch"] = (
        float((model.predict(batch.features[targets]).argmax(axis=1) == truth).mean())
        if len(batch.kept) == len(rows)
        else float("nan")
    )
    # Without a prior (a model trained without the speaker-independent way) no target is kept: NaN.
    alone = standardize_by_ways(target_features, target_labels, prior)
    results["independent"] = accuracy(alone.features, alone.kept)
    for k in ENROLLMENT_SIZES:
        scores = [enrolled(rng.choice(pool, size=min(k, len(pool)), replace=False)) for _ in range(draws)]
        results[f"enrolled {k}"] = float(np.mean(scores))
        results[f"enrolled {k} draw std"] = float(np.std(scores))
    calm = pool[np.isin(y[rows][pool], (0, 1))]  # neutral and calm (class indices 0 and 1)
    results["unbalanced"] = enrolled(calm)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = cross_validation_parser(
        __doc__,
        "data/benchmark",
        "organized copy and caches, shared with benchmarks.audio",
        "epochs per fold (default: the preset's: 60 for functionals and whisper, 40 for cnn-lstm)",
        whole_epilog=True,
    )
    parser.add_argument("--channels", default="speech,song", help="default %(default)s")
    parser.add_argument(
        "--draws", type=int, default=10, help="random enrollments per size and actor (default %(default)s)"
    )
    parser.add_argument(
        "--preset",
        choices=SPEAKER_PRESETS,
        default="functionals",
        help="the recipe trained (default %(default)s)",
    )
    parser.add_argument(
        "--prior-copies",
        default=",".join(map(str, TRAINING_ENROLLMENT_SIZES)),
        help="--enrollment-copies of the model with a speaker prior: recordings per speaker, or 'prior' for "
        "the prior's copy only (default %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        prior_copies = parse_enrollment_sizes(args.prior_copies)
    except ValueError as error:
        parser.error(str(error).replace("--enrollment-copies", "--prior-copies"))
    if prior_copies is None:
        parser.error(
            "--prior-copies: 'none' is the baseline the benchmark trains anyway; give sizes or 'prior'"
        )
    organized = organized_audio(args)
    if organized is None:
        return 2
    stem = "benchmark_speakers" if args.preset == "functionals" else f"benchmark_speakers_{args.preset}"
    args.reports_dir.mkdir(parents=True, exist_ok=True)
    rows, fold_actors, started = [], {}, time.time()
    for channel in args.channels.split(","):
        for recipe, (label, sizes) in recipes(args.preset, prior_copies).items():
            reports = args.reports_dir / stem / f"{recipe}_{channel}"
            config = row_config(
                args, organized, f"audio-{channel}", args.preset, reports, enrollment_sizes=sizes
            )
            spec = config.specs()[0]
            loader = loader_for(spec, config)
            inputs, y, info = load_training_inputs(loader, spec)
            raw = loader.load_audio_dataset(channel, standardize=False)[0]
            actors = info["actor"].to_numpy()
            folds = actor_folds(actors, args.folds, seed=args.seed)
            fold_actors[channel] = [split.test_actors for split in folds]
            # One stream of draws per split, so that adding a split leaves the others' draws as they were.
            rngs = {
                split: np.random.default_rng([args.seed, i] if i else args.seed)
                for i, split in enumerate(TARGET_SPLITS)
            }
            for index, fold_split in enumerate(folds, start=1):
                tag = f"speakers_{recipe}_{channel}_fold{index}"
                fit = fit_and_evaluate(spec, inputs, y, fold_split, loader.settings.to_dict(), config, tag)
                fit.model.metadata = {**fit.config, **fit.model.metadata}  # what saving would write beside it
                for split, rng in rngs.items():
                    per_actor = [
                        ways_of_actor(
                            fit.model, raw, y, info, np.flatnonzero(actors == actor), args.draws, rng, split
                        )
                        for actor in fold_split.test_actors
                    ]
                    fold = pd.DataFrame(per_actor).mean()
                    rows.append(
                        {"recipe": label, "channel": channel, "split": split, "fold": index, **fold.to_dict()}
                    )
                    print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(args.reports_dir / f"{stem}.csv", index=False)
    keys = ("recipe", "channel", "split", "fold")
    ways = [c for c in table.columns if c not in keys and "draw std" not in c]
    summary = []
    for (recipe, channel, split), group in table.groupby(["recipe", "channel", "split"], sort=False):
        for way in ways:
            values = group[way].dropna()
            draw_std = f"{way} draw std"
            summary.append(
                {
                    "channel": channel,
                    "recipe": recipe,
                    "split": split,
                    "way": way,
                    "accuracy": f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"
                    if len(values)
                    else "cannot",
                    "std over draws": f"{group[draw_std].mean():.3f}" if draw_std in group else "",
                }
            )
    summary_table = pd.DataFrame(summary)
    wide = summary_table.pivot_table(
        index=["split", "way"], columns=["channel", "recipe"], values="accuracy", aggfunc="first", sort=False
    )
    text = (
        f"Accuracy on each test actor's targets ({args.folds}-fold actor cross-validation, mean ± std over "
        f"folds, {args.draws} enrollment draws each). Split 'statement': the targets are the recordings of "
        "statement 2, the enrollments from statement 1; 'halves': a random half of the actor's recordings "
        "are the targets, the enrollments from the other half.\n\n"
        f"{wide.to_markdown()}\n\nIn long form, with the spread over draws:\n\n"
        f"{summary_table.to_markdown(index=False)}\n\n{time.time() - started:.0f} s in all\n"
    )
    (args.reports_dir / f"{stem}.md").write_text(text)
    write_record(args.reports_dir / f"{stem}.json", "benchmarks.speakers", argv, fold_actors, summary)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
