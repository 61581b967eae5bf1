"""The facts of RAVDESS: file-name fields, the emotion table, actors and takes.

A RAVDESS file name has seven two-digit fields, e.g. ``03-01-06-01-02-01-12.wav``::

    modality-vocal_channel-emotion-intensity-statement-repetition-actor

- modality: 01 audio-video, 02 video-only, 03 audio-only
- vocal channel: 01 speech, 02 song
- emotion: 01 neutral, 02 calm, 03 happy, 04 sad, 05 angry, 06 fearful,
  07 disgust, 08 surprised (song has only 01-06)
- intensity: 01 normal, 02 strong (neutral has no strong intensity)
- statement: 01 "Kids are talking by the door", 02 "Dogs are sitting by the door"
- repetition: 01 or 02
- actor: 01-24; odd numbers are male, even numbers female

The three modalities of one performance share every field after the modality:
that is the *take*, and it is the unit that must never be split between
training and test data.
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass
from pathlib import Path

EMOTIONS: tuple[str, ...] = (
    "neutral",
    "calm",
    "happy",
    "sad",
    "angry",
    "fearful",
    "disgust",
    "surprised",
)
"""Emotion names in code order: ``EMOTIONS[code - 1]``; also the class index order."""

SONG_EMOTIONS: tuple[str, ...] = EMOTIONS[:6]
MODALITIES: dict[int, str] = {1: "audio-video", 2: "video-only", 3: "audio-only"}
CHANNELS: dict[int, str] = {1: "speech", 2: "song"}
INTENSITIES: dict[int, str] = {1: "normal", 2: "strong"}
STATEMENTS: dict[int, str] = {
    1: "Kids are talking by the door",
    2: "Dogs are sitting by the door",
}
NUM_ACTORS = 24
AUDIO_EXTENSIONS = (".wav", ".flac")
VIDEO_EXTENSIONS = (".mp4",)
FIELDS = (
    "modality",
    "vocal_channel",
    "emotion",
    "intensity",
    "statement",
    "repetition",
    "actor",
)

_STEM = re.compile(r"^\d\d(-\d\d){6}$")


class InvalidRavdessName(ValueError):
    """A file name that does not follow the RAVDESS naming scheme; the message says why."""


@dataclass(frozen=True, order=True)
class RavdessName:
    """The seven parsed fields of a RAVDESS file name (all 1-based integers)."""

    modality: int
    vocal_channel: int
    emotion: int
    intensity: int
    statement: int
    repetition: int
    actor: int

    def __post_init__(self) -> None:
        reason = _invalid_reason(astuple(self))
        if reason:
            raise InvalidRavdessName(f"{self.stem}: {reason}")

    @property
    def stem(self) -> str:
        """File name without extension, e.g. ``'03-01-06-01-02-01-12'``."""
        return "-".join(f"{v:02d}" for v in astuple(self))

    @property
    def take(self) -> str:
        """Every field after the modality: the same for all copies of one performance."""
        return self.stem[3:]

    @property
    def emotion_name(self) -> str:
        return EMOTIONS[self.emotion - 1]

    @property
    def label(self) -> int:
        """Zero-based class index (``emotion - 1``)."""
        return self.emotion - 1

    @property
    def channel(self) -> str:
        return CHANNELS[self.vocal_channel]

    @property
    def modality_name(self) -> str:
        return MODALITIES[self.modality]

    @property
    def gender(self) -> str:
        return actor_gender(self.actor)

    @property
    def is_audio(self) -> bool:
        return self.modality == 3

    @property
    def has_video(self) -> bool:
        return self.modality in (1, 2)

    def with_modality(self, modality: int) -> RavdessName:
        """The name of the same take in another modality."""
        return RavdessName(modality, *astuple(self)[1:])

    def filename(self, extension: str | None = None) -> str:
        """File name with the usual extension for the modality (``.wav`` or ``.mp4``)."""
        if extension is None:
            extension = ".wav" if self.is_audio else ".mp4"
        return self.stem + extension

    def as_dict(self) -> dict[str, object]:
        """Every field, parsed and named, as a manifest row would hold it."""
        return {
            "modality": self.modality,
            "modality_name": self.modality_name,
            "vocal_channel": self.vocal_channel,
            "channel": self.channel,
            "emotion_code": self.emotion,
            "emotion": self.emotion_name,
            "intensity": self.intensity,
            "statement": self.statement,
            "repetition": self.repetition,
            "actor": self.actor,
            "gender": self.gender,
            "take": self.take,
        }


def _invalid_reason(values: tuple[int, ...]) -> str | None:
    modality, channel, emotion, intensity, statement, repetition, actor = values
    if modality not in MODALITIES:
        return f"modality {modality:02d} is not 01, 02 or 03"
    if channel not in CHANNELS:
        return f"vocal channel {channel:02d} is not 01 (speech) or 02 (song)"
    if not 1 <= emotion <= len(EMOTIONS):
        return f"emotion {emotion:02d} is not between 01 and 08"
    if channel == 2 and emotion > len(SONG_EMOTIONS):
        return f"emotion {emotion:02d} ({EMOTIONS[emotion - 1]}) does not occur in song"
    if intensity not in INTENSITIES:
        return f"intensity {intensity:02d} is not 01 or 02"
    if emotion == 1 and intensity == 2:
        return "neutral has no strong intensity (02)"
    if statement not in STATEMENTS:
        return f"statement {statement:02d} is not 01 or 02"
    if repetition not in (1, 2):
        return f"repetition {repetition:02d} is not 01 or 02"
    if not 1 <= actor <= NUM_ACTORS:
        return f"actor {actor:02d} is not between 01 and {NUM_ACTORS}"
    return None


def parse_name(name: str | Path) -> RavdessName:
    """Parse a RAVDESS file name (or path; only the final stem is read).

    Raises
    ------
    InvalidRavdessName
        With the reason: wrong field count, a field that is not two digits, or a
        value out of range.
    """
    stem = Path(name).name.split(".", 1)[0]
    if not _STEM.match(stem):
        fields = stem.split("-")
        if len(fields) != 7:
            raise InvalidRavdessName(f"{stem!r}: has {len(fields)} fields, RAVDESS names have 7")
        raise InvalidRavdessName(f"{stem!r}: every field must be two digits")
    return RavdessName(*(int(f) for f in stem.split("-")))


SYNTHETIC_MARKER = "SYNTHETIC_DEMO_DATA.txt"
"""A file of this name in a folder says that the folder holds the synthetic demo data, not RAVDESS.

``demo_data`` writes it beside the files it generates, ``organize_data`` carries it into the
organized folder, and everything trained on such a folder says so (see :func:`is_synthetic`).
"""


def is_synthetic(folder: str | Path) -> bool:
    """Whether ``folder`` holds the synthetic demo data (it has a :data:`SYNTHETIC_MARKER` file)."""
    return (Path(folder) / SYNTHETIC_MARKER).is_file()


SYNTHETIC_NAME = "SYNTHETIC demo data (not RAVDESS)"
"""How titles, reports and predictions name the demo data."""
SYNTHETIC_NOTICE = f"{SYNTHETIC_NAME}: these numbers say nothing about recognising human emotion"


def actor_gender(actor: int) -> str:
    """RAVDESS actors alternate: odd numbers are male, even numbers female."""
    return "male" if actor % 2 else "female"


def actor_folder(actor: int) -> str:
    """The folder name the official archives use, e.g. ``'Actor_07'``."""
    return f"Actor_{actor:02d}"


def parse_actor_list(text: str) -> list[int]:
    """Parse ``'21-24'``, ``'1,5,9'``, ``'1-3,7'`` or ``'none'`` into sorted actor numbers.

    Raises
    ------
    ValueError
        When a part is not a number or range, or an actor is outside 1-24.
    """
    text = text.strip().lower()
    if text in ("", "none"):
        return []
    actors: set[int] = set()
    for part in text.split(","):
        lo_text, _, hi_text = part.strip().partition("-")
        try:
            lo = int(lo_text)
            hi = int(hi_text) if hi_text else lo
        except ValueError:
            raise ValueError(f"actor list {text!r}: {part!r} is not a number or a range like 21-24") from None
        if not (1 <= lo <= hi <= NUM_ACTORS):
            raise ValueError(f"actor list {text!r}: {part!r} is outside 1-{NUM_ACTORS} or reversed")
        actors.update(range(lo, hi + 1))
    return sorted(actors)
