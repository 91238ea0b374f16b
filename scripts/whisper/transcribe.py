#!/usr/bin/env python3
"""Long-running speech-recognition helper for the mediaflow worker.

Speaks JSON lines: one request per line on stdin, events on stdout. A worker
starts one of these and keeps it, so a model is loaded once and reused for
every job that asks for it.

Request:
  {"id": "...", "audio_path": "/abs/file", "model_dir": "/abs/dir",
   "language": "en" (optional hint), "beam_size": 1 (optional; 1 = greedy)}

Events, all carrying the request's id:
  {"type": "model_loaded", "model_dir", "load_sec"}      only when a load happened
  {"type": "progress", "processed_sec", "duration_sec"}  once per segment
  {"type": "result", "language", "language_probability", "duration_sec",
   "segments": [{"start", "end", "text"}]}
  {"type": "error", "code", "message"}  code is one of MODEL_NOT_FOUND,
   UNSUPPORTED_LANGUAGE, AUDIO_UNREADABLE, BAD_REQUEST, TRANSCRIBE_FAILED

On start it prints {"type": "ready", ...versions}; if faster-whisper cannot be
imported it prints {"type": "fatal", "code": "RUNTIME_MISSING", ...} and exits 3.

Options (argv or env): --compute-type / WHISPER_COMPUTE_TYPE (int8),
--cpu-threads / WHISPER_CPU_THREADS (0 = CTranslate2's default),
--model-cache-size / WHISPER_MODEL_CACHE_SIZE (2).
"""

import argparse
import collections
import json
import os
import sys
import time

# Nothing here may reach the network: a missing file must fail, not download.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

# The protocol owns the real stdout. Anything else that prints (native
# libraries, stray prints in dependencies) is sent to stderr instead, so a
# chatty library can never corrupt the JSON stream.
_protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
sys.stdout = sys.stderr

REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
VOCABULARY_FILES = ("vocabulary.txt", "vocabulary.json")


def emit(message):
    _protocol.write(json.dumps(message, ensure_ascii=False) + "\n")
    _protocol.flush()


class RequestError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compute-type", default=os.environ.get("WHISPER_COMPUTE_TYPE", "int8"))
    parser.add_argument("--cpu-threads", type=int, default=int(os.environ.get("WHISPER_CPU_THREADS", "0")))
    parser.add_argument("--model-cache-size", type=int, default=int(os.environ.get("WHISPER_MODEL_CACHE_SIZE", "2")))
    return parser.parse_args()


def missing_model_files(model_dir):
    if not os.path.isdir(model_dir):
        return ["the directory itself"]
    missing = [name for name in REQUIRED_FILES if not os.path.isfile(os.path.join(model_dir, name))]
    if not any(os.path.isfile(os.path.join(model_dir, name)) for name in VOCABULARY_FILES):
        missing.append(" or ".join(VOCABULARY_FILES))
    return missing


class ModelCache:
    """The few most recently used models, keyed by their directory."""

    def __init__(self, whisper_model_class, size, compute_type, cpu_threads):
        self._whisper_model_class = whisper_model_class
        self._size = max(1, size)
        self._compute_type = compute_type
        self._cpu_threads = cpu_threads
        self._models = collections.OrderedDict()

    def get(self, model_dir, request_id):
        key = os.path.realpath(model_dir)
        if key in self._models:
            self._models.move_to_end(key)
            return self._models[key]
        missing = missing_model_files(key)
        if missing:
            raise RequestError("MODEL_NOT_FOUND", f"no Whisper model in {model_dir}: missing {', '.join(missing)}")
        started = time.monotonic()
        try:
            # A directory path, never a model name: a name would make
            # faster-whisper try the Hugging Face hub.
            model = self._whisper_model_class(
                key, device="cpu", compute_type=self._compute_type, cpu_threads=self._cpu_threads
            )
        except Exception as error:  # CTranslate2 raises RuntimeError/ValueError for unreadable models
            raise RequestError("MODEL_NOT_FOUND", f"the model in {model_dir} could not be loaded: {error}") from error
        while len(self._models) >= self._size:
            self._models.popitem(last=False)
        self._models[key] = model
        emit({"id": request_id, "type": "model_loaded", "model_dir": model_dir,
              "load_sec": round(time.monotonic() - started, 3)})
        return model


def parse_request(line):
    try:
        request = json.loads(line)
    except json.JSONDecodeError as error:
        raise RequestError("BAD_REQUEST", f"request is not JSON: {error}") from error
    if not isinstance(request, dict):
        raise RequestError("BAD_REQUEST", "request must be a JSON object")
    for field in ("id", "audio_path", "model_dir"):
        if not isinstance(request.get(field), str) or request[field] == "":
            raise RequestError("BAD_REQUEST", f"request.{field} must be a non-empty string")
    language = request.get("language")
    if language is not None and not isinstance(language, str):
        raise RequestError("BAD_REQUEST", "request.language must be a string")
    beam_size = request.get("beam_size", 1)
    if not isinstance(beam_size, int) or isinstance(beam_size, bool) or not 1 <= beam_size <= 20:
        raise RequestError("BAD_REQUEST", "request.beam_size must be an integer from 1 to 20")
    return request


def transcribe(cache, vad_available, request):
    request_id = request["id"]
    model = cache.get(request["model_dir"], request_id)
    language = request.get("language") or None
    if language is not None and language not in model.supported_languages:
        only = "is English-only" if not model.model.is_multilingual else "does not know this language"
        raise RequestError("UNSUPPORTED_LANGUAGE", f"language '{language}' was requested but the model {only}")
    if not os.path.isfile(request["audio_path"]):
        raise RequestError("AUDIO_UNREADABLE", f"no audio file at {request['audio_path']}")

    try:
        segments, info = model.transcribe(
            request["audio_path"],
            language=language,
            beam_size=request.get("beam_size", 1),
            # Without VAD, Whisper "hears" words in silence and music.
            vad_filter=vad_available,
        )
    except Exception as error:  # PyAV raises its own error family for undecodable input
        if type(error).__module__.startswith("av"):
            raise RequestError("AUDIO_UNREADABLE", f"the audio could not be decoded: {error}") from error
        raise

    duration = float(info.duration)
    collected = []
    for segment in segments:  # a generator: decoding happens while we iterate
        text = segment.text.strip()
        if text:
            collected.append({"start": round(segment.start, 3), "end": round(segment.end, 3), "text": text})
        emit({"id": request_id, "type": "progress",
              "processed_sec": round(min(segment.end, duration), 3), "duration_sec": round(duration, 3)})

    emit({
        "id": request_id,
        "type": "result",
        "language": language or info.language,
        "language_probability": round(float(info.language_probability), 4),
        "duration_sec": round(duration, 3),
        "segments": collected,
    })


def main():
    args = parse_args()
    try:
        import ctranslate2
        import faster_whisper
        from faster_whisper import WhisperModel
        from faster_whisper.utils import get_assets_path
    except ImportError as error:
        emit({"type": "fatal", "code": "RUNTIME_MISSING",
              "message": f"faster-whisper is not installed for {sys.executable}: {error}"})
        return 3

    vad_model = os.path.join(get_assets_path(), "silero_vad_v6.onnx")
    vad_available = os.path.isfile(vad_model)
    if not vad_available:
        print(f"warning: {vad_model} is missing; transcribing without the VAD filter", file=sys.stderr)

    cache = ModelCache(WhisperModel, args.model_cache_size, args.compute_type, args.cpu_threads)
    emit({"type": "ready", "pid": os.getpid(), "faster_whisper": faster_whisper.__version__,
          "ctranslate2": ctranslate2.__version__, "vad": vad_available,
          "compute_type": args.compute_type, "cpu_threads": args.cpu_threads})

    for line in sys.stdin:
        if not line.strip():
            continue
        request_id = None
        try:
            request = parse_request(line)
            request_id = request["id"]
            transcribe(cache, vad_available, request)
        except RequestError as error:
            emit({"id": request_id, "type": "error", "code": error.code, "message": str(error)})
        except Exception as error:  # one bad file must not take the helper down
            emit({"id": request_id, "type": "error", "code": "TRANSCRIBE_FAILED",
                  "message": f"{type(error).__name__}: {error}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
