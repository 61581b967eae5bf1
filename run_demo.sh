#!/usr/bin/env bash
# The whole pipeline on the SYNTHETIC demo dataset (not RAVDESS), from a fresh clone:
# set-up -> organize -> features -> train all five models, the --preset best audio models and the
# facial action-unit models (the demo writes OpenFace-style tracking CSVs) -> predict.
# Reduced sizes so it finishes in minutes on 2 CPU cores; the full-size defaults of
# train_models.py are the seed's input sizes (13 MFCC x 216, 30 frames of 224x224), 40/30 epochs.
# Extra arguments go to train_models.py, e.g. ./run_demo.sh --models audio-speech
set -euo pipefail
cd "$(dirname "$0")"
bash setup.sh
export KERAS_BACKEND=${KERAS_BACKEND:-tensorflow} TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
# glibc hands freed heap memory back to the kernel after every TensorFlow step and faults it in again:
# keeping it (trim threshold 2 GiB, 256 MiB top pad) cut a demo training's system time from 42 s to 9 s
# and its wall time by 18% (docs/measurements.md). Other allocators ignore these.
export MALLOC_TRIM_THRESHOLD_=${MALLOC_TRIM_THRESHOLD_:-2147483648} MALLOC_TOP_PAD_=${MALLOC_TOP_PAD_:-268435456}
py=.venv/bin/python
demo=data/demo/organized
sizes=(--video-frames 8 --video-size 32)

echo "== 1/6 organize: generate the synthetic demo dataset and sort it into $demo"
$py organize_data.py --demo

echo "== 2/6 features: MFCCs and video frames, cached in data/demo/features"
$py data_loader.py --data-dir "$demo" "${sizes[@]}" --kinds audio,video
$py data_loader.py --data-dir "$demo" "${sizes[@]}" --kinds fusion --channels speech

echo "== 3/6 train: five models (audio: the default --preset cnn-lstm), tested on demo actors 21-24 (never seen in training)"
$py train_models.py --data-dir "$demo" "${sizes[@]}" --epochs 15 --patience 6 "$@"

echo "== 4/6 train, --preset best: Whisper-base's hidden states and utterance functionals, standardised per speaker, pooled"
$py train_models.py --data-dir "$demo" --models audio-speech,audio-song --preset best

echo "== 5/6 train, --preset best: facial action units alone, and Whisper + action units of the same take"
$py train_models.py --data-dir "$demo" --models au-speech,au-song,fusion-au-speech,fusion-au-song --preset best

echo "== 6/6 predict: the speech audio, AU and audio+AU models on the demo's held-out actor 24"
$py predict.py models/audio_emotion_speech.h5 "$demo"/audio/speech/*/03-01-0?-01-01-01-24.wav
$py predict.py models/audio_emotion_speech.h5 "$demo"/audio/speech/angry/03-01-05-01-01-01-24.wav
$py predict.py models/audio_emotion_speech_best.h5 "$demo"/audio/speech/*/03-01-0?-01-01-01-24.wav
# One recording of an unknown speaker; then actor 24 enrolled once from other recordings (statement 2),
# stored (one .npz per view of the model: models/enrolled/whisper/, models/enrolled/functionals/),
# and one new recording predicted with that enrollment.
$py predict.py models/audio_emotion_speech_best.h5 "$demo"/audio/speech/angry/03-01-05-01-01-01-24.wav
rm -rf data/demo/enroll_24 && mkdir -p data/demo/enroll_24
cp "$demo"/audio/speech/*/03-01-0?-01-02-01-24.wav data/demo/enroll_24/
$py predict.py models/audio_emotion_speech_best.h5 --enroll data/demo/enroll_24 --save-enrollment models/enrolled
$py predict.py models/audio_emotion_speech_best.h5 "$demo"/audio/speech/angry/03-01-05-01-01-01-24.wav \
  --enroll models/enrolled
$py predict.py models/au_emotion_speech_best.h5 "$demo"/faces/speech/*/01-01-0?-01-01-01-24.csv
$py predict.py models/fusion_au_emotion_speech_best.h5 "$demo"/audio/speech/*/03-01-0?-01-01-01-24.wav \
  "$demo"/faces/speech/*/01-01-0?-01-01-01-24.csv

echo
echo "Done: models/*.h5 and *.keras, plots/*.png, reports/summary.md."
echo "These numbers are on SYNTHETIC demo data: they show the pipeline works, not how well it recognises emotion."
