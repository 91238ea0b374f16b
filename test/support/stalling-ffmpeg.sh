#!/usr/bin/env bash
# Fault injection for the stall scenario: behaves exactly like ffmpeg, except
# that for an input carrying the marker MEDIAFLOW_STALL it hangs without a
# word, as ffmpeg does on a source that never sends. Used as FFMPEG_PATH by
# test/fault only.
set -u
input=""
previous=""
for arg in "$@"; do
  if [ "$previous" = "-i" ]; then input="${arg#file:}"; fi
  previous="$arg"
done
if [ -n "$input" ] && [ -f "$input" ] && grep -q MEDIAFLOW_STALL "$input" 2>/dev/null; then
  exec sleep 3600
fi
exec ffmpeg "$@"
