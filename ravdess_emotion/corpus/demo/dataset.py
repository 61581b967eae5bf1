"""Writing the demo dataset: the WAV, MP4 and CSV files of each take, atomically, in parallel.

:func:`write_demo_dataset` enumerates the takes, writes whichever of their files are missing
(one take per job, in worker processes) and the marker that says the folder is synthetic;
:func:`main` is its command line (``python -m ravdess_emotion.corpus.demo``).
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import soundfile as sf
from joblib.externals.loky import ProcessPoolExecutor
from tqdm import tqdm

from ravdess_emotion.core.files import TEMPORARY_SUFFIX, atomic_path, available_cores, temporary_path
from ravdess_emotion.core.ravdess import (
    EMOTIONS,
    SONG_EMOTIONS,
    SYNTHETIC_MARKER,
    RavdessName,
    actor_folder,
    parse_actor_list,
)
from ravdess_emotion.corpus.demo.face import render_face
from ravdess_emotion.corpus.demo.tracking import _tracking_rng, synthesize_tracking
from ravdess_emotion.corpus.demo.voice import SAMPLE_RATE, synthesize_voice
from ravdess_emotion.corpus.tracking import tracking_text

# --------------------------------------------------------------------------------------
# Writing files
# --------------------------------------------------------------------------------------


def _take_rng(name: RavdessName, seed: int) -> np.random.Generator:
    """The take's generator: from the seed and every take field (not the modality)."""
    fields_ = (name.vocal_channel, name.emotion, name.intensity, name.statement, name.repetition, name.actor)
    return np.random.default_rng(np.random.SeedSequence([seed, *fields_]))


_TEMP_NAME = re.compile(rf"^\.\d\d(-\d\d){{6}}\.(wav|mp4|csv)\.\d+{re.escape(TEMPORARY_SUFFIX)}$")


def _remove_stale_temp_files(dest: Path) -> None:
    """Delete the temp files of a run that was killed before it could clean up."""
    for folder in dest.glob("Actor_*"):
        for path in folder.iterdir():
            if _TEMP_NAME.match(path.name):
                path.unlink(missing_ok=True)


def _write_atomically(final: Path, write: Callable[[Path], None]) -> None:
    """``write(temporary path)``, then the file is renamed to ``final`` (see ``core.files.atomic_path``)."""
    with atomic_path(final) as temp:
        write(temp)


def _write_wav(path: Path, audio: np.ndarray) -> None:
    pcm = np.round(np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
    sf.write(path, pcm, SAMPLE_RATE, subtype="PCM_16", format="WAV")


def write_video_only(path: Path, frames: np.ndarray, fps: float) -> None:
    """Write ``frames`` (n, height, width, 3) uint8 RGB as an H.264 (libx264, yuv420p) MP4 with one video stream."""
    height, width = frames.shape[1:3]
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        # superfast has no macroblock-tree lookahead: with it (veryfast and slower) libx264
        # output varied between identical runs here. One thread, as takes already run in parallel.
        stream.options = {"preset": "superfast", "crf": "20", "threads": "1"}
        for index, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def _write_audio_video(path: Path, video_only: Path, audio: np.ndarray) -> None:
    """Copy the H.264 stream of ``video_only`` and add the voice as AAC (no re-encoding)."""
    with av.open(str(video_only)) as source, av.open(str(path), "w", format="mp4") as container:
        video_in = source.streams.video[0]
        video_out = container.add_stream_from_template(video_in)
        audio_out = container.add_stream("aac", rate=SAMPLE_RATE)
        audio_out.layout = "mono"
        audio_out.bit_rate = 96000
        # The default two-loop coder is ~3x slower (then the costliest step of a take), for
        # no gain that matters to a synthetic voice.
        audio_out.options = {"aac_coder": "fast"}
        for packet in source.demux(video_in):
            if packet.dts is None:  # the demuxer's end-of-stream marker
                continue
            packet.stream = video_out
            container.mux(packet)
        frame = av.AudioFrame.from_ndarray(
            audio[np.newaxis, :].astype(np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate = SAMPLE_RATE
        frame.pts = 0
        container.mux(audio_out.encode(frame))
        container.mux(audio_out.encode(None))


@dataclass(frozen=True)
class _TakeJob:
    dest: Path
    name: RavdessName  # audio-only name of the take
    video: bool
    video_size: tuple[int, int]
    fps: float
    seed: int


def _frame_count(n_samples: int, fps: float) -> int:
    """Video frames of a take whose voice has ``n_samples`` samples at :data:`SAMPLE_RATE`."""
    return max(1, round(n_samples / SAMPLE_RATE * fps))


def _write_take(job: _TakeJob) -> list[Path]:
    """Write whichever of the take's files are missing; return all of them."""
    folder = job.dest / actor_folder(job.name.actor)
    folder.mkdir(parents=True, exist_ok=True)
    wav_path = folder / job.name.filename()
    audio_video_path = folder / job.name.with_modality(1).filename()
    video_only_path = folder / job.name.with_modality(2).filename()
    tracking_path = folder / job.name.with_modality(1).filename(".csv")
    paths = [wav_path, audio_video_path, video_only_path, tracking_path] if job.video else [wav_path]
    if all(p.exists() for p in paths):
        return paths

    # Voice and face get twin generators (same seed): the face replays the voice's syllables.
    audio = synthesize_voice(job.name, _take_rng(job.name, job.seed))
    # What the WAV holds exactly, so the AAC track carries the same waveform.
    audio = (np.round(np.clip(audio, -1, 1) * 32767) / 32767).astype(np.float32)
    if not wav_path.exists():
        _write_atomically(wav_path, lambda temp: _write_wav(temp, audio))
    if not job.video:
        return paths

    n_frames = _frame_count(len(audio), job.fps)
    if not (audio_video_path.exists() and video_only_path.exists()):
        frames = render_face(job.name, n_frames, job.video_size, _take_rng(job.name, job.seed))
        video_temp = temporary_path(video_only_path)
        try:
            write_video_only(video_temp, frames, job.fps)
            if not audio_video_path.exists():
                _write_atomically(audio_video_path, lambda temp: _write_audio_video(temp, video_temp, audio))
            if not video_only_path.exists():
                os.replace(video_temp, video_only_path)
        finally:
            video_temp.unlink(missing_ok=True)
    if not tracking_path.exists():
        units, confidence = synthesize_tracking(
            job.name, n_frames, _take_rng(job.name, job.seed), _tracking_rng(job.name, job.seed)
        )
        text = tracking_text(units, confidence, job.fps)
        _write_atomically(tracking_path, lambda temp: temp.write_bytes(text))
    return paths


def _init_worker() -> None:
    cv2.setNumThreads(1)  # the pool already uses every core


def _takes(
    actors: Sequence[int],
    channels: Sequence[str],
    statements: Sequence[int],
    repetitions: Sequence[int],
    intensities: Sequence[int],
) -> list[RavdessName]:
    unknown = set(channels) - {"speech", "song"}
    if unknown:
        raise ValueError(f"unknown channel(s) {sorted(unknown)}: use 'speech' and/or 'song'")
    takes = []
    for actor in sorted(set(actors)):
        for channel in ("speech", "song"):
            if channel not in channels:
                continue
            emotions = EMOTIONS if channel == "speech" else SONG_EMOTIONS
            for emotion in range(1, len(emotions) + 1):
                for intensity in sorted(set(intensities)):
                    if emotion == 1 and intensity == 2:  # neutral has no strong version
                        continue
                    for statement in sorted(set(statements)):
                        for repetition in sorted(set(repetitions)):
                            vocal_channel = 1 if channel == "speech" else 2
                            takes.append(
                                RavdessName(
                                    3, vocal_channel, emotion, intensity, statement, repetition, actor
                                )
                            )
    return takes


_MARKER_TEXT = (
    "The files in this folder are SYNTHETIC demo data made by ravdess_emotion/corpus/demo.py: a formant-synthesised\n"
    "voice and a cartoon face in the RAVDESS layout. They are not RAVDESS. Models trained on them\n"
    "show that the pipeline runs and learns, not how well it recognises human emotion.\n"
)


def write_demo_dataset(
    dest: Path,
    actors: Sequence[int] = range(1, 25),
    channels: Sequence[str] = ("speech", "song"),
    statements: Sequence[int] = (1, 2),
    repetitions: Sequence[int] = (1,),
    intensities: Sequence[int] = (1,),
    video: bool = True,
    video_size: tuple[int, int] = (160, 90),
    fps: float = 30.0,
    seed: int = 0,
    n_jobs: int | None = None,
    progress: bool = True,
) -> list[Path]:
    """Write synthetic demo data in the RAVDESS layout under ``dest/Actor_NN/``.

    For each actor, channel (speech: 8 emotions, song: 6), emotion, intensity (no strong
    neutral), statement and repetition it writes ``03-...wav`` (48 kHz 16-bit mono) and,
    with ``video``, ``01-...mp4`` (H.264 + AAC of the same voice), ``02-...mp4`` (the
    same H.264 frames, no audio) and ``01-...csv`` (the face's per-frame action units
    and tracking confidence, one row per frame of the video, as the RAVDESS Facial
    Landmark Tracking release names them; read it with
    :func:`~ravdess_emotion.corpus.tracking.read_tracking`). Each file appears atomically (temp file + rename), and
    files already present are kept, so an interrupted run can simply be repeated (it
    also deletes the temp files a killed run left; so run one writer per ``dest`` at a
    time). The output depends only on the arguments, not on ``n_jobs``.

    Parameters
    ----------
    dest
        Root folder; created if missing.
    actors, statements, repetitions, intensities
        RAVDESS field values to generate (actors 1-24, others 1-2).
    channels
        ``"speech"`` and/or ``"song"``.
    video
        Also write the two MP4 files and the tracking CSV per take.
    video_size
        ``(width, height)`` in pixels; both even (yuv420p needs it).
    fps
        Video frame rate; each video has ``round(audio seconds * fps)`` frames.
    seed
        Seed of the per-take randomness (syllable timing, noise, head motion, tracking noise).
    n_jobs
        Worker processes; ``None`` uses every available core, 1 runs in this process.
    progress
        Show a tqdm progress bar.

    Returns
    -------
    list[pathlib.Path]
        Every file of the requested takes (written now or already present), sorted.
    """
    dest = Path(dest)
    width, height = video_size
    if video and (width <= 0 or height <= 0 or width % 2 or height % 2):
        raise ValueError(f"video_size {video_size}: width and height must be positive and even")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    if n_jobs is not None and n_jobs < 1:
        raise ValueError(f"n_jobs must be at least 1, got {n_jobs}")
    names = _takes(actors, channels, statements, repetitions, intensities)
    if dest.is_dir():
        _remove_stale_temp_files(dest)
    jobs = [_TakeJob(dest, name, video, (int(width), int(height)), float(fps), int(seed)) for name in names]
    workers = max(1, min(n_jobs or available_cores(), len(jobs)))

    dest.mkdir(parents=True, exist_ok=True)
    marker = dest / SYNTHETIC_MARKER
    if not marker.is_file():  # first, so that even a half-written demo folder is never taken for RAVDESS
        _write_atomically(marker, lambda tmp: tmp.write_text(_MARKER_TEXT))
    written: list[Path] = []
    bar = tqdm(total=len(jobs), unit="take", desc="demo data", disable=not progress)
    with bar:
        if workers == 1:
            for job in jobs:
                written.extend(_write_take(job))
                bar.update()
        else:
            # loky's workers start clean instead of forking this process: a fork of a process
            # that already runs threads (TensorFlow, OpenCV) can wait forever on a lock that no
            # thread of the child will release. Unlike spawn, loky needs no __main__ guard.
            with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker) as pool:
                for paths in pool.map(_write_take, jobs, chunksize=4):
                    written.extend(paths)
                    bar.update()
    return sorted(written)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m ravdess_emotion.corpus.demo",
        description="Write synthetic demo data in the RAVDESS layout (not RAVDESS: a synthesised voice "
        "and a drawn face, with learnable, actor-independent emotion cues).",
    )
    parser.add_argument("dest", type=Path, help="output folder (Actor_NN folders go inside)")
    parser.add_argument(
        "--actors", type=parse_actor_list, default=list(range(1, 25)), help="e.g. 1-24 or 1,3,5"
    )
    parser.add_argument("--no-video", dest="video", action="store_false", help="write only the WAV files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    paths = write_demo_dataset(
        args.dest, actors=args.actors, video=args.video, seed=args.seed, n_jobs=args.jobs
    )
    print(f"{len(paths)} files under {args.dest} in {time.perf_counter() - started:.1f} s")
