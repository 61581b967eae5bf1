"""What the cross-validation benchmarks share: the real audio they organize first, refused with the reason when absent."""

from pathlib import Path

import pytest

from benchmarks import audio, ensembles, speakers


@pytest.mark.parametrize("benchmark", [audio, speakers, ensembles], ids=lambda module: module.__name__)
def test_missing_audio_is_an_error_that_names_it(benchmark, tmp_path: Path, capsys) -> None:
    work = tmp_path / "work"
    assert benchmark.main(["--ravdess", str(tmp_path / "nowhere"), "--work-dir", str(work)]) == 2
    assert (
        f"{tmp_path / 'nowhere'} not found: point --ravdess at the RAVDESS audio" in capsys.readouterr().err
    )
    assert not work.exists()  # nothing organized
