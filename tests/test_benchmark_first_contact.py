"""``benchmarks.first_contact``: each command runs in a fresh process, and the report gives the ratio to ``import keras``."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from benchmarks import first_contact
from ravdess_emotion.core.ravdess import parse_name
from ravdess_emotion.corpus.demo.voice import SAMPLE_RATE, synthesize_voice


@pytest.mark.slow  # two fresh processes load Keras
def test_first_contact_times_every_command_and_reports_the_ratio(audio_model: Path, tmp_path: Path) -> None:
    wav = tmp_path / "03-01-05-01-01-01-01.wav"
    sf.write(wav, synthesize_voice(parse_name(wav), np.random.default_rng(0)), SAMPLE_RATE)
    reports = tmp_path / "reports"
    assert (
        first_contact.main([str(audio_model), str(wav), "--repeats", "1", "--reports-dir", str(reports)]) == 0
    )
    text = (reports / "benchmark_first_contact.md").read_text()
    statuses = {
        "import keras": 0,
        "predict.py --help": 0,
        "a recording that does not exist": 2,
        "a file that is not a model": 2,
        "one recording predicted": 0,
    }
    for what, status in statuses.items():
        (line,) = [line for line in text.splitlines() if line.startswith(f"| {what} ")]
        assert line.rstrip(" |").endswith(str(status)), line
    assert "One prediction takes " in text and " times `import keras`." in text


def test_first_contact_refuses_missing_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        first_contact.main([str(tmp_path / "m.h5"), str(tmp_path / "a.wav")])
    assert "m.h5: no such file" in capsys.readouterr().err
