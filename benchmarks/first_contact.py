"""How long ``predict.py`` makes a person wait: its help, its mistakes, and one file, against ``import keras``.

Each command runs ``--repeats`` times in a fresh Python process, as a person runs it,
and the median wall time is reported:

- ``python -c "import keras"``: the floor of anything that loads a model;
- ``predict.py --help``, a missing recording, a file that is not a model: answered
  before Keras is imported;
- ``predict.py MODEL FILE``: one prediction, start to finish.

The table, with the ratio of the prediction to ``import keras``, goes to
``reports/benchmark_first_contact.md``.

    python -m benchmarks.first_contact models/audio_emotion_speech.h5 some_recording.wav
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def wall_seconds(command: list[str], repeats: int) -> tuple[float, int]:
    """The median wall time (s) of ``command`` in a fresh process over ``repeats`` runs, and its last exit status."""
    times, status = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        status = subprocess.run(command, cwd=ROOT, capture_output=True, env=os.environ.copy()).returncode
        times.append(time.perf_counter() - start)
    return statistics.median(times), status


def first_contact_table(model: Path, recording: Path, repeats: int) -> pd.DataFrame:
    """One row per command: what it is, the command, its median seconds and exit status."""
    python = sys.executable
    not_a_model = ROOT / "README.md"
    commands = {
        "import keras": [python, "-c", "import keras"],
        "predict.py --help": [python, "predict.py", "--help"],
        "a recording that does not exist": [python, "predict.py", str(model), "no_such_recording.wav"],
        "a file that is not a model": [python, "predict.py", str(not_a_model), str(recording)],
        "one recording predicted": [python, "predict.py", str(model), str(recording)],
    }
    rows = []
    for what, command in commands.items():
        seconds, status = wall_seconds(command, repeats)
        shown = " ".join(Path(part).name if part == python else part for part in command)
        rows.append({"what": what, "command": shown, "seconds": round(seconds, 2), "exit status": status})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path, help="a model train_models.py saved")
    parser.add_argument("recording", type=Path, help="an audio file the model reads")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each command (default %(default)s)")
    parser.add_argument("--reports-dir", type=Path, default=Path("reports"), help="default %(default)s")
    args = parser.parse_args(argv)
    for path in (args.model, args.recording):
        if not path.is_file():
            parser.error(f"{path}: no such file")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    table = first_contact_table(args.model.resolve(), args.recording.resolve(), args.repeats)
    keras_seconds = float(table.loc[table["what"] == "import keras", "seconds"].iloc[0])
    predicted = float(table.loc[table["what"] == "one recording predicted", "seconds"].iloc[0])
    text = (
        f"Median of {args.repeats} runs, each in a fresh process "
        f"(KERAS_BACKEND={os.environ.get('KERAS_BACKEND', 'tensorflow')}):\n\n"
        f"{table.to_markdown(index=False)}\n\n"
        f"One prediction takes {predicted / keras_seconds:.1f} times `import keras`.\n"
    )
    args.reports_dir.mkdir(parents=True, exist_ok=True)
    (args.reports_dir / "benchmark_first_contact.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
