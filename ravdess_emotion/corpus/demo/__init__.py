"""Synthetic demo data in the RAVDESS layout, so the pipeline runs without the 25 GB download.

Every take gets the three files a RAVDESS take has, plus the facial tracking file that
the RAVDESS Facial Landmark Tracking release has per audio-video trial, named and
foldered the same way (``Actor_NN/MM-CC-EE-II-SS-RR-AA.ext``):

- ``03-...wav``: audio-only, 48 kHz 16-bit PCM mono, 2.5-3.5 s;
- ``01-...mp4``: H.264 video of a drawn, talking face with an AAC copy of the same voice;
- ``02-...mp4``: the same H.264 frames without an audio track;
- ``01-...csv``: per-frame action units of that face, as OpenFace writes them (one row
  per video frame, same frame rate; see :func:`synthesize_tracking` and
  :func:`~ravdess_emotion.corpus.tracking.tracking_text`).

This is not RAVDESS and contains no recording of anyone: the voice is a formant
synthesiser and the face is a cartoon drawn with OpenCV. What it keeps from RAVDESS is
the layout and the experimental design: 24 actors (odd male, even female), 8 emotions
in speech and 6 in song, two intensities, two statements, two repetitions.

The emotion cues are the same rule for every actor (relative to the actor's own
voice and face), while actors differ in nuisance ways (pitch, formants, loudness,
skin tone, face shape, background, head position; per-AU baseline and gain of the
tracking), so a model trained on some actors can be tested on others, as with the real
data. The cues are deliberately bold: they survive 13 MFCCs at 22,050 Hz and 8 frames
downscaled to 32x32 pixels. The action units follow the drawn face (smile: AU06 and
AU12, raised brows: AU01 and AU02, ...) with take-to-take and tracker noise, so that a
linear model on clip means tells the emotions of unseen actors apart well, not perfectly.

Everything is deterministic: a take's random numbers come from ``(seed, take fields)``
and an actor's traits from the actor number, never from process order. The tracking
noise has streams of its own, so the WAV and MP4 files are the same with or without it.

One module per concern; imports point one way, from the files down to the styles
(``dataset`` -> ``voice``, ``face``, ``tracking`` -> ``styles``), and this package
re-exports the public names:

============  ========================================================================
module        what it holds
============  ========================================================================
``styles``    the emotion cues of voice and face, the actors' traits, the take plan
``voice``     :func:`synthesize_voice`: the formant synthesiser; :data:`SAMPLE_RATE`
``face``      :func:`render_face`: the talking cartoon, drawn with OpenCV
``tracking``  :func:`synthesize_tracking`: the action units a tracker would read off it
``dataset``   writing WAV, MP4 and CSV files atomically, the take jobs,
              :func:`write_demo_dataset` and its command line :func:`main`
============  ========================================================================

Command line::

    python -m ravdess_emotion.corpus.demo data/demo --actors 1-24 --seed 0
"""

from ravdess_emotion.corpus.demo.dataset import main, write_demo_dataset, write_video_only
from ravdess_emotion.corpus.demo.face import render_face
from ravdess_emotion.corpus.demo.styles import MAX_DURATION, MIN_DURATION
from ravdess_emotion.corpus.demo.tracking import synthesize_tracking
from ravdess_emotion.corpus.demo.voice import SAMPLE_RATE, synthesize_voice

__all__ = [
    "MAX_DURATION",
    "MIN_DURATION",
    "SAMPLE_RATE",
    "main",
    "render_face",
    "synthesize_tracking",
    "synthesize_voice",
    "write_demo_dataset",
    "write_video_only",
]
