"""Benchmark of the video path at the real format: frame extraction speed, and peak memory of streaming training.

1. Extraction, on H.264 1280x720 clips: synthetic ones (demo_data's drawn face with
   grain, encoded by demo_data's PyAV libx264 writer at about the real clips' bitrate) and the six original
   RAVDESS clips. Clips per second of

   - a straightforward ``cv2.VideoCapture`` loop that reads and resizes every frame,
     then keeps 30 evenly spaced ones (one process);
   - the project's extractor, ``ravdess_emotion.features.video.sample_face_frames`` (one decode pass,
     only the 30 kept frames converted, face crop), in one process, with and without
     the face crop;
   - ``ravdess_emotion.features.frames.FrameCache.ensure`` over all cores (cold), and again once cached.

2. Peak memory (RSS) of load + training from the frame cache: N synthetic full-size
   clips (30x224x224x3 uint8, 4.5 MB each) are written as cache files; a fresh process
   builds the ``ClipSet`` and trains one epoch of a small Keras model at the full input
   size through ``VideoBatches`` (batch 8, shuffled, augmented). For N = 100 and 1,000
   the peaks should be about equal; the seed's in-memory float32 array is measured at
   N = 100 for comparison (at 1,000 it would need about 18 GB for the array alone).

3. ``--train-speed`` (meant for a GPU): training samples/s of the seed's
   ``VideoEmotion3DCNNLSTM`` from the disk cache (``VideoBatches``) vs an in-memory
   float32 array, each in ``float32`` and ``mixed_bfloat16``. It needs only NumPy and
   Keras (any backend: ``KERAS_BACKEND=jax`` on the GPU machine)::

       KERAS_BACKEND=jax python -m benchmarks.video --only-train-speed --train-speed

Results go to ``reports/benchmark_video.md`` and ``.json``::

    python -m benchmarks.video --synthetic 24 --seconds 3 --rss-clips 100,1000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ravdess_emotion.core.cli_text import plain_text
from ravdess_emotion.core.files import available_cores

ROOT = Path(__file__).resolve().parents[1]
"""The repository: children run as ``python -m benchmarks.video`` from here."""
FULL_SHAPE = (30, 224, 224, 3)


# --------------------------------------------------------------------------- synthetic clips


def write_synthetic_clip(path: Path, take: int, seconds: float, size=(1280, 720), fps=30000 / 1001) -> Path:
    """An H.264 MP4 of a drawn talking face with grain, written by demo_data's encoder, about as costly to decode as RAVDESS."""
    from ravdess_emotion.core.files import atomic_path
    from ravdess_emotion.core.ravdess import parse_name
    from ravdess_emotion.corpus.demo import render_face, write_video_only

    name = parse_name(f"02-01-{take % 8 + 1:02d}-01-01-01-{take % 24 + 1:02d}.mp4")
    rng = np.random.default_rng(take)
    frames = render_face(name, round(seconds * fps), size, rng)
    for frame in frames:  # sensor-like grain: ±2 gives ~3.3 MB per 3.3 s, as the real clips (3.1-4.2 MB)
        frame[:] = np.clip(frame.astype(np.int16) + rng.integers(-2, 3, frame.shape, dtype=np.int16), 0, 255)
    with atomic_path(path) as temporary:
        write_video_only(temporary, frames, fps)
    return path


def make_synthetic_clips(folder: Path, n: int, seconds: float, jobs: int) -> list[Path]:
    import joblib

    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"synthetic_{i:03d}.mp4" for i in range(n)]
    todo = [(i, p) for i, p in enumerate(paths) if not p.exists()]
    joblib.Parallel(n_jobs=jobs)(joblib.delayed(write_synthetic_clip)(p, i, seconds) for i, p in todo)
    return paths


# --------------------------------------------------------------------------- extraction


def baseline_extract(path: Path, n_frames: int = 30, size: int = 224) -> np.ndarray:
    """The straightforward way: read and resize every frame, then keep ``n_frames`` evenly spaced ones."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(
            cv2.cvtColor(cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
        )
    capture.release()
    keep = np.linspace(0, len(frames) - 1, n_frames).round().astype(int)
    return np.stack([frames[i] for i in keep])


def extraction_speed(clips: list[Path], jobs: int, work: Path) -> dict[str, dict[str, float]]:
    """Clips/s of each extractor on ``clips`` (sequential ones first, then the parallel cache)."""
    from ravdess_emotion.features.frames import FrameCache
    from ravdess_emotion.features.settings import FeatureSettings
    from ravdess_emotion.features.video import sample_face_frames

    results: dict[str, dict[str, float]] = {}

    def timed(label: str, run) -> None:
        started = time.perf_counter()
        extra = run()
        seconds = time.perf_counter() - started
        extra = extra if isinstance(extra, dict) else {}
        results[label] = {
            "clips": len(clips),
            "seconds": seconds,
            "clips_per_s": len(clips) / seconds,
            **extra,
        }
        print(f"  {label}: {results[label]['clips_per_s']:.2f} clips/s", flush=True)

    timed(
        "cv2 loop: read + resize every frame, keep 30 (1 process)",
        lambda: [baseline_extract(c) for c in clips],
    )

    def project(crop: str):
        faces = sum(sample_face_frames(c, 30, (224, 224), crop=crop)[1]["face_found"] for c in clips)
        return {"faces_found": faces} if crop == "face" else None

    timed("project: sample_face_frames, no crop (1 process)", lambda: project("none"))
    timed("project: sample_face_frames, face crop (1 process)", lambda: project("face"))
    cache = FrameCache(work / "frames", FeatureSettings(), n_jobs=jobs, progress=False)
    timed(f"project: FrameCache.ensure, face crop ({jobs} processes, cold)", lambda: cache.ensure(clips))
    timed("project: FrameCache.ensure again (all cached: resume)", lambda: cache.ensure(clips))
    return results


# --------------------------------------------------------------------------- peak memory


def write_cache_files(folder: Path, n: int) -> list[Path]:
    """``n`` full-size uint8 cache files (random content, 4.5 MB each), as FrameCache writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    clip = rng.integers(0, 256, FULL_SHAPE, dtype=np.uint8)
    paths = []
    for i in range(n):
        path = folder / f"{i:05d}.npy"
        if not path.exists():
            clip[0, 0, 0, 0] = i % 256
            np.save(path, np.roll(clip, i, axis=0))
        paths.append(path)
    return paths


def tiny_video_model(shape=FULL_SHAPE):
    """A small model at the full input size: memory here is the data pipeline's, not the network's."""
    import keras
    from keras import layers

    inputs = keras.Input(shape)
    x = layers.AveragePooling3D((1, 8, 8))(inputs)
    x = layers.Conv3D(8, 3, strides=2, activation="relu")(x)
    x = layers.GlobalAveragePooling3D()(x)
    outputs = layers.Dense(8, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def rss_child(folder: Path, n: int, mode: str) -> dict[str, float]:
    """Run in a fresh process: load ``n`` clips and train one epoch; report peak RSS."""
    import keras

    from ravdess_emotion.batches import VideoBatches
    from ravdess_emotion.features.clips import scale_frames

    keras.utils.set_random_seed(0)
    started = time.perf_counter()
    files = sorted(folder.glob("*.npy"))[:n]
    y = np.arange(n) % 8
    model = tiny_video_model()
    if mode == "stream":
        model.fit(VideoBatches(files, y, 8, shuffle=True, augment=True), epochs=1, verbose=0)
    else:  # the seed's way: every clip in one float32 array in [0, 1]
        X = scale_frames(np.stack([np.load(f) for f in files]))
        model.fit(X, y, batch_size=8, epochs=1, verbose=0)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "clips": n,
        "mode": mode,
        "peak_rss_mb": peak_mb,
        "seconds": seconds,
        "samples_per_s": n / seconds,
    }


def run_child(*args: str) -> dict[str, float]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.video", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"child {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_memory(counts: list[int], memory_counts: list[int], tmp_root: Path) -> list[dict[str, float]]:
    results = []
    folder = Path(tempfile.mkdtemp(prefix="video_rss_", dir=tmp_root))
    try:
        write_started = time.perf_counter()
        write_cache_files(folder, max(counts + memory_counts))
        print(
            f"  wrote {max(counts + memory_counts)} cache files in {time.perf_counter() - write_started:.0f} s"
        )
        for n in counts:
            results.append(run_child("--rss-child", str(folder), str(n), "stream"))
            print(f"  {results[-1]}", flush=True)
        for n in memory_counts:
            results.append(run_child("--rss-child", str(folder), str(n), "memory"))
            print(f"  {results[-1]}", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


# --------------------------------------------------------------------------- training speed


def speed_child(
    folder: Path, data: str, policy: str, batch: int, epochs: int, augment: bool
) -> dict[str, float]:
    """Run in a fresh process: samples/s of the seed's video model, after one warm-up epoch."""
    import keras

    from ravdess_emotion.batches import VideoBatches
    from ravdess_emotion.features.clips import scale_frames
    from ravdess_emotion.models import VideoEmotion3DCNNLSTM

    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(0)
    files = sorted(folder.glob("*.npy"))
    y = np.arange(len(files)) % 8
    model = VideoEmotion3DCNNLSTM()
    model.build_model(tuple(np.load(files[0], mmap_mode="r").shape))
    if data == "disk cache (VideoBatches)":
        train = VideoBatches(files, y, batch, shuffle=True, augment=augment)
        model.model.fit(train, epochs=1, verbose=0)  # compile and warm up
        started = time.perf_counter()
        model.model.fit(train, epochs=epochs, verbose=0)
    else:
        X = scale_frames(np.stack([np.load(f) for f in files]))
        model.model.fit(X, y, batch_size=batch, epochs=1, verbose=0)
        started = time.perf_counter()
        model.model.fit(X, y, batch_size=batch, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - started
    return {
        "data": data,
        "policy": policy,
        "batch": batch,
        "samples_per_s": len(files) * epochs / seconds,
        "backend": keras.backend.backend(),
        "device": _device_name(),
    }


def _device_name() -> str:
    import keras

    try:
        return ", ".join(str(d) for d in keras.distribution.list_devices())
    except Exception:
        return platform.processor() or "cpu"


def training_speed(args: argparse.Namespace) -> list[dict[str, float]]:
    folder = Path(tempfile.mkdtemp(prefix="video_speed_", dir=args.rss_dir))
    shape = (args.train_frames, args.train_size, args.train_size, 3)
    try:
        rng = np.random.default_rng(0)
        for i in range(args.train_clips):
            np.save(folder / f"{i:05d}.npy", rng.integers(0, 256, shape, dtype=np.uint8))
        results = []
        for policy in ("float32", "mixed_bfloat16"):
            for data in ("disk cache (VideoBatches)", "in-memory float32 array"):
                child = [str(folder), data, policy, str(args.train_batch), str(args.train_epochs)]
                results.append(run_child("--speed-child", *child, "1" if args.train_augment else "0"))
                results[-1]["shape"] = "x".join(map(str, shape))
                print(f"  {results[-1]}", flush=True)
        return results
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------- report


def markdown_table(rows: list[dict[str, object]], columns: list[str], formats: dict[str, str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        cells = [
            format(row.get(c, ""), formats.get(c, "")) if row.get(c) is not None else "" for c in columns
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(record: dict[str, object], path: Path) -> str:
    parts = [
        "# Video benchmark",
        "",
        f"Command: `{record['command']}`",
        "",
        f"Machine: {record['machine']}",
        "",
    ]
    for label, results in record.get("extraction", {}).items():
        rows = [{"method": method, **values} for method, values in results["methods"].items()]
        parts += [
            f"## Frame extraction: {label}",
            "",
            results["description"],
            "",
            markdown_table(
                rows,
                ["method", "clips", "seconds", "clips_per_s", "faces_found"],
                {"seconds": ".1f", "clips_per_s": ".2f"},
            ),
            "",
        ]
    if record.get("memory"):
        parts += [
            "## Peak memory of load + one training epoch (fresh process each)",
            "",
            "Full-size clips 30x224x224x3 (uint8 cache files of 4.5 MB); a small model at the full input "
            "size, batch 8, shuffled; `stream` reads `VideoBatches` from the cache (augmented), "
            "`memory` is the seed's float32 array of every clip.",
            "",
            markdown_table(
                record["memory"],
                ["mode", "clips", "peak_rss_mb", "seconds", "samples_per_s"],
                {"peak_rss_mb": ".0f", "seconds": ".0f", "samples_per_s": ".1f"},
            ),
            "",
        ]
    if record.get("train_speed"):
        parts += [
            "## Training speed of the seed's video model",
            "",
            markdown_table(
                record["train_speed"],
                ["data", "policy", "shape", "batch", "samples_per_s", "backend", "device"],
                {"samples_per_s": ".1f"},
            ),
            "",
        ]
    text = "\n".join(parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return text


def machine() -> str:
    cores = available_cores()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    return f"{platform.machine()}, {cores} cores, load average {load} at the start; Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--rss-child"]:
        print(json.dumps(rss_child(Path(argv[1]), int(argv[2]), argv[3])))
        return 0
    if argv[:1] == ["--speed-child"]:
        folder, data, policy, batch, epochs, augment = argv[1:7]
        print(json.dumps(speed_child(Path(folder), data, policy, int(batch), int(epochs), augment == "1")))
        return 0
    parser = argparse.ArgumentParser(
        description=plain_text(__doc__.split("\n\n")[0]), epilog=plain_text(__doc__.split("\n\n")[-1])
    )
    parser.add_argument(
        "--synthetic", type=int, default=24, help="synthetic 1280x720 clips (default %(default)s)"
    )
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="length of each synthetic clip (default %(default)s)"
    )
    parser.add_argument(
        "--real",
        type=Path,
        default=ROOT.parent / "shared" / "ravdess_video",
        help="folder with real RAVDESS MP4s; skipped when absent (default %(default)s)",
    )
    parser.add_argument("--jobs", type=int, default=None, help="extraction processes (default: all cores)")
    parser.add_argument(
        "--rss-clips", default="100,1000", help="clip counts for peak RSS; '' skips (default %(default)s)"
    )
    parser.add_argument(
        "--rss-memory-clips",
        default="100",
        help="clip counts for the in-memory comparison (default %(default)s)",
    )
    parser.add_argument(
        "--rss-dir",
        type=Path,
        default=Path(tempfile.gettempdir()),
        help="where temporary cache files go (deleted after)",
    )
    parser.add_argument(
        "--work-dir", type=Path, default=Path("data/benchmark_video"), help="synthetic clips and caches"
    )
    parser.add_argument(
        "--train-speed", action="store_true", help="also measure training samples/s (for a GPU)"
    )
    parser.add_argument("--only-train-speed", action="store_true", help="skip extraction and memory")
    parser.add_argument(
        "--train-clips", type=int, default=64, help="clips for --train-speed (default %(default)s)"
    )
    parser.add_argument("--train-batch", type=int, default=8, help="default %(default)s")
    parser.add_argument(
        "--train-epochs", type=int, default=2, help="timed epochs after one warm-up (default %(default)s)"
    )
    parser.add_argument("--train-frames", type=int, default=30, help="default %(default)s")
    parser.add_argument("--train-size", type=int, default=224, help="default %(default)s")
    parser.add_argument(
        "--train-augment", action="store_true", help="augment the disk-cache batches while timing"
    )
    parser.add_argument("--plots-dir", type=Path, default=Path("plots"), help="default %(default)s")
    parser.add_argument("--reports-dir", type=Path, default=Path("reports"), help="default %(default)s")
    args = parser.parse_args(argv)
    jobs = args.jobs or (available_cores())
    record: dict[str, object] = {
        "command": " ".join(["python", "-m", "benchmarks.video", *argv]),
        "machine": machine(),
    }
    if not args.only_train_speed:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        record["extraction"] = {}
        if args.synthetic:
            print(f"writing {args.synthetic} synthetic clips ...", flush=True)
            clips = make_synthetic_clips(args.work_dir / "clips", args.synthetic, args.seconds, jobs)
            megabytes = sum(c.stat().st_size for c in clips) / len(clips) / 2**20
            description = (
                f"{len(clips)} synthetic H.264 1280x720 clips of {args.seconds:g} s at 29.97 fps "
                f"(demo_data's libx264 encoder, grain added; {megabytes:.1f} MB each). The face is drawn (demo_data): "
                "the Haar cascade finds it in some clips only, the others take the centre-square fallback."
            )
            with tempfile.TemporaryDirectory(dir=args.work_dir) as work:
                record["extraction"]["synthetic"] = {
                    "description": description,
                    "methods": extraction_speed(clips, jobs, Path(work)),
                }
        real = sorted(args.real.glob("**/*.mp4")) if args.real.is_dir() else []
        if real:
            from ravdess_emotion.features.video import plot_face_crops

            megabytes = sum(c.stat().st_size for c in real) / len(real) / 2**20
            description = (
                f"The {len(real)} original RAVDESS clips in {args.real} (H.264 1280x720, 29.97 fps, "
                f"~3.3 s, {megabytes:.1f} MB each)."
            )
            with tempfile.TemporaryDirectory(dir=args.work_dir) as work:
                record["extraction"]["real RAVDESS"] = {
                    "description": description,
                    "methods": extraction_speed(real, jobs, Path(work)),
                }
            print(plot_face_crops(real, args.plots_dir / "video_face_crops.png"))
        counts = [int(n) for n in args.rss_clips.split(",") if n]
        memory_counts = [int(n) for n in args.rss_memory_clips.split(",") if n]
        if counts:
            print("peak memory ...", flush=True)
            record["memory"] = peak_memory(counts, memory_counts, args.rss_dir)
    if args.train_speed or args.only_train_speed:
        print("training speed ...", flush=True)
        record["train_speed"] = training_speed(args)
    text = write_report(record, args.reports_dir / "benchmark_video.md")
    (args.reports_dir / "benchmark_video.json").write_text(json.dumps(record, indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
