"""organize_data.py on facial action units: the official tracking archive, folders of OpenFace CSVs, clip tables."""

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import organize_data
from ravdess_emotion.corpus.organize import organize, read_manifest, skip_kind, summary_table
from ravdess_emotion.corpus.tracking import AU_COLUMNS, read_au_means, read_tracking, tracking_text

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def _tracking(frames: int = 6, seed: int = 0, confidence: float = 0.95) -> bytes:
    units = np.random.default_rng(seed).uniform(0, 3, (frames, len(AU_COLUMNS)))
    return tracking_text(units, np.full(frames, confidence))


def _table(names: list[str], seed: int = 1) -> pd.DataFrame:
    table = pd.DataFrame(
        np.random.default_rng(seed).uniform(0, 2, (len(names), len(AU_COLUMNS))), columns=list(AU_COLUMNS)
    )
    table.insert(0, "name", names)
    return table


def _reasons(report) -> dict[str, str]:
    return {
        Path(label).name if ":" not in label else label.split("/")[-1]: reason
        for label, reason in report.skipped
    }


def test_the_official_archive_a_folder_and_a_table_are_organized_beside_each_other(tmp_path: Path) -> None:
    source, dest = tmp_path / "source", tmp_path / "organized"
    source.mkdir()
    with zipfile.ZipFile(source / "FacialTracking_Actors_01-24.zip", "w") as archive:
        archive.writestr("Actor_01/01-01-03-02-01-01-01.csv", _tracking(seed=1))
        archive.writestr("Actor_02/01-02-04-01-01-01-02.csv", _tracking(seed=2))  # song
    (source / "openface").mkdir()
    (source / "openface" / "01-01-05-01-01-01-03.csv").write_bytes(_tracking(seed=3))
    table = _table(["01-01-06-01-01-01-04", "01-01-03-02-01-01-01"])
    table.to_csv(source / "my_au_means.csv", index=False)

    report = organize(source, dest, progress=False)

    assert report.skipped == []
    manifest = read_manifest(dest).set_index("filename")
    assert manifest["content"].to_dict() == {
        "01-01-03-02-01-01-01.au-means.csv": "au_means",
        "01-01-03-02-01-01-01.csv": "tracking",
        "01-01-05-01-01-01-03.csv": "tracking",
        "01-01-06-01-01-01-04.au-means.csv": "au_means",
        "01-02-04-01-01-01-02.csv": "tracking",
    }
    tracked = manifest.loc["01-01-03-02-01-01-01.csv"]
    assert tracked["path"] == "faces/speech/happy/01-01-03-02-01-01-01.csv"
    assert (tracked["take"], tracked["actor"], tracked["frames"]) == ("01-03-02-01-01-01", 1, 6)
    assert tracked["source"].endswith("FacialTracking_Actors_01-24.zip")
    assert manifest.loc["01-02-04-01-01-01-02.csv", "path"] == "faces/song/sad/01-02-04-01-01-01-02.csv"
    row = read_au_means(dest / manifest.loc["01-01-06-01-01-01-04.au-means.csv", "path"])
    np.testing.assert_allclose(row, table.iloc[0, 1:].to_numpy(float), rtol=1e-6)
    np.testing.assert_array_equal(
        read_tracking(dest / tracked["path"]).units,
        read_tracking(_extracted(source, tracked.name)).units,
    )
    counts = summary_table(read_manifest(dest))["total"]
    assert counts[("face tracking", "speech")] == 2 and counts[("AU means", "speech")] == 2

    again = organize(source, dest, progress=False)
    assert (again.written, again.unchanged, again.skipped) == (0, 5, [])


def _extracted(source: Path, member_name: str) -> Path:
    with zipfile.ZipFile(source / "FacialTracking_Actors_01-24.zip") as archive:
        member = next(m for m in archive.namelist() if m.endswith(member_name))
        return Path(archive.extract(member, source / "unzipped"))


def test_broken_face_files_and_table_rows_are_skipped_with_the_reason(tmp_path: Path) -> None:
    source, dest = tmp_path / "source", tmp_path / "organized"
    (source / "Actor_01").mkdir(parents=True)
    files = {
        "Actor_01/01-01-01-01-01-01-01.csv": _tracking(),
        "Actor_01/01-01-02-01-01-01-01.csv": b"",
        "Actor_01/01-01-03-01-01-01-01.csv": b"frame,confidence,AU01_r\n1,0.9,0.3\n",
        "Actor_01/01-01-04-01-01-01-01.csv": _tracking(confidence=0.1),
        "Actor_01/03-01-05-01-01-01-01.csv": _tracking(),
        "Actor_01/01-01-05-01-01-01-02.csv": _tracking(),
        "notes.csv": b"when,what\nmonday,recorded\n",
    }
    for name, content in files.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(content)
    table = _table(["01-01-06-01-01-01-01", "01-01-09-01-01-01-01", "clip_7", "01-01-07-01-01-01-01"])
    table.loc[3, "AU12_r"] = np.nan
    table.to_csv(source / "table.csv", index=False)
    _table(["01-01-06-01-01-01-02"]).drop(columns=["AU12_r"]).to_csv(source / "partial.csv", index=False)

    report = organize(source, dest, progress=False)
    reasons = _reasons(report)

    assert report.written == 2  # the good tracking file and the good table row
    assert reasons["01-01-02-01-01-01-01.csv"].startswith("empty file")
    assert "missing action-unit columns AU02_r" in reasons["01-01-03-01-01-01-01.csv"]
    assert "the tracker failed on all 6 frames" in reasons["01-01-04-01-01-01-01.csv"]
    assert reasons["03-01-05-01-01-01-01.csv"].startswith("wrong extension: .csv (facial action units)")
    assert "Actor_01 but the name says actor 02" in reasons["01-01-05-01-01-01-02.csv"]
    assert skip_kind(reasons["notes.csv"]) == "not a media file"
    assert "emotion 09 is not between 01 and 08" in reasons["table.csv:01-01-09-01-01-01-01"]
    assert skip_kind(reasons["table.csv:clip_7"]) == "not a RAVDESS name"
    assert "line 5 has no number for AU12_r" in reasons["table.csv:01-01-07-01-01-01-01"]
    assert "missing action-unit columns AU12_r" in reasons["partial.csv"]
    manifest = read_manifest(dest)
    assert sorted(manifest["filename"]) == ["01-01-01-01-01-01-01.csv", "01-01-06-01-01-01-01.au-means.csv"]


def test_a_manifest_from_before_faces_gets_its_content_column(tmp_path: Path) -> None:
    source, dest = tmp_path / "source", tmp_path / "organized"
    (source / "Actor_01").mkdir(parents=True)
    (source / "Actor_01" / "01-01-01-01-01-01-01.csv").write_bytes(_tracking())
    organize(source, dest, progress=False)
    old = pd.read_csv(dest / "manifest.csv", dtype=str).drop(columns="content")
    old.to_csv(dest / "manifest.csv", index=False)
    assert read_manifest(dest)["content"].tolist() == ["tracking"]


def test_strict_fails_on_a_broken_table_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "source"
    source.mkdir()
    _table(["01-01-06-01-01-01-01", "01-01-06-01-01-01-99"]).to_csv(source / "t.csv", index=False)
    assert organize_data.main(["--source", str(source), "--dest", str(tmp_path / "o")]) == 0
    assert "actor 99 is not between 01 and 24" in capsys.readouterr().out
    assert organize_data.main(["--source", str(source), "--dest", str(tmp_path / "o"), "--strict"]) == 2


@pytest.mark.slow
def test_the_real_au_table_organizes_into_1200_clips(tmp_path: Path) -> None:
    table = SHARED / "ravdess_aus" / "openface_au_means.csv"
    if not table.is_file():
        pytest.skip(f"{table} not found (../shared is absent on a fresh clone)")
    source = tmp_path / "source"
    source.mkdir()
    (source / table.name).symlink_to(table)
    report = organize(source, tmp_path / "o", progress=False)
    assert (report.written, report.skipped) == (1200, [])
    manifest = read_manifest(tmp_path / "o")
    assert manifest.groupby("actor").size().eq(60).all() and manifest["actor"].nunique() == 20
