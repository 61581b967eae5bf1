"""The feature views: what a model reads, one module per view, in one registry.

Built-in views (each registered by its module):

================  ============================================  ==========================
name              features of one file                          module
================  ============================================  ==========================
``mfcc``          (n_mfcc, max_frames) MFCC image               :mod:`.mfcc`
``functionals``   (1456,) utterance statistics                  :mod:`.functionals`
``frames``        (video_frames, height, width, 3) face frames  :mod:`.frames`
``au_clip``       (35,) AU means or (175,) AU statistics        :mod:`.action_units`
``au_sequence``   (au_frames, 35) AU frames                     :mod:`.action_units`
``whisper``       (7168,) pooled Whisper-base hidden states     :mod:`.whisper`
================  ============================================  ==========================

A model names the views it reads in order (:data:`MODEL_KINDS`), where ``audio`` and
``face`` stand for the view the feature settings choose (:func:`resolve_view`):
``settings.audio_features`` names the audio view, ``settings.au_features`` the face view.
"""

from __future__ import annotations

from collections.abc import Sequence

from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.views import (  # noqa: F401  (register them)
    action_units,
    frames,
    functionals,
    mfcc,
    whisper,
)
from ravdess_emotion.features.views.action_units import AU_VIEW_OF
from ravdess_emotion.features.views.audio_view import (
    AudioView,
    audio_view,
    audio_view_names,
    compile_audio_code,
    extract_audio_features,
)
from ravdess_emotion.features.views.base import (
    LAYOUTS,
    FeatureView,
    register_view,
    registered_views,
    view_named,
)

__all__ = [
    "LAYOUTS",
    "MODEL_KINDS",
    "AudioView",
    "FeatureView",
    "audio_view",
    "audio_view_names",
    "compile_audio_code",
    "extract_audio_features",
    "kind_views",
    "register_view",
    "registered_views",
    "resolve_view",
    "resolve_views",
    "view_named",
]

MODEL_KINDS: dict[str, tuple[str, ...]] = {
    "audio": ("audio",),
    "video": ("frames",),
    "fusion": ("mfcc", "frames"),
    "au": ("face",),
    "fusion_au": ("audio", "face"),
}
"""The views each kind of model reads, in the order of its inputs (``audio`` and ``face`` by the settings).

A model's ``kind`` names its files (``models/<kind>_emotion_<channel>.h5``) and is
stored beside it; a kind that is not listed here is the name of the one view it reads.
"""


def _face_view(settings: FeatureSettings) -> FeatureView:
    return view_named(AU_VIEW_OF[settings.au_features])


_ALIASES = {"audio": audio_view, "face": _face_view}


def kind_views(kind: str) -> tuple[str, ...]:
    """The view names (aliases included) of a model of ``kind``."""
    return MODEL_KINDS.get(kind, (kind,))


def resolve_view(name: str, settings: FeatureSettings) -> FeatureView:
    """The view ``name`` stands for under ``settings``: an alias (``audio``, ``face``) or a view's own name."""
    alias = _ALIASES.get(name)
    return alias(settings) if alias is not None else view_named(name)


def resolve_views(names: Sequence[str], settings: FeatureSettings) -> list[FeatureView]:
    """:func:`resolve_view` of each name, in order."""
    return [resolve_view(name, settings) for name in names]
