"""Training an ensemble of feature views (``--preset ensemble``): each member with its own recipe, pooled by a weight chosen on validation actors.

On one actor split, :func:`fit_view_ensemble`

1. trains each member (``ModelSpec.members``, from ``--preset ensemble``: logistic
   regression on functionals, the CNN-LSTM on MFCC images) on the training actors as its
   preset would, without its refit;
2. chooses the functionals member's weight ``w`` from 0, 0.05, ..., 1 by the log-loss of
   ``softmax(w log p_functionals + (1 - w) log p_mfcc)`` on the validation actors
   (``ravdess_emotion.models.fusion.late_fusion_weight``), each recording standardised by its
   speaker's recordings, as the evaluation is;
3. refits each member whose preset refits on training + validation actors, for its best
   epoch count, so the validation actors inform the weight before they are trained on;
4. pools the members into one :class:`~ravdess_emotion.models.AudioViewsEnsemble`,
   which is evaluated on the test actors (a final model without test actors: on the
   validation actors, before the refit).

The two members read the same recordings, so their rows pair one to one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ravdess_emotion.batches import TrainingInputs
from ravdess_emotion.features.loader import RAVDESSDataLoader
from ravdess_emotion.models import AudioViewsEnsemble, EmotionModel
from ravdess_emotion.models.fusion import POOLING_WEIGHTS, late_fusion_log_probabilities, late_fusion_weight
from ravdess_emotion.training.config import RunConfig
from ravdess_emotion.training.fitting import (
    FitResult,
    finished_fit,
    fit_and_evaluate,
    refit_on_train_and_val,
    store_evaluation,
)
from ravdess_emotion.training.inputs import load_training_inputs, loader_for
from ravdess_emotion.training.metrics import classification_metrics
from ravdess_emotion.training.recipes import PRESETS, ModelSpec
from ravdess_emotion.training.splits import ActorSplit


@dataclass
class ViewMember:
    """One member of an ensemble: its recipe, its run configuration, its loader and its training data."""

    spec: ModelSpec
    config: RunConfig
    loader: RAVDESSDataLoader
    inputs: TrainingInputs

    @property
    def batch_size(self) -> int:
        return self.config.batch_size or self.spec.batch_size


def member_configs(spec: ModelSpec, config: RunConfig) -> dict[str, RunConfig]:
    """The run configuration of each member of the ensemble ``spec``: its preset and feature settings, the rest as ``config``.

    The first member's feature settings are ``config.audio_settings`` (the command line's
    feature options), with its changes; every other member's are its preset's, with its changes.
    """
    configs = {}
    for index, (view, preset, changes) in enumerate(spec.members):
        settings = config.audio_settings if index == 0 else PRESETS[preset].feature_settings()
        configs[view] = replace(config, preset=preset, audio_settings=replace(settings, **dict(changes)))
    return configs


def load_members(
    spec: ModelSpec, config: RunConfig
) -> tuple[dict[str, ViewMember], np.ndarray, pd.DataFrame]:
    """``(members, y, info)`` of the ensemble ``spec``: every member's data, and the labels and rows they share.

    Raises
    ------
    RuntimeError
        When the members' recordings differ (their caches were built from other folders).
    """
    members: dict[str, ViewMember] = {}
    y = info = None
    for view, member_config in member_configs(spec, config).items():
        member_spec = next(s for s in member_config.specs() if s.name == spec.name)
        loader = loader_for(member_spec, member_config)
        inputs, member_y, member_info = load_training_inputs(loader, member_spec)
        if info is None:
            y, info = member_y, member_info
        elif list(member_info["filename"]) != list(info["filename"]) or not np.array_equal(member_y, y):
            raise RuntimeError(
                f"the {view} member reads other recordings than the first member of {spec.name}: "
                "their rows cannot be paired; extract both from the same organized folder"
            )
        members[view] = ViewMember(member_spec, member_config, loader, inputs)
    return members, y, info


def log_probabilities(model: EmotionModel, member: ViewMember, rows: np.ndarray) -> np.ndarray:
    """(len(rows), classes) log-probabilities of ``model`` on ``rows``, prepared as the member's evaluation is."""
    probabilities = model.predict(member.inputs.eval_data(rows, batch_size=member.batch_size)[0])
    return np.log(np.clip(probabilities, 1e-12, 1.0))


def fit_view_ensemble(
    spec: ModelSpec,
    members: dict[str, ViewMember],
    y: np.ndarray,
    split: ActorSplit,
    config: RunConfig,
    tag: str,
    synthetic: bool = False,
    keep_model: bool = True,
) -> FitResult:
    """Train the members on one split, choose their weight on its validation actors, refit them, and evaluate.

    Returns the ensemble's :class:`FitResult` (its model an ``AudioViewsEnsemble``), with
    each member's own under ``members`` (evaluated on the same actors). With
    ``keep_model=False`` (a cross-validation fold) the evaluation is kept in
    ``evaluation_file`` as :func:`~ravdess_emotion.training.fitting.fit_and_evaluate`
    does, and a rerun after a kill reads it back instead of training the fold again.
    """
    if len(members) != 2:
        raise ValueError(f"an ensemble of views pools two members, got {len(members)}")
    (first_view, first), (second_view, _) = members.items()
    has_test = len(split.test) > 0
    rows = split.test if has_test else split.val
    evaluated_on = "test" if has_test else "validation"
    model_config: dict[str, object] = {
        "model": spec.name,
        "model_class": AudioViewsEnsemble.__name__,
        "preset": config.preset,
        "kind": AudioViewsEnsemble.kind,
        "channel": spec.channel,
        "data_dir": str(config.data_dir),
        "synthetic_data": synthetic,
        "features": first.loader.settings.to_dict(),
        "seed": config.seed,
        "train_actors": split.train_actors,
        "val_actors": split.val_actors,
        "test_actors": split.test_actors,
        "samples": {"train": len(split.train), "val": len(split.val), "test": len(split.test)},
    }
    key_source = {"run": config.to_dict(), "split": [split.train_actors, split.val_actors, split.test_actors]}
    key = hashlib.sha256(json.dumps(key_source, sort_keys=True, default=str).encode()).hexdigest()[:12]
    backup_root = config.models_dir / ".backup"
    evaluation_file = None if keep_model else backup_root / f"{tag}_{key}.evaluation.json"
    if (finished := finished_fit(evaluation_file, y[rows], tag)) is not None:
        return finished

    fits: dict[str, FitResult] = {}
    validation: dict[str, np.ndarray] = {}
    for view, member in members.items():
        first_fit_spec = replace(member.spec, refit=False)  # the refit waits until the weight is chosen
        fits[view] = fit_and_evaluate(
            first_fit_spec,
            member.inputs,
            y,
            split,
            member.loader.settings.to_dict(),
            member.config,
            f"{tag}_{view}",
            synthetic,
        )
        if len(split.val):
            validation[view] = log_probabilities(fits[view].model, member, split.val)
    weight = (
        late_fusion_weight(validation[first_view], validation[second_view], y[split.val], POOLING_WEIGHTS)
        if len(split.val)
        else 0.5
    )
    print(f"{tag}: weight {weight:.2f} for {first_view}, {1 - weight:.2f} for {second_view}")
    y_pred = None
    if not has_test:  # measured before any refit trains on these actors
        y_pred = late_fusion_log_probabilities(
            validation[first_view], validation[second_view], weight
        ).argmax(1)
    refit = any(m.spec.refit for m in members.values()) and len(split.val) > 0
    if refit and not has_test:
        evaluated_on = "validation, before the refit"
    for view, member in members.items():
        fit = fits[view]
        if member.spec.refit and len(split.val):
            model, refit_history = refit_on_train_and_val(
                member.spec,
                member.inputs,
                y,
                split,
                fit.history,
                member.batch_size,
                False,
                member.config,
                f"{tag}_{view}",
                fit.model.refit_settings(),
                backup_dir=backup_root / f"{tag}_{view}_{key}_refit",
            )
            model.metadata = {**fit.model.metadata, **member.inputs.model_metadata()}
            fit.model, fit.refit_history = model, refit_history
            fit.config = {**fit.config, "refit": True}
            if has_test:
                fit.y_pred = fit.model.predict_classes(
                    member.inputs.eval_data(rows, batch_size=member.batch_size)[0]
                )
                fit.metrics = classification_metrics(fit.y_true, fit.y_pred)
            else:
                fit.evaluated_on = "validation, before the refit"
        fit.model.metadata = {**fit.config, **fit.model.metadata}
    ensemble = AudioViewsEnsemble.of_members(
        {view: fit.model for view, fit in fits.items()}, {first_view: weight, second_view: 1 - weight}
    )
    if has_test:  # through the pooled network itself: what is saved is what was measured
        views = [
            member.inputs.eval_data(rows, batch_size=member.batch_size)[0] for member in members.values()
        ]
        y_pred = ensemble.predict_classes(views)
    metrics = classification_metrics(y[rows], y_pred)
    model_config.update(
        refit=refit,
        view_weights=ensemble.metadata["view_weights"],
        # Not "members": that is the ensemble's own metadata, each member's whole description.
        member_fits={view: fit.config for view, fit in fits.items()},
        member_metrics={view: fit.metrics for view, fit in fits.items()},
        member_epochs={view: len(fit.history["loss"]) for view, fit in fits.items()},
    )
    print(
        f"{tag}: accuracy {metrics['accuracy']:.3f} pooled; "
        + ", ".join(f"{view} alone {fit.metrics['accuracy']:.3f}" for view, fit in fits.items())
        + f" ({evaluated_on} actors)"
    )
    evaluation = {
        "history": {},
        "refit_history": None,
        "y_true": y[rows],
        "y_pred": np.asarray(y_pred, np.int64),
        "metrics": metrics,
        "evaluated_on": evaluated_on,
        "actors": split.test_actors if has_test else split.val_actors,
    }
    if evaluation_file is not None:
        store_evaluation(evaluation_file, evaluation, model_config)
        ensemble = None
    return FitResult(
        model=ensemble, **evaluation, config=model_config, evaluation_file=evaluation_file, members=fits
    )
