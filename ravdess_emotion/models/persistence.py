"""Model files: a network saved as ``.h5`` or ``.keras`` with its metadata in ``<stem>.json`` beside it.

A saved network is its inference graph (``ravdess_emotion.models.layers.inference_graph``),
without optimizer, so plain ``keras.models.load_model`` reads it. Both files are written
under temporary names and renamed, and the metadata records the checksum of the network
file it belongs to, so a crash mid-save never leaves a broken or mismatched pair under
the real names (:func:`read_metadata` refuses one).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import keras

from ravdess_emotion.core.files import atomic_path, file_sha256, write_text_atomically

MODEL_SUFFIXES = (".h5", ".keras")


def metadata_path_for(model_path: str | Path) -> Path:
    """``models/x.h5`` and ``models/x.keras`` share ``models/x.json``."""
    return Path(model_path).with_suffix(".json")


def write_model(network: keras.Model, path: str | Path, metadata: dict[str, Any]) -> dict[str, Any]:
    """Save ``network`` (uncompiled) to ``path`` and ``metadata`` beside it, each atomically.

    Returns the metadata written: ``metadata`` with ``model_files`` recording this file's
    checksum (one ``.json`` serves the ``.h5`` and the ``.keras`` of a model).

    Raises
    ------
    ValueError
        When ``path`` ends in neither ``.h5`` nor ``.keras``.
    """
    path = Path(path)
    if path.suffix not in MODEL_SUFFIXES:
        raise ValueError(f"{path}: the model file must end in .h5 or .keras")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, keep_suffix=True) as tmp:
        with _quiet_h5_notice():
            # .h5 would otherwise keep a training config, and loading it would compile.
            network.save(tmp, **({"include_optimizer": False} if path.suffix == ".h5" else {}))
        files = {**metadata.get("model_files", {}), path.name: file_sha256(tmp)}
        written = {**metadata, "model_files": files}
        write_text_atomically(metadata_path_for(path), json.dumps(written, indent=2, sort_keys=True) + "\n")
    return written


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The metadata beside a model file, once it is known to belong to that file.

    Raises
    ------
    FileNotFoundError
        When there is no model file.
    ValueError
        Naming the file and what to do: no ``.json`` beside it, one that is not JSON, or
        one written for another network file.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such model file")
    metadata_file = metadata_path_for(path)
    if not metadata_file.exists():
        raise ValueError(
            f"{path}: no {metadata_file.name} beside it; was it saved by this project's train_models.py?"
        )
    try:
        metadata = json.loads(metadata_file.read_text())
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"{metadata_file}: not the JSON metadata of a model ({error})") from None
    if not isinstance(metadata, dict):
        raise ValueError(f"{metadata_file}: not the JSON metadata of a model (no object at the top)")
    expected = metadata.get("model_files", {}).get(path.name)  # absent in metadata of older versions
    if expected is not None and file_sha256(path) != expected:
        raise ValueError(
            f"{path} and {metadata_file} do not belong together: the network file is not the one this "
            "metadata was written for (a save interrupted between the two files, or a file copied over "
            "the other); train the model again, or restore both files from the same run"
        )
    return metadata


def load_network(path: str | Path) -> keras.Model:
    """The network in ``path``, uncompiled, ready to predict.

    safe_mode stays on: a file that would run code (a ``Lambda`` layer, say) is refused.

    Raises
    ------
    ValueError
        When Keras cannot load the file; the message gives Keras' reason.
    """
    # compile=False: an .h5 file carries no optimizer state that every backend can restore,
    # and fit() after a compiled .h5 load fails on all of them.
    try:
        network = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"{path}: not a loadable model of this project ({reason})") from error
    _finalize_nested_state(network)
    return network


def _finalize_nested_state(network: keras.Model) -> None:
    """Let the layers of nested models compute their state from their loaded weights.

    Loading an ``.h5`` finalizes the top-level layers only: a ``Normalization`` inside a
    nested model (a member of an ensemble saved before 2026-12-07) kept the statistics it
    was built with and predicted otherwise than before saving.
    """
    for layer in network.layers:
        if isinstance(layer, keras.Model):
            for inner in layer.layers:
                if hasattr(inner, "finalize_state"):  # an InputLayer has none
                    inner.finalize_state()
            _finalize_nested_state(layer)


@contextlib.contextmanager
def _quiet_h5_notice() -> Iterator[None]:
    """Hold back Keras' notice that ``.h5`` is a legacy format: the seed's users load ``.h5`` files.

    Every model is saved as ``.keras`` beside it, so the notice would only repeat itself.
    """

    def keep(record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("You are saving your model as an HDF5 file")

    logger = logging.getLogger("absl")
    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)
