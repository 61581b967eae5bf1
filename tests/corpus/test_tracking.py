"""Reading OpenFace's action units: the official per-frame tracking CSV, OpenFace 2.0's own output, clip tables."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.corpus.tracking import (
    AU_COLUMNS,
    MIN_CONFIDENCE,
    read_au_means,
    read_au_table,
    read_tracking,
    tracking_text,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
OFFICIAL_CSV = SHARED / "ravdess_tracking" / "01-01-01-01-01-01-01.csv"
AU_TABLE = SHARED / "ravdess_aus" / "openface_au_means.csv"


def _units(frames: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 3, (frames, len(AU_COLUMNS)))


def test_au_columns_are_openface_s_35_outputs():
    assert len(AU_COLUMNS) == 35
    assert AU_COLUMNS[0] == "AU01_r" and AU_COLUMNS[16] == "AU45_r"
    assert AU_COLUMNS[17] == "AU01_c" and "AU28_c" in AU_COLUMNS and "AU28_r" not in AU_COLUMNS


def test_the_official_release_reads_and_its_means_match_the_clip_table():
    if not OFFICIAL_CSV.is_file() or not AU_TABLE.is_file():
        pytest.skip(f"{OFFICIAL_CSV} or {AU_TABLE} not found (../shared is absent on a fresh clone)")
    tracking = read_tracking(OFFICIAL_CSV)
    assert tracking.units.shape == (98, 35)
    assert tracking.confident.all()  # confidence is 0.98 in every frame
    assert tracking.fps == pytest.approx(29.97, abs=0.01)
    table = read_au_table(AU_TABLE).set_index("name")
    means = tracking.units.mean(axis=0)
    reference = table.loc["01-01-01-01-01-01-01"].to_numpy(float)
    # Computed separately from the same video (its README): intensities agree to 0.01, presences to 0.07.
    assert np.abs(means[:17] - reference[:17]).max() < 0.01
    assert np.abs(means - reference).max() < 0.07


def test_openface_2_0_output_with_spaces_and_success_is_read(tmp_path):
    units = _units(5)
    table = pd.DataFrame(units, columns=list(AU_COLUMNS))
    table.insert(0, "frame", range(1, 6))
    table.insert(1, "face_id", 0)
    table.insert(2, "timestamp", np.arange(5) / 30)
    table.insert(3, "confidence", [0.98, 0.98, 0.2, 0.98, 0.98])
    table.insert(4, "success", [1, 1, 0, 0, 1])
    path = tmp_path / "clip.csv"
    path.write_text(table.to_csv(index=False).replace(",", ", "))
    tracking = read_tracking(path)
    np.testing.assert_allclose(tracking.units, units, atol=1e-5)
    assert tracking.confident.tolist() == [True, True, False, False, True]


def test_low_confidence_frames_are_marked_and_a_clip_where_all_failed_is_refused(tmp_path):
    path = tmp_path / "clip.csv"
    confidence = np.array([0.9, MIN_CONFIDENCE - 0.01, 0.9])
    path.write_bytes(tracking_text(_units(3), confidence))
    assert read_tracking(path).confident.tolist() == [True, False, True]
    path.write_bytes(tracking_text(_units(3), np.full(3, 0.1)))
    with pytest.raises(MediaError, match=r"clip\.csv: the tracker failed on all 3 frames"):
        read_tracking(path)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty file"),
        (",".join(["frame", "confidence", *AU_COLUMNS]) + "\n", "holds a header but no frames"),
        ("frame,confidence,AU01_r\n1,0.9,0.5\n", r"missing action-unit columns AU02_r, AU04_r"),
    ],
)
def test_broken_tracking_files_are_refused_with_the_reason(tmp_path, text, reason):
    path = tmp_path / "01-01-01-01-01-01-01.csv"
    path.write_text(text)
    with pytest.raises(MediaError, match=rf"01-01-01-01-01-01-01\.csv: {reason}"):
        read_tracking(path)


def test_a_clip_table_needs_names_and_every_au_column(tmp_path):
    good = pd.DataFrame(_units(2), columns=list(AU_COLUMNS))
    good.insert(0, "name", ["01-01-01-01-01-01-01", "01-01-03-01-01-01-01"])
    path = tmp_path / "table.csv"
    good.to_csv(path, index=False)
    table = read_au_table(path)
    assert table["name"].tolist() == ["01-01-01-01-01-01-01", "01-01-03-01-01-01-01"]
    np.testing.assert_allclose(
        table[list(AU_COLUMNS)].to_numpy(), good[list(AU_COLUMNS)].to_numpy(), atol=1e-5
    )
    good.drop(columns="name").to_csv(path, index=False)
    with pytest.raises(MediaError, match="needs a 'name' column"):
        read_au_table(path)
    good.drop(columns="AU45_c").to_csv(path, index=False)
    with pytest.raises(MediaError, match="missing action-unit columns AU45_c"):
        read_au_table(path)


def test_an_au_means_file_holds_exactly_one_row(tmp_path):
    path = tmp_path / "x.au-means.csv"
    path.write_text(pd.DataFrame(_units(2), columns=list(AU_COLUMNS)).to_csv(index=False))
    with pytest.raises(MediaError, match="one row of 35 numbers, found 2 rows"):
        read_au_means(path)
