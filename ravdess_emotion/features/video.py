"""Face-cropped video frames at the real dataset's scale: one decode pass per clip, an on-disk uint8 cache.

The seed held every clip as 30x224x224x3 float32 in memory (18 MB a clip, about 26 GB
for RAVDESS's 1,440 speech clips). Here each clip is decoded once, front to back,
cropped to the face, and written to disk as one uint8 ``.npy`` file (4.5 MB at the
default size, ``ravdess_emotion.features.frames``); ``ravdess_emotion.batches.VideoBatches``
then streams batches from those files.
This module needs no Keras, so extraction workers stay light.

- :func:`sample_face_frames` decodes a clip once (``grab`` for frames it skips, no
  seeking), keeps ``n_frames`` evenly spaced frames at full resolution, finds the face
  on a few of them (:func:`detect_face_box`), and crops every kept frame with that one
  box before resizing, so the crop does not jitter. When no face is found it uses the
  frame's centre square (:func:`centre_box`), and says so in the returned ``info``.
  A clip with fewer frames than asked repeats frames and says so too (``info["padded"]``
  and a :class:`ShortClipWarning`).
- ``ravdess_emotion.features.frames`` stores what this module extracts: one file per clip.
- :func:`save_frame_grid` draws sampled, cropped frames of a few clips (``plots/``).

Command line (the picture of the crops)::

    python -m ravdess_emotion.features.video ../shared/ravdess_video/Actor_01 --out plots/video_face_crops.png
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from ravdess_emotion.corpus.media import MediaError
from ravdess_emotion.features.settings import BLACK_LEVEL, FeatureSettings

CASCADE_FILE = "haarcascade_frontalface_default.xml"
FACE_MARGIN = 1.3
"""The detected box is enlarged by this factor (about the whole head, chin and brows included)."""
DETECTION_PROBES = 5
"""Kept frames (evenly spaced) the face is searched on; the box is their median."""
DETECTION_SIDE = 240
"""Frames are searched at most this many pixels on their short side (1280x720 → 427x240: a RAVDESS face is ~130 px)."""


class ShortClipWarning(UserWarning):
    """A clip had fewer distinct frames than asked: frames were repeated to fill the count."""


# --------------------------------------------------------------------------- face box


@functools.cache
def _cascade() -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(os.path.join(cv2.data.haarcascades, CASCADE_FILE))
    if cascade.empty():
        raise RuntimeError(f"cannot load OpenCV's {CASCADE_FILE} from {cv2.data.haarcascades}")
    return cascade


def detect_face_box(
    frames: Sequence[np.ndarray] | np.ndarray,
    aspect: float = 1.0,
    margin: float = FACE_MARGIN,
    probes: int = DETECTION_PROBES,
) -> tuple[int, int, int, int] | None:
    """One face box for a whole clip, or ``None`` when no face is found.

    OpenCV's Haar frontal-face cascade runs on up to ``probes`` evenly spaced frames
    (grey, downscaled to at most ``DETECTION_SIDE`` pixels on the short side); the
    largest face of each frame counts. With faces in at least 40% of the probed
    frames, the median centre and median size make the box (so one stray detection
    neither moves nor resizes it), enlarged by ``margin``, given the width/height ratio
    ``aspect`` (1: square), shrunk if it exceeds the frame and shifted to lie inside it.

    Parameters
    ----------
    frames
        Frames of one clip, each (height, width, 3) uint8, BGR or RGB (the cascade sees
        grey; the two orders differ only slightly in grey level).

    Returns
    -------
    (x, y, width, height) in pixels of the frames, inside the frame, or None.
    """
    if len(frames) == 0:
        return None
    height, width = frames[0].shape[:2]
    picks = np.unique(np.linspace(0, len(frames) - 1, min(probes, len(frames))).round().astype(int))
    scale = min(1.0, DETECTION_SIDE / min(height, width))
    min_side = max(24, round(0.12 * min(height, width) * scale))
    found = []
    for i in picks:
        grey = cv2.cvtColor(frames[i], cv2.COLOR_BGR2GRAY)
        if scale < 1.0:
            grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        faces = _cascade().detectMultiScale(
            grey, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side)
        )
        if len(faces):
            x, y, w, h = max(faces, key=lambda f: f[2] * f[3]) / scale
            found.append((x + w / 2, y + h / 2, w, h))
    if len(found) < max(1, round(0.4 * len(picks))):  # 2 of 5: one stray detection is not a face
        return None
    cx, cy, w, h = np.median(np.array(found), axis=0)
    return _fit_box(cx, cy, margin * max(w, h), aspect, width, height)


def centre_box(width: int, height: int, aspect: float = 1.0) -> tuple[int, int, int, int]:
    """The fallback crop when no face is found: the largest centred box of ``aspect`` (the middle square)."""
    return _fit_box(width / 2, height / 2, float("inf"), aspect, width, height)


def _fit_box(
    cx: float, cy: float, side: float, aspect: float, width: int, height: int
) -> tuple[int, int, int, int]:
    """A box of about ``side`` pixels tall (``aspect`` wide per tall) centred near (cx, cy), inside the frame."""
    box_h = min(side, height, width / aspect)
    box_w = min(round(box_h * aspect), width)
    box_h = min(round(box_h), height)
    x = int(np.clip(round(cx - box_w / 2), 0, width - box_w))
    y = int(np.clip(round(cy - box_h / 2), 0, height - box_h))
    return x, y, int(box_w), int(box_h)


# --------------------------------------------------------------------------- one clip


def sample_face_frames(
    path: str | Path,
    n_frames: int,
    size: tuple[int, int],
    crop: str = "face",
    decoder_threads: int | None = None,
) -> tuple[np.ndarray, dict[str, object]]:
    """Decode a clip once, front to back, keep ``n_frames`` evenly spaced frames, crop them to the face.

    Frames that are not kept are only grabbed, never converted, and the clip is never
    seeked (seeking in H.264 is many times slower than reading on). The kept frames
    stay at full resolution until the face box is known; then each is cropped with
    that one box and resized to ``size`` (``INTER_AREA``).

    Parameters
    ----------
    n_frames
        Frames to keep, evenly spaced over the clip.
    size
        (height, width) of the output frames.
    crop
        ``"face"``: crop to the face (:func:`detect_face_box`), or to the centre box of
        the output's aspect when no face is found (the middle square for square output);
        ``"none"``: resize the whole frame.
    decoder_threads
        FFmpeg decoding threads (default: FFmpeg's choice); 1 suits parallel workers.

    Returns
    -------
    frames : np.ndarray, shape (n_frames, height, width, 3), uint8 RGB
    info : dict
        ``face_found`` (bool; False also with ``crop="none"``), ``box`` ([x, y, w, h] in
        source pixels, the face or fallback crop; None for ``"none"``), ``padded`` (True
        when some frames repeat: the clip had fewer frames than ``n_frames``),
        ``frames_kept`` (distinct frames among the ``n_frames``), ``frame_count`` (what the container
        reported), ``source_size`` ([width, height]).

    Raises
    ------
    MediaError
        When the clip cannot be opened, no frame decodes, it stops decoding well before
        the frame count its container states (truncated), or every kept frame is black.
    """
    if crop not in ("face", "none"):
        raise ValueError(f"crop must be 'face' or 'none', got {crop!r}")
    path = Path(path)
    out_h, out_w = size
    kept = _decode_kept_frames(path, n_frames, decoder_threads)
    indices = np.array(sorted(kept))
    frames = [kept[i] for i in indices]
    src_h, src_w = frames[0].shape[:2]
    box = None
    face_found = False
    if crop == "face":
        box = detect_face_box(frames, aspect=out_w / out_h)
        face_found = box is not None
        box = box or centre_box(src_w, src_h, aspect=out_w / out_h)
        x, y, w, h = box
        frames = [frame[y : y + h, x : x + w] for frame in frames]
    frames = [
        cv2.cvtColor(cv2.resize(frame, (out_w, out_h), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
        for frame in frames
    ]
    # Evenly spaced positions over the distinct frames: a short clip repeats frames in order,
    # and a container that overstated its frame count falls back to the nearest decoded frame.
    wanted = np.linspace(0, kept.frame_count - 1, n_frames).round().astype(int)
    nearest = np.abs(indices[None, :] - wanted[:, None]).argmin(axis=1)
    distinct = len(set(nearest.tolist()))
    padded = distinct < n_frames
    if padded:
        warnings.warn(
            f"{path.name}: only {distinct} distinct frames for {n_frames}; frames were repeated",
            ShortClipWarning,
            stacklevel=2,
        )
    info = {
        "face_found": face_found,
        "box": [int(v) for v in box] if box is not None else None,
        "padded": bool(padded),
        "frames_kept": distinct,
        "frame_count": int(kept.frame_count),
        "source_size": [int(src_w), int(src_h)],
    }
    return np.stack([frames[i] for i in nearest]), info


class _KeptFrames(dict):
    """Decoded BGR frames by index, and the frame count the sampling was planned with."""

    frame_count: int = 0


def _decode_kept_frames(path: Path, n_frames: int, decoder_threads: int | None) -> _KeptFrames:
    """The one decoding pass: grab every frame, convert only the wanted ones (BGR, full size)."""
    capture = _open(path, decoder_threads)
    try:
        total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        if total <= 0:  # a container without a frame count: count with grabs only, then start again
            while capture.grab():
                total += 1
            capture.release()
            capture = _open(path, decoder_threads)
        kept = _KeptFrames()
        kept.frame_count = max(total, 1)
        wanted = np.linspace(0, kept.frame_count - 1, n_frames).round().astype(int)
        wanted_set = set(wanted.tolist())
        # Containers often count a frame or two that never decodes (RAVDESS: 99 for 98). The
        # frames after the second-to-last wanted one are kept as they pass, so the last decoded
        # frame can stand in for a last wanted frame that does not exist.
        tail_from = wanted[-2] + 1 if n_frames > 1 else 0
        tail: tuple[int, np.ndarray] | None = None
        index = 0
        while index <= wanted[-1] and capture.grab():
            if index in wanted_set or index >= tail_from:
                ok, bgr = capture.retrieve()
                if ok and index in wanted_set:
                    kept[index] = bgr
                elif ok:
                    tail = (index, bgr)
            index += 1
    finally:
        capture.release()
    if wanted[-1] not in kept and tail is not None and tail[0] > max(kept, default=-1):
        kept[tail[0]] = tail[1]
    if not kept:
        raise MediaError(f"{path}: no frame could be decoded")
    # A cut-off file stops far before the count it states, and a black clip has no face to read.
    if index <= wanted[-1] and index < total - max(2, total // 10):
        raise MediaError(f"{path}: truncated, only {index} of the {total} frames it states decode")
    if max(frame.max() for frame in kept.values()) < BLACK_LEVEL:
        raise MediaError(f"{path}: video is black (every sampled frame is below level {BLACK_LEVEL})")
    return kept


def _open(path: Path, decoder_threads: int | None) -> cv2.VideoCapture:
    if decoder_threads:
        capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, decoder_threads])
    else:
        capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise MediaError(f"{path}: cannot open video")
    return capture


def sample_frames(path: str | Path, n_frames: int, size: tuple[int, int]) -> np.ndarray:
    """Decode a clip once, front to back, keeping ``n_frames`` evenly spaced whole frames.

    Frames that are not kept are only grabbed, never converted, and the clip is never
    seeked: seeking by index in H.264 is many times slower than reading sequentially.
    A clip with fewer frames than asked repeats frames (evenly, in order). It is
    :func:`sample_face_frames` without a crop.

    Returns
    -------
    np.ndarray, shape (n_frames, height, width, 3), uint8 RGB

    Raises
    ------
    MediaError
        When the clip cannot be opened, stops decoding well before the frame count its
        container states (a truncated file), or every sampled frame is black.
    """
    return sample_face_frames(path, n_frames, size, crop="none")[0]


def sample_frames_job(path: Path, settings: FeatureSettings) -> np.ndarray:
    """Picklable worker: the frames of one file as the settings say (count, size, face crop or not)."""
    crop = "face" if settings.face_crop else "none"
    return sample_face_frames(path, settings.video_frames, settings.video_size, crop=crop)[0]


# --------------------------------------------------------------------------- pictures


def save_frame_grid(
    clips: Sequence[np.ndarray],
    path: str | Path,
    titles: Sequence[str] | None = None,
    columns: int = 6,
    full_frames: Sequence[tuple[np.ndarray, Sequence[int] | None]] | None = None,
) -> Path:
    """A picture of ``columns`` evenly spaced frames of each clip, one clip per row.

    Parameters
    ----------
    clips
        Each (frames, height, width, 3) uint8 RGB.
    titles
        One per clip, shown at the left of its row.
    full_frames
        Optional (full RGB frame, box) per clip, drawn first with the box in green.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    extra = 1 if full_frames else 0
    fig, axes = plt.subplots(
        len(clips), columns + extra, figsize=(1.6 * (columns + extra) + 1, 1.7 * len(clips)), squeeze=False
    )
    for row, clip in enumerate(clips):
        if full_frames:
            frame, box = full_frames[row]
            frame = frame.copy()
            if box is not None:
                x, y, w, h = box
                thickness = max(3, frame.shape[0] // 80)
                cv2.rectangle(frame, (x, y), (x + w, y + h), (0, 255, 0), thickness)
            axes[row, 0].imshow(frame)
        picks = np.linspace(0, len(clip) - 1, columns).round().astype(int)
        for column, index in enumerate(picks):
            axes[row, column + extra].imshow(clip[index])
            if row == 0:
                axes[row, column + extra].set_title(f"frame {index}", fontsize=8)
        if titles:
            axes[row, 0].set_ylabel(titles[row], fontsize=7, rotation=0, ha="right", va="center")
        for ax in axes[row]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_face_crops(
    clips: Sequence[str | Path], path: str | Path, n_frames: int = 30, size: int = 224, columns: int = 6
) -> Path:
    """Sample and face-crop each clip as training does, and save the grid (with the box on a full frame)."""
    crops, titles, full = [], [], []
    for clip in map(Path, clips):
        frames, info = sample_face_frames(clip, n_frames, (size, size))
        crops.append(frames)
        state = "face" if info["face_found"] else "no face: centre"
        titles.append(f"{clip.stem}\n{state}{', padded' if info['padded'] else ''}")
        first = _decode_kept_frames(clip, 1, None)
        full.append((cv2.cvtColor(next(iter(first.values())), cv2.COLOR_BGR2RGB), info["box"]))
    return save_frame_grid(crops, path, titles, columns=columns, full_frames=full)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Save a picture of sampled, face-cropped frames of video clips."
    )
    parser.add_argument("clips", type=Path, nargs="+", help="MP4 files or folders holding them")
    parser.add_argument(
        "--out", type=Path, default=Path("plots/video_face_crops.png"), help="default %(default)s"
    )
    parser.add_argument(
        "--frames", type=int, default=30, help="frames sampled per clip (default %(default)s)"
    )
    parser.add_argument("--size", type=int, default=224, help="crop size in pixels (default %(default)s)")
    parser.add_argument("--columns", type=int, default=6, help="frames shown per clip (default %(default)s)")
    args = parser.parse_args(argv)
    files = [f for c in args.clips for f in (sorted(c.rglob("*.mp4")) if c.is_dir() else [c])]
    if not files:
        print("error: no MP4 files given", file=sys.stderr)
        return 2
    try:
        print(plot_face_crops(files, args.out, args.frames, args.size, args.columns))
    except MediaError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
