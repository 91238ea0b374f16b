#!/usr/bin/env bash
# Downloads a faster-whisper (CTranslate2) Whisper model from Hugging Face into
# the model directory, for a machine WITH internet access:
#
#   npm run models:download -- small          # Systran/faster-whisper-small
#   scripts/whisper/download-model.sh large-v3
#   scripts/whisper/download-model.sh my-model some-org/some-ct2-whisper-repo
#
# The result is <model dir>/<name>/ with model.bin, config.json, tokenizer.json,
# vocabulary.* (and preprocessor_config.json where the repo has one: large-v3
# needs it for its 128 mel bins). Copy that directory to workers without
# internet; the worker never downloads anything itself.
#
# UNTESTED HERE: the development machines and CI reach package registries only,
# not huggingface.co, so this script could not be run end to end where it was
# written. Its argument handling and the offline failure were checked; the
# download itself is huggingface_hub.snapshot_download, nothing more.
#
# Environment: MEDIAFLOW_CACHE_DIR, WHISPER_VENV, WHISPER_MODEL_DIR as for
# install.sh (run install.sh first: it provides the venv with huggingface_hub).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_dir="${MEDIAFLOW_CACHE_DIR:-$HOME/.cache/mediaflow}"
venv="${WHISPER_VENV:-$cache_dir/whisper-venv}"
model_dir="${WHISPER_MODEL_DIR:-$cache_dir/whisper-models}"
known="tiny tiny.en base base.en small small.en medium medium.en large-v1 large-v2 large-v3"

usage() {
  echo "usage: $0 <model> [huggingface-repo]" >&2
  echo "  model: one of: $known (downloaded from Systran/faster-whisper-<model>)" >&2
  echo "  or any directory name together with a CTranslate2 Whisper repo id" >&2
  exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
name="$1"
case "$name" in
  "" | . | .. | */* | .*) echo "error: '$name' is not a model name" >&2; usage ;;
esac
if [ $# -eq 2 ]; then
  repo="$2"
elif [[ " $known " == *" $name "* ]]; then
  repo="Systran/faster-whisper-$name"
else
  echo "error: unknown model '$name'; pass the Hugging Face repo id as a second argument" >&2
  usage
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "$venv/bin/python not found: running $here/install.sh first" >&2
  bash "$here/install.sh"
fi

mkdir -p "$model_dir"
target="$model_dir/$name"
staging="$model_dir/.$name.download.$$"
trap 'rm -rf "$staging"' EXIT

echo "downloading $repo into $target" >&2
# transcribe.py sets HF_HUB_OFFLINE=1 for itself; make sure a caller's setting
# of it does not turn this download into a no-op.
HF_HUB_OFFLINE=0 "$venv/bin/python" - "$repo" "$staging" <<'PY'
import sys
from huggingface_hub import snapshot_download

repo, destination = sys.argv[1], sys.argv[2]
snapshot_download(
    repo_id=repo,
    local_dir=destination,
    allow_patterns=["model.bin", "config.json", "tokenizer.json", "vocabulary.*", "preprocessor_config.json"],
)
PY

for required in model.bin config.json tokenizer.json; do
  [ -f "$staging/$required" ] || { echo "error: $repo has no $required; is it a CTranslate2 Whisper model?" >&2; exit 1; }
done
rm -rf "$staging/.cache"
printf '{"model": "%s", "repo": "%s"}\n' "$name" "$repo" >"$staging/.mediaflow-download"
rm -rf "$target"
mv "$staging" "$target"
trap - EXIT
echo "model $name ready in $target ($(du -sh "$target" | cut -f1)); use it with WHISPER_MODEL=$name or params.model=\"$name\"" >&2
