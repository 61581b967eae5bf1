#!/usr/bin/env bash
# The whole pipeline on the SYNTHETIC demo dataset (not RAVDESS), from a fresh clone:
# set-up -> organize -> features -> train all five models, and the --preset best audio models -> predict.
# Reduced sizes so it finishes in minutes on 2 CPU cores; the full-size defaults of
# train_models.py are the seed's (30 frames of 224x224, 50/30 epochs).
# Extra arguments go to train_models.py, e.g. ./run_demo.sh --models audio-speech
set -euo pipefail
cd "$(dirname "$0")"
bash setup.sh
export KERAS_BACKEND=${KERAS_BACKEND:-tensorflow} TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
py=.venv/bin/python
demo=data/demo/organized
sizes=(--video-frames 8 --video-size 32)

echo "== 1/5 organize: generate the synthetic demo dataset and sort it into $demo"
$py organize_data.py --demo

echo "== 2/5 features: MFCCs and video frames, cached in data/demo/features"
$py data_loader.py --data-dir "$demo" "${sizes[@]}" --kinds audio,video
$py data_loader.py --data-dir "$demo" "${sizes[@]}" --kinds fusion --channels speech

echo "== 3/5 train: five models, tested on demo actors 21-24 (never seen in training)"
$py train_models.py --data-dir "$demo" "${sizes[@]}" --epochs 15 --patience 6 "$@"

echo "== 4/5 train, --preset best: the audio models on utterance functionals, standardised per speaker"
$py train_models.py --data-dir "$demo" --models audio-speech,audio-song --preset best

echo "== 5/5 predict: both speech audio models on the demo's held-out actor 24"
$py predict.py models/audio_emotion_speech.h5 "$demo"/audio/speech/*/03-01-0?-01-01-01-24.wav
$py predict.py models/audio_emotion_speech_best.h5 "$demo"/audio/speech/*/03-01-0?-01-01-01-24.wav

echo
echo "Done: models/*.h5 and *.keras, plots/*.png, reports/summary.md."
echo "These numbers are on SYNTHETIC demo data: they show the pipeline works, not how well it recognises emotion."
