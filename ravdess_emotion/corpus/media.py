"""What a media file holds, checked cheaply where it enters the pipeline.

``organize_data.py`` probes every file it sorts with :func:`probe_media`: an empty,
truncated or undecodable file, or one that is not media at all, raises
:class:`MediaError` naming the file and the reason, and is skipped instead of being
organized as if it were a recording. What the probe learns (duration, sample rate and
channels of audio; frame count, frame rate and size of video) goes into the manifest.

The probe reads headers and lengths, not content: audio is decoded once (a RAVDESS
recording is a few hundred kilobytes), video is only demuxed (packets are counted,
not decoded) apart from its first frame, which proves that the stream decodes.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import av
import soundfile

from ravdess_emotion.core.errors import MediaError

TRUNCATED_FRACTION = 0.98
"""A file that yields fewer than this share of the frames its header declares is truncated."""

PROBE_COLUMNS = ("duration_s", "sample_rate", "channels", "frames", "fps", "width", "height")
"""The manifest columns :class:`MediaInfo` fills (audio leaves the video ones empty, and the reverse)."""

# libsndfile logs a WAV data chunk that is longer than the file as "data : 48000 (should be 23978)".
_SHORT_DATA_CHUNK = re.compile(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)


@dataclass(frozen=True)
class MediaInfo:
    """What :func:`probe_media` learned of one file.

    Attributes
    ----------
    duration_s : float
        Length in seconds.
    sample_rate, channels : int or None
        Audio only: samples per second (Hz) and channel count.
    frames : int or None
        Video only: frames in the video stream.
    fps : float or None
        Video only: average frames per second.
    width, height : int or None
        Video only: frame size in pixels.
    """

    duration_s: float
    sample_rate: int | None = None
    channels: int | None = None
    frames: int | None = None
    fps: float | None = None
    width: int | None = None
    height: int | None = None

    def as_dict(self) -> dict[str, float | int | None]:
        """The manifest columns of ``PROBE_COLUMNS``, ``None`` where they do not apply."""
        return asdict(self)


def probe_audio(path: str | Path, label: str | None = None) -> MediaInfo:
    """Check that a WAV or FLAC file decodes completely; its duration, rate and channels.

    ``label`` names the file in messages (default: ``path``).

    Raises
    ------
    MediaError
        When the file is not audio, holds no samples, or is shorter than its header says.
    """
    name = label or str(path)
    try:
        info = soundfile.info(str(path))
        samples, rate = soundfile.read(str(path), dtype="int16", always_2d=True)
    except Exception as error:  # libsndfile names no finer cause than its message
        reason = str(error).replace(str(path), name)  # its message names the file it was given
        raise MediaError(f"{name}: not a readable audio file ({reason})") from error
    declared = info.frames
    if short := _SHORT_DATA_CHUNK.search(info.extra_info):
        declared, present = int(short.group(1)), int(short.group(2))
        raise MediaError(
            f"{name}: truncated: the header declares {declared} bytes of audio, the file holds {present}"
        )
    if len(samples) == 0:
        raise MediaError(f"{name}: holds no audio samples")
    if len(samples) < TRUNCATED_FRACTION * declared:
        raise MediaError(
            f"{name}: truncated: the header declares {declared} samples, only {len(samples)} decode"
        )
    return MediaInfo(duration_s=round(len(samples) / rate, 4), sample_rate=int(rate), channels=info.channels)


def probe_video(path: str | Path, label: str | None = None) -> MediaInfo:
    """Check that an MP4 opens, its video stream decodes, and no frames are missing.

    ``label`` names the file in messages (default: ``path``).

    Raises
    ------
    MediaError
        When the file is not a video container, has no video stream, its first frame does
        not decode, or it holds fewer frames than its index declares (a cut-off download).
    """
    name = label or str(path)
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaError(f"{name}: has no video stream")
            stream = container.streams.video[0]
            declared, rate = stream.frames, stream.average_rate
            width, height = stream.codec_context.width, stream.codec_context.height
            next(container.decode(stream))  # the first frame proves the codec can decode it
            container.seek(0)
            packets = sum(1 for packet in container.demux(stream) if packet.size)
    except MediaError:
        raise
    except StopIteration:
        raise MediaError(f"{name}: its video stream holds no decodable frame") from None
    except Exception as error:  # PyAV raises its own error types per FFmpeg error code
        reason = str(error).replace(str(path), name)
        raise MediaError(f"{name}: not a readable video file ({reason})") from error
    if packets == 0:
        raise MediaError(f"{name}: its video stream holds no frames")
    if declared and packets < TRUNCATED_FRACTION * declared:
        raise MediaError(f"{name}: truncated: its index declares {declared} frames, only {packets} are there")
    fps = float(rate) if rate else None
    return MediaInfo(
        duration_s=round(packets / fps, 4) if fps else 0.0,
        frames=packets,
        fps=round(fps, 4) if fps else None,
        width=int(width),
        height=int(height),
    )


def probe_media(path: str | Path, kind: str, label: str | None = None) -> MediaInfo:
    """:func:`probe_audio` or :func:`probe_video`, as ``kind`` ("audio" or "video") says.

    The kind is given rather than read from the suffix, so that a file can be checked
    under a temporary name before it is renamed into place.
    """
    probe = {"audio": probe_audio, "video": probe_video}.get(kind)
    if probe is None:
        raise ValueError(f"kind must be 'audio' or 'video', got {kind!r}")
    return probe(path, label)
