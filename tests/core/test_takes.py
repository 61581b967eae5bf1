"""Pairing audio and face files by take (``ravdess_emotion.core.takes``)."""

from pathlib import Path

from ravdess_emotion.core.takes import pair_by_take, take_of

SPEECH_3 = Path("in/03-01-03-01-02-01-07.wav")  # happy, statement 2, actor 7
SPEECH_5 = Path("in/03-01-05-02-01-02-07.flac")
SONG_3 = Path("in/03-02-03-01-02-01-07.wav")  # the same emotion and actor, sung: another take


def test_a_take_is_the_name_without_its_modality() -> None:
    assert take_of(SPEECH_3) == "01-03-01-02-01-07"
    assert (
        take_of("faces/01-01-03-01-02-01-07.csv") == take_of("02-01-03-01-02-01-07.mp4") == take_of(SPEECH_3)
    )
    assert take_of(SONG_3) != take_of(SPEECH_3)
    assert take_of("alice/hello.wav") is None and take_of("03-01-09-01-01-01-01.wav") is None


def test_each_audio_file_gets_the_face_data_of_its_own_take_in_audio_order() -> None:
    faces = [
        ("f5.csv", Path("01-01-05-02-01-02-07.csv"), "face 5"),
        ("f3.csv", Path("01-01-03-01-02-01-07.csv"), "face 3"),
    ]
    pairs, problems = pair_by_take([(SPEECH_3, "voice 3"), (SPEECH_5, "voice 5")], faces)
    assert pairs == [(SPEECH_3, "voice 3", "face 3"), (SPEECH_5, "voice 5", "face 5")]
    assert problems == []


def test_every_file_left_without_a_partner_is_reported_and_never_paired_by_guess() -> None:
    faces = [
        ("table.csv row 01-01-03-01-02-01-07", Path("01-01-03-01-02-01-07"), "face 3"),
        ("second.csv", Path("01-01-03-01-02-01-07.csv"), "face 3 again"),
        ("alice.csv", Path("alice.csv"), "a face"),
        ("lonely.csv", Path("01-01-08-02-02-02-07.csv"), "face 8"),
        ("also lonely.csv", Path("01-01-02-01-01-01-07.csv"), "face 2"),
    ]
    audio = [(SPEECH_3, "voice 3"), (SONG_3, "song 3"), (Path("bob/hi.wav"), "bob"), (SPEECH_5, "voice 5")]
    pairs, problems = pair_by_take(audio, faces)
    assert pairs == [(SPEECH_3, "voice 3", "face 3")]  # the first face file of the take is kept
    assert problems == [
        "second.csv: a second face file for take 01-03-01-02-01-07 (kept table.csv row 01-01-03-01-02-01-07)",
        "alice.csv: not a RAVDESS name, so it cannot be paired with audio by take",
        f"{SONG_3}: take 02-03-01-02-01-07 has no facial action units among the inputs, skipped",
        "bob/hi.wav: not a RAVDESS name, so it cannot be paired with facial action units by take",
        f"{SPEECH_5}: take 01-05-02-01-02-07 has no facial action units among the inputs, skipped",
        # Faces without audio come last, in the order of their takes.
        "also lonely.csv: take 01-02-01-01-01-07 has no audio file among the inputs, skipped",
        "lonely.csv: take 01-08-02-02-02-07 has no audio file among the inputs, skipped",
    ]
