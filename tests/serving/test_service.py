"""The web page's API as a server: predictions, refusals with a message, limits, names that cannot escape, 20 at once.

The fast tests serve the session's untrained MFCC model (``audio_model``: it meets
nobody, so every recording is predicted alone); enrollment needs a model that
standardises per speaker, trained on the demo voices in ``enrolling_model`` (slow).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import numpy as np
import pytest
import soundfile as sf
from starlette.testclient import TestClient

import predict
from ravdess_emotion.core.ravdess import parse_name
from ravdess_emotion.corpus.demo.voice import SAMPLE_RATE, synthesize_voice
from ravdess_emotion.serving.app import create_app
from ravdess_emotion.serving.service import Limits
from tests.demo_training import train_on_demo
from tests.serving.services import free_port, make_service

ROOT = Path(__file__).resolve().parents[2]


def _wav(name: str = "03-01-05-01-01-01-01.wav", seed: int = 1, seconds: float | None = None) -> bytes:
    samples = synthesize_voice(parse_name(Path(name)), np.random.default_rng(seed))
    if seconds is not None:
        samples = np.resize(samples, int(seconds * SAMPLE_RATE))
    buffer = io.BytesIO()
    sf.write(buffer, samples, SAMPLE_RATE, format="WAV")
    return buffer.getvalue()


_service = make_service


@pytest.fixture
def client(audio_model: Path, tmp_path: Path) -> TestClient:
    return TestClient(create_app(_service(audio_model, tmp_path / "enrolled", Limits(max_bytes=2_000_000))))


def test_the_page_and_the_models_description(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'id="record"' in page.text and "MediaRecorder" in page.text
    info = client.get("/api/info").json()
    assert info["model"] == "audio.h5" and len(info["emotions"]) == 8
    assert info["enrollable"] is False and info["alone"] is True and info["speakers"] == []


def test_a_recording_gets_every_emotions_probability(client: TestClient) -> None:
    answer = client.post("/api/predict", files={"audio": ("hello.wav", _wav(), "audio/wav")})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["predicted"] in result["probabilities"] and len(result["probabilities"]) == 8
    assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    assert result["speaker_path"] == "alone" and result["duration_s"] > 1


def _tone() -> bytes:
    t = np.arange(3 * 16000) / 16000
    buffer = io.BytesIO()
    sf.write(buffer, 0.3 * np.sin(2 * np.pi * 440 * t), 16000, format="WAV")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("filename", "data", "status", "message"),
    [
        ("empty.wav", b"", 400, "the recording is empty"),
        ("notes.txt", b"hello", 415, "not a format this model reads"),
        ("broken.wav", b"RIFF but not audio at all", 422, "cannot decode audio"),
        ("tone.wav", _tone(), 422, "no speech detected: a steady sound"),
        ("blip.wav", _wav()[:20000], 422, "too short"),
        ("big.wav", b"\0" * 2_100_000, 413, "larger than"),
    ],
)
def test_bad_uploads_get_a_message_never_a_traceback(
    client: TestClient, filename: str, data: bytes, status: int, message: str
) -> None:
    answer = client.post("/api/predict", files={"audio": (filename, data, "application/octet-stream")})
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert message in error and "Traceback" not in error and tempfile.gettempdir() not in error


def test_no_file_and_not_a_form_are_refused(client: TestClient) -> None:
    assert "no recording" in client.post("/api/predict", data={"speaker": ""}).json()["error"]
    answer = client.post("/api/predict", content=b"just bytes", headers={"content-type": "text/plain"})
    assert answer.status_code == 400 and "error" in answer.json()


def test_a_recording_past_the_length_limit_is_refused(audio_model: Path, tmp_path: Path) -> None:
    app = create_app(_service(audio_model, tmp_path, Limits(max_seconds=5)))
    answer = TestClient(app).post("/api/predict", files={"audio": ("long.wav", _wav(seconds=8), "audio/wav")})
    assert answer.status_code == 413 and "lasts 8 s; at most 5 s" in answer.json()["error"]


@pytest.mark.parametrize("name", ["../evil", "a/b", "", ".hidden", "x" * 41, "naïve"])
def test_enrollment_names_cannot_leave_the_folder(client: TestClient, tmp_path: Path, name: str) -> None:
    answer = client.post(
        "/api/enroll", data={"name": name}, files=[("audio", ("a.wav", _wav(), "audio/wav"))]
    )
    assert answer.status_code == 400 and "cannot name a speaker" in answer.json()["error"]
    answer = client.post(
        "/api/predict", data={"speaker": name}, files={"audio": ("a.wav", _wav(), "audio/wav")}
    )
    if name:  # no name: the recording is met alone
        assert answer.status_code == 400 and "cannot name a speaker" in answer.json()["error"]
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written: no enrolled/, no ../evil.npz


def test_a_model_that_meets_nobody_takes_no_enrollment(client: TestClient) -> None:
    answer = client.post(
        "/api/enroll", data={"name": "alice"}, files=[("audio", ("a.wav", _wav(), "audio/wav"))]
    )
    assert answer.status_code == 400 and "takes no enrollment" in answer.json()["error"]


def test_twenty_requests_at_once_are_all_answered_and_the_server_stays_up(live_server: str) -> None:
    good, bad = _wav(), b"not audio"
    before = set(Path(tempfile.gettempdir()).glob("ravdess-serve-*"))

    def send(index: int) -> int:
        data = bad if index % 5 == 4 else good
        files = {"audio": (f"r{index}.wav", data, "audio/wav")}
        return httpx2.post(f"{live_server}/api/predict", files=files, timeout=120).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(send, range(20)))
    assert statuses.count(200) == 16 and statuses.count(422) == 4
    assert httpx2.get(f"{live_server}/api/info", timeout=10).status_code == 200
    assert set(Path(tempfile.gettempdir()).glob("ravdess-serve-*")) == before  # every upload removed


@pytest.fixture(scope="module")
def enrolling_model(demo_audio: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``--preset functionals`` speech model of the demo voices: it standardises per speaker, with a prior."""
    return train_on_demo(demo_audio, tmp_path_factory.mktemp("functionals"), "functionals", "--epochs", "3")


@pytest.mark.slow
def test_an_enrollment_is_stored_as_predict_reads_it_and_changes_the_answer(
    enrolling_model: Path, demo_audio: Path, tmp_path: Path, capsys
) -> None:
    enrolled = tmp_path / "enrolled"
    client = TestClient(create_app(_service(enrolling_model, enrolled)))
    assert client.get("/api/info").json()["enrollable"] is True
    voice = sorted((demo_audio / "audio" / "speech").rglob("*-04.wav"))
    sentences = [("audio", (f"s{i}.wav", f.read_bytes(), "audio/wav")) for i, f in enumerate(voice[:8])]
    sentences.append(("audio", ("cough.wav", b"", "audio/wav")))
    answer = client.post("/api/enroll", data={"name": "alice"}, files=sentences)
    assert answer.status_code == 200, answer.text
    assert answer.json()["recordings"] == 8 and "cough.wav" in answer.json()["skipped"][0]
    assert [p.name for p in enrolled.iterdir()] == ["alice.npz"]
    assert client.get("/api/info").json()["speakers"] == ["alice"]

    target = voice[8]
    files = {"audio": ("today.wav", target.read_bytes(), "audio/wav")}
    result = client.post("/api/predict", data={"speaker": "alice"}, files=files).json()
    assert result["speaker_path"] == "enrollment" and set(result["alone"]) == set(result["probabilities"])
    alone = client.post("/api/predict", files=files).json()
    assert alone["speaker_path"] == "independent"
    assert result["alone"] == pytest.approx(alone["probabilities"], abs=1e-4)
    assert result["probabilities"] != pytest.approx(alone["probabilities"], abs=1e-3)
    # predict.py reads the page's enrollment and gives the same answer.
    code = predict.main(
        [
            str(enrolling_model),
            str(target),
            "--enroll",
            str(enrolled),
            "--speaker",
            "alice",
            "--format",
            "json",
        ]
    )
    assert code == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert {e: row[e] for e in result["probabilities"]} == pytest.approx(result["probabilities"], abs=1e-3)
    unknown = client.post("/api/predict", data={"speaker": "bob"}, files=files)
    assert unknown.status_code == 404 and "nobody is enrolled as 'bob'" in unknown.json()["error"]


def test_serve_py_refuses_what_it_cannot_serve(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import serve

    assert serve.main(["--models-dir", str(tmp_path)]) == 2
    assert "no model named, and none of audio_emotion_speech_whisper.h5" in capsys.readouterr().err
    assert serve.main([str(tmp_path / "missing.h5")]) == 2
    with pytest.raises(SystemExit):
        serve.main(["--port", "70000"])


@pytest.mark.slow  # a fresh process loads Keras
def test_serve_py_starts_the_page_on_this_computer_only(audio_model: Path, tmp_path: Path) -> None:
    port = free_port()
    command = [
        sys.executable,
        "serve.py",
        str(audio_model),
        "--port",
        str(port),
        "--enroll-dir",
        str(tmp_path),
    ]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        assert line.strip() == f"Serving {audio_model} at http://127.0.0.1:{port}/ (Ctrl+C stops)"
        deadline = time.monotonic() + 30
        while True:
            try:
                info = httpx2.get(f"http://127.0.0.1:{port}/api/info", timeout=5).json()
                break
            except httpx2.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, server.stderr.read()
                time.sleep(0.2)
        assert info["model"] == audio_model.name
        listening = [c for c in listening_sockets(server.pid) if c[1] == port]
        assert listening and all(address == "127.0.0.1" for address, _ in listening)
    finally:
        server.terminate()
        server.wait(timeout=30)


def listening_sockets(pid: int) -> list[tuple[str, int]]:
    """The (address, port) pairs a process listens on, from /proc (no psutil needed)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    pairs = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
            host, port = fields[1].split(":")
            address = ".".join(str(int(host[i : i + 2], 16)) for i in (6, 4, 2, 0))
            pairs.append((address, int(port, 16)))
    return pairs
