"""Shared fixtures: the real data beside the project, skipped with a reason when absent."""

import argparse
from pathlib import Path

import ravdess_emotion.core.backend  # noqa: F401  (before keras: picks and starts the backend)

# isort: split

import pytest

from benchmarks.options import cross_validation_parser
from ravdess_emotion.features.settings import FeatureSettings
from ravdess_emotion.features.views import audio_view, compile_audio_code
from ravdess_emotion.models import AudioEmotionCNNLSTM

SMALL_AUDIO_SETTINGS = FeatureSettings(n_mfcc=13, max_frames=40, video_frames=4, video_size=(16, 16))

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
RAVDESS_AUDIO = SHARED / "ravdess"
RAVDESS_VIDEO = SHARED / "ravdess_video"


def pytest_configure(config: pytest.Config) -> None:
    """With workers (``-n``, pytest-xdist), compile librosa's numba code here, before they start.

    Two processes compiling it at once on a cold cache can leave the cache corrupt, after
    which ``librosa.yin`` crashes in every process; the workers then only read it.
    """
    if config.getoption("numprocesses", None) and not hasattr(config, "workerinput"):
        compile_audio_code(FeatureSettings(audio_features="functionals"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow tests first: two workers then start on the long modules and end together."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def ravdess_audio() -> Path:
    """../shared/ravdess: real RAVDESS audio (FLAC) of actors 01-20, with its MANIFEST.tsv and make_zips.py."""
    if not RAVDESS_AUDIO.is_dir():
        pytest.skip(f"real RAVDESS audio not found at {RAVDESS_AUDIO} (../shared is absent on a fresh clone)")
    # The tests read actors 01 and 02, the release's manifest and its archive builder.
    needed = [RAVDESS_AUDIO / name for name in ("Actor_01", "Actor_02", "MANIFEST.tsv", "make_zips.py")]
    if missing := [p.name for p in needed if not p.exists()]:
        pytest.skip(f"{RAVDESS_AUDIO} is only partly present: {', '.join(missing)} missing")
    return RAVDESS_AUDIO


@pytest.fixture(scope="session")
def ravdess_video() -> Path:
    """../shared/ravdess_video: six original RAVDESS MP4 clips of actor 01."""
    if not RAVDESS_VIDEO.is_dir():
        pytest.skip(f"real RAVDESS video not found at {RAVDESS_VIDEO} (../shared is absent on a fresh clone)")
    if not any((RAVDESS_VIDEO / "Actor_01").glob("*.mp4")):
        pytest.skip(f"{RAVDESS_VIDEO} is only partly present: no Actor_01/*.mp4")
    return RAVDESS_VIDEO


@pytest.fixture(scope="session")
def demo_audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic demo audio of six actors (both channels, 16 speech files each), organized; shared by the session."""
    import organize_data
    from ravdess_emotion.corpus.demo import write_demo_dataset

    root = tmp_path_factory.mktemp("demo_audio")
    write_demo_dataset(root / "source", actors=range(1, 7), video=False, progress=False)
    assert organize_data.main(["--source", str(root / "source"), "--dest", str(root / "organized")]) == 0
    return root / "organized"


@pytest.fixture(scope="session")
def audio_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained audio model (MFCC 13 x 40) saved as train_models.py saves it, with its feature settings."""
    model = AudioEmotionCNNLSTM()
    model.build_model(audio_view(SMALL_AUDIO_SETTINGS).shape(SMALL_AUDIO_SETTINGS))
    folder = tmp_path_factory.mktemp("model")
    metadata = {"features": SMALL_AUDIO_SETTINGS.to_dict(), "channel": "speech"}
    return model.save(folder / "audio.h5", metadata=metadata)


@pytest.fixture
def benchmark_options(tmp_path: Path) -> argparse.Namespace:
    """The cross-validation benchmarks' default options, working in ``tmp_path``."""
    parser = cross_validation_parser("A benchmark.\n\nIts close.", "unused", "work", "epochs")
    return parser.parse_args(["--work-dir", str(tmp_path)])
