"""The web app: one static page and a small JSON API over an :class:`EmotionService`.

- ``GET /``: the page (``page.html``): record or upload, the chart, enrollment;
- ``GET /api/info``: the model, its emotions and the enrolled speakers;
- ``POST /api/predict`` (form: ``audio`` file, optional ``speaker``): the emotion;
- ``POST /api/enroll`` (form: ``name``, one or more ``audio`` files): store an enrollment.

Every answer is JSON; a refusal is ``{"error": message}`` with a 4xx status, and an
unexpected failure a 500 with its one-line reason (the traceback goes to the server's
console, never to the page). The blocking work runs on Starlette's thread pool, so
the server keeps answering while a prediction runs.
"""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ravdess_emotion.serving.service import EmotionService, RequestError

PAGE = Path(__file__).with_name("page.html")
LOG = logging.getLogger("ravdess_emotion.serving")


def create_app(service: EmotionService) -> Starlette:
    """The Starlette app serving ``service``: the page and its API."""
    page = PAGE.read_text(encoding="utf-8")

    async def index(request: Request) -> Response:
        return HTMLResponse(page)

    async def info(request: Request) -> Response:
        return JSONResponse(service.info())

    async def predict(request: Request) -> Response:
        async def answer() -> dict:
            form = await _form(request, service)
            upload = form.get("audio")
            if not isinstance(upload, UploadFile):
                raise RequestError("no recording: send the form field 'audio' with a file")
            data = await _read_limited(upload, service)
            speaker = str(form.get("speaker") or "").strip() or None
            return await run_in_threadpool(service.predict, data, upload.filename or "", speaker)

        return await _json(answer)

    async def enroll(request: Request) -> Response:
        async def answer() -> dict:
            form = await _form(request, service)
            uploads = [u for u in form.getlist("audio") if isinstance(u, UploadFile)]
            recordings = [(u.filename or "", await _read_limited(u, service)) for u in uploads]
            name = str(form.get("name") or "").strip()
            return await run_in_threadpool(service.enroll, name, recordings)

        return await _json(answer)

    return Starlette(
        routes=[
            Route("/", index),
            Route("/api/info", info),
            Route("/api/predict", predict, methods=["POST"]),
            Route("/api/enroll", enroll, methods=["POST"]),
        ]
    )


async def _json(answer) -> Response:
    try:
        return JSONResponse(await answer())
    except RequestError as error:
        return JSONResponse({"error": str(error)}, status_code=error.status)
    except Exception as error:  # the page must get a message, whatever broke
        LOG.exception("request failed")
        return JSONResponse({"error": f"the server failed: {type(error).__name__}: {error}"}, status_code=500)


async def _form(request: Request, service: EmotionService):
    """The request's form, refused before it is read when its declared size is past the limit."""
    declared = request.headers.get("content-length")
    limit = service.limits.max_bytes * service.limits.max_files
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(
            f"the upload is {int(declared) / 2**20:.1f} MB; at most {limit / 2**20:.0f} MB", 413
        )
    try:
        return await request.form(max_files=service.limits.max_files, max_fields=20)
    except Exception as error:  # a body that is not a form: multipart's own errors
        raise RequestError(f"not a form upload ({error})") from None


async def _read_limited(upload: UploadFile, service: EmotionService) -> bytes:
    """An uploaded file's bytes, refused as soon as it is past the size limit."""
    data = await upload.read(service.limits.max_bytes + 1)
    if len(data) > service.limits.max_bytes:
        raise RequestError(f"{upload.filename}: larger than {service.limits.max_bytes / 2**20:.1f} MB", 413)
    return data
