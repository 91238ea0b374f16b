# One image for the API and the worker; docker-compose picks the entry point.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY packages ./packages
COPY services ./services
RUN npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev

FROM node:24-slim
# python3 (3.11 on Debian 12) and venv: the speech-recognition runtime for transcribe.
RUN apt-get update \
  && apt-get install -y --no-install-recommends ffmpeg ca-certificates python3 python3-venv \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# faster-whisper + CTranslate2, pinned, in their own venv (what scripts/whisper/install.sh
# does, minus the models: those live in the /models volume, see docker-compose.yml).
# The stamp tells install.sh the venv is current, so running it later only adds models.
COPY scripts/whisper ./scripts/whisper
RUN python3 -m venv /opt/whisper-venv \
  && /opt/whisper-venv/bin/pip install --no-cache-dir --disable-pip-version-check -r scripts/whisper/requirements.txt \
  && sha256sum scripts/whisper/requirements.txt | cut -d' ' -f1 >/opt/whisper-venv/.mediaflow-requirements.sha256 \
  && rm -rf scripts/whisper/__pycache__ \
  && mkdir -p /models && chown node:node /models
ENV NODE_ENV=production \
  WHISPER_VENV=/opt/whisper-venv \
  WHISPER_PYTHON=/opt/whisper-venv/bin/python \
  WHISPER_MODEL_DIR=/models
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/packages ./packages
COPY --from=build /app/services ./services
USER node
EXPOSE 8000
CMD ["node", "services/api/dist/main.js"]
