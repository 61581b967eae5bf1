"""Fixtures of the serving tests: the app under a real server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from ravdess_emotion.serving.app import create_app
from tests.serving.services import free_port, make_service


@pytest.fixture
def live_server(audio_model: Path, tmp_path: Path) -> Iterator[str]:
    """The app of ``audio_model`` under uvicorn on a free port of 127.0.0.1, as serve.py runs it; its base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(make_service(audio_model, tmp_path / "enrolled")), "127.0.0.1", port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
