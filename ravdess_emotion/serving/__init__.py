"""Stage 6, serving: a local web page that records or uploads speech and shows its emotion, with enrollment.

``serve.py`` is its command line. :class:`~ravdess_emotion.serving.service.EmotionService`
does the work (checks an upload, predicts it as ``predict.py`` would, enrolls a speaker
into the same ``.npz`` files ``predict.py --save-enrollment`` writes), and
:func:`~ravdess_emotion.serving.app.create_app` puts it behind a Starlette app with one
static page (``page.html``).

=============== ===========================================================================
module          what it holds
=============== ===========================================================================
``service``     the checks, the prediction and the enrollment, with no web in them
``app``         the HTTP routes: the page, ``/api/info``, ``/api/predict``, ``/api/enroll``
=============== ===========================================================================
"""
