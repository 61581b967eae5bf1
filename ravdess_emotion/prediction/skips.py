"""What got no emotion, and why: one message per file, and a summary a person can read at a glance.

``predict.py`` never drops an input silently. Every file, table row or take that is not
predicted becomes a :class:`Skipped` message that also carries its reason and its file,
so that :func:`summary` can count them by reason and by extension, and
:func:`condensed` can fold a long run of the same reason (the 1,184 action-unit rows of a
clip table that have no audio beside them) into one line with the first few names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from ravdess_emotion.core.errors import MediaError
from ravdess_emotion.features.speech_presence import NoSpeechError, TooShortError

CONDENSED_AFTER = 5
"""More messages than this of one reason are printed as one line, naming the first few."""


class Skipped(str):
    """A message naming an input that got no emotion and why; ``reason`` and ``path`` feed the summary.

    A ``str``, so that code that prints or searches the messages keeps working.

    Attributes
    ----------
    reason : str
        A short category: ``"too short"``, ``"no speech detected"``, ``"cannot be decoded"`` ...
    path : str
        The file it concerns ("" when none does), whose extension the summary counts.
    """

    reason: str
    path: str

    def __new__(cls, message: str, reason: str, path: str | Path = "") -> Skipped:
        skipped = super().__new__(cls, message)
        skipped.reason = reason
        skipped.path = str(path)
        return skipped


def skipped_media(error: MediaError, path: str | Path) -> Skipped:
    """The message of a file that could not be read, with its reason from the kind of error."""
    if isinstance(error, TooShortError):
        reason = "too short"
    elif isinstance(error, NoSpeechError):
        reason = "no speech detected"
    elif "empty file" in str(error):
        reason = "empty file"
    else:
        reason = "cannot be decoded"
    return Skipped(str(error), reason, path)


def extension_of(path: str) -> str:
    """The file extension the summary counts (``.mp3``), or "(none)"; a table row counts as its table."""
    suffix = Path(path.split(".csv:", 1)[0] + ".csv" if ".csv:" in path else path).suffix.lower()
    return suffix or "(none)"


def condensed(problems: Sequence[str], keep: int = CONDENSED_AFTER) -> list[str]:
    """The messages to print: each reason with more than ``keep`` messages folded into one line."""
    by_reason: dict[str, list[str]] = {}
    for problem in problems:
        by_reason.setdefault(getattr(problem, "reason", ""), []).append(problem)
    lines: list[str] = []
    for reason, messages in by_reason.items():
        if not reason or len(messages) <= keep:
            lines += messages
            continue
        first = ", ".join(Path(getattr(m, "path", "") or m).name for m in messages[:3])
        lines.append(f"{len(messages)} inputs: {reason} (first: {first}, ...)")
    return lines


def summary(given: int, predicted: int, problems: Iterable[str], ignored: Sequence[Path] = ()) -> str:
    """One line: how many inputs were predicted, and the skipped ones counted by reason and by extension.

    Parameters
    ----------
    given : int
        Files given or found in the folders that the model reads.
    predicted : int
        Rows of the prediction table (files, table rows or takes).
    problems : iterable of str
        The messages of what was skipped (:class:`Skipped` ones are counted by reason).
    ignored : sequence of Path
        Files found in the folders in formats the model does not read.
    """
    skipped = [p for p in problems if isinstance(p, Skipped)]
    reasons = Counter(p.reason for p in skipped)
    reasons.update({"not a format this model reads": len(ignored)} if ignored else {})
    extensions = Counter(extension_of(p.path) for p in skipped if p.path)
    extensions.update(extension_of(str(path)) for path in ignored)
    text = f"{predicted} predicted from the {given} files given"
    if ignored:
        text += f" (and {len(ignored)} other files in the folders)"
    if reasons:
        text += "; skipped: " + ", ".join(f"{count} {reason}" for reason, count in reasons.most_common())
        text += " (by extension: " + ", ".join(f"{ext} {n}" for ext, n in sorted(extensions.items())) + ")"
    return text
