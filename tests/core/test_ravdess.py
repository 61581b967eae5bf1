"""The RAVDESS file-name parser: every valid name round-trips, every invalid one is rejected with a reason."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ravdess_emotion.core.ravdess import (
    EMOTIONS,
    SYNTHETIC_MARKER,
    InvalidRavdessName,
    RavdessName,
    actor_gender,
    is_synthetic,
    parse_actor_list,
    parse_name,
)


@st.composite
def valid_names(draw) -> RavdessName:
    channel = draw(st.sampled_from([1, 2]))
    emotion = draw(st.integers(1, 8 if channel == 1 else 6))
    intensity = 1 if emotion == 1 else draw(st.sampled_from([1, 2]))
    return RavdessName(
        modality=draw(st.sampled_from([1, 2, 3])),
        vocal_channel=channel,
        emotion=emotion,
        intensity=intensity,
        statement=draw(st.sampled_from([1, 2])),
        repetition=draw(st.sampled_from([1, 2])),
        actor=draw(st.integers(1, 24)),
    )


@given(valid_names(), st.sampled_from([".wav", ".mp4", ".flac", ""]))
def test_valid_names_round_trip(name: RavdessName, extension: str) -> None:
    text = name.stem + extension
    parsed = parse_name(text)
    assert parsed == name
    assert parse_name(f"some/folder/Actor_{name.actor:02d}/{text}") == name
    assert parsed.stem == text.split(".")[0]
    assert parsed.emotion_name == EMOTIONS[name.emotion - 1]
    assert parsed.take == text[3:20]


@given(valid_names())
def test_take_is_shared_by_modalities(name: RavdessName) -> None:
    twins = {name.with_modality(m).take for m in (1, 2, 3)}
    assert twins == {name.take}


# Each out-of-range value, field by field, with the words its reason must contain.
OUT_OF_RANGE = [
    (0, 0, "modality"),
    (0, 4, "modality"),
    (1, 3, "vocal channel"),
    (2, 0, "emotion"),
    (2, 9, "emotion"),
    (3, 3, "intensity"),
    (4, 3, "statement"),
    (5, 0, "repetition"),
    (6, 25, "actor"),
    (6, 0, "actor"),
]


@given(valid_names(), st.sampled_from(OUT_OF_RANGE))
def test_out_of_range_fields_are_rejected_with_reason(name: RavdessName, case) -> None:
    index, value, words = case
    fields = name.stem.split("-")
    fields[index] = f"{value:02d}"
    with pytest.raises(InvalidRavdessName, match=words):
        parse_name("-".join(fields) + ".wav")


@given(st.text(alphabet="0123456789-abc_.", max_size=30))
def test_arbitrary_text_parses_or_says_why(text: str) -> None:
    try:
        name = parse_name(text)
    except InvalidRavdessName as error:
        # The message names the stem it read and why it is not a RAVDESS name.
        stem = Path(text).name.split(".", 1)[0]
        assert str(error).startswith((f"{stem!r}: ", f"{stem}: "))
        assert any(
            why in str(error) for why in ("fields", "two digits", " is not ", " has no ", "does not occur")
        )
    else:
        assert parse_name(name.stem) == name


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("03-01-01-01-01-01.wav", "6 fields"),
        ("03-01-01-01-01-01-01-01.wav", "8 fields"),
        ("3-1-1-1-1-1-1.wav", "two digits"),
        ("03-01-09-01-01-01-01.wav", "emotion 09"),
        ("03-01-01-01-01-01-25.wav", "actor 25"),
        (
            "03-02-07-01-01-01-01.wav",
            r"^03-02-07-01-01-01-01: emotion 07 \(disgust\) does not occur in song$",
        ),
        ("03-01-01-02-01-01-01.wav", r"^03-01-01-02-01-01-01: neutral has no strong intensity \(02\)$"),
        ("README.txt", "fields"),
    ],
)
def test_known_invalid_names(text: str, words: str) -> None:
    with pytest.raises(InvalidRavdessName, match=words):
        parse_name(text)


def test_gender_alternates() -> None:
    assert [actor_gender(a) for a in (1, 2, 23, 24)] == ["male", "female", "male", "female"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21-24", [21, 22, 23, 24]),
        ("1,5,9", [1, 5, 9]),
        ("1-3,7", [1, 2, 3, 7]),
        ("none", []),
        (" 4 ", [4]),
        ("", []),
        ("None", []),
    ],
)
def test_actor_lists(text: str, expected: list[int]) -> None:
    assert parse_actor_list(text) == expected


@pytest.mark.parametrize("text", ["0", "25", "5-3", "a-b", "1,,x"])
def test_bad_actor_lists(text: str) -> None:
    with pytest.raises(ValueError, match="actor list"):
        parse_actor_list(text)


def test_a_folder_is_synthetic_only_with_the_demo_marker_file(tmp_path) -> None:
    assert not is_synthetic(tmp_path) and not is_synthetic(str(tmp_path / "absent"))
    (tmp_path / SYNTHETIC_MARKER).mkdir()  # a folder of that name is not the marker
    assert not is_synthetic(tmp_path)
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / SYNTHETIC_MARKER).write_text("synthetic")
    assert is_synthetic(tmp_path / "demo") and is_synthetic(str(tmp_path / "demo"))
