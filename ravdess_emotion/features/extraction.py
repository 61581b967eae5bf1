"""Running a view's extraction over many files: worker processes, batches of files, a progress bar, crashes named.

Files go to ``joblib`` worker processes ``view.batch_size`` at a time
(``FeatureView.extract_batch``); a file that cannot be decoded comes back as its message,
and a worker killed by native code is named with the file it was working on.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import joblib
import librosa
import numpy as np
from joblib.externals.loky.process_executor import TerminatedWorkerError
from tqdm.auto import tqdm

from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.views import FeatureView


class WorkerCrashError(RuntimeError):
    """An extraction worker process died (a crash in native code); the message names the file."""


def extract_files(
    view: FeatureView, paths: list[Path], settings: FeatureSettings, n_jobs: int, progress: bool, what: str
) -> list[np.ndarray | str]:
    """The raw features of ``view`` of every file of ``paths``, in order; a file that fails gives its message.

    With several workers, the view first prepares in this process what they would
    otherwise each prepare at once (``FeatureView.warm_up``: librosa's numba code).

    Raises
    ------
    WorkerCrashError
        When a worker process dies; the message names its file and what to try.
    """
    if n_jobs > 1:
        view.warm_up(settings)
    size = max(1, view.batch_size)
    batches = [paths[start : start + size] for start in range(0, len(paths), size)]
    with tempfile.TemporaryDirectory(prefix="ravdess-extracting-") as in_flight:
        runner = joblib.Parallel(n_jobs=n_jobs, return_as="generator")
        results = runner(
            joblib.delayed(_extract_batch)(view, batch, settings, in_flight) for batch in batches
        )
        outputs: list[np.ndarray | str] = []
        try:
            with tqdm(total=len(paths), desc=what, unit="file", disable=not progress) as bar:
                for batch_outputs in results:
                    outputs.extend(batch_outputs)
                    bar.update(len(batch_outputs))
        except TerminatedWorkerError as error:
            raise WorkerCrashError(_worker_crash_message(Path(in_flight), what, error)) from None
    return outputs


def _extract_batch(
    view: FeatureView, paths: list[Path], settings: FeatureSettings, in_flight: str | None = None
) -> list[np.ndarray | str]:
    """Worker: ``view.extract_batch`` of some files; a file that fails comes back as its message.

    With ``in_flight`` (a folder), the worker notes the files it works on in a file named
    by its process id, so that when native code kills the process the parent can name them.
    """
    note = Path(in_flight, str(os.getpid())) if in_flight else None
    if note is not None:
        note.write_text("\n".join(str(path) for path in paths))
    try:
        return view.extract_batch(paths, settings)
    finally:
        if note is not None:
            note.unlink(missing_ok=True)


def _worker_crash_message(in_flight: Path, what: str, error: BaseException) -> str:
    """What died, on which file (the notes of :func:`_guarded` whose process is gone), and what to try."""
    files = []
    for note in sorted(in_flight.iterdir()):
        try:
            os.kill(int(note.name), 0)  # signal 0 only asks whether the process exists
        except ProcessLookupError:
            files.extend(note.read_text().splitlines())
        except (OSError, ValueError):
            continue
    # The executor stops the other workers too, so a file of theirs can be named beside the culprit.
    if len(files) > 1:
        where = f"while extracting one of {', '.join(files)}"
    else:
        where = f"while extracting {files[0]}" if files else f"during {what}"
    numba_cache = Path(librosa.__file__).parent
    reason = " ".join(str(error).split())  # joblib's message spans lines; an error line is one line
    return (
        f"an extraction worker process died {where} ({reason}). A crash inside librosa (librosa.yin, say) "
        f"usually means a corrupt numba cache: delete the *.nbi and *.nbc files under {numba_cache} (or "
        "set NUMBA_CACHE_DIR to an empty folder) and run again. If the same file crashes again, run with "
        "--jobs 1 to see the error, or move that file away."
    )
