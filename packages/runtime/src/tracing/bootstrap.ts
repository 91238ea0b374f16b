import fs from 'node:fs';
import { tracingSettings } from './settings';
import type { TracingSettings } from './settings';

/** The tracing SDK of this process, if one was started. */
export interface TracingHandle {
  readonly settings: TracingSettings;
  /** Exports the spans still buffered, then stops; a no-op when tracing is off. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry for this process when the environment asks for it
 * (see tracingSettings), else does nothing at all: the SDK, the exporters
 * and the instrumentations are not even loaded.
 *
 * Instrumentations patch modules as they are required, so this must run
 * before anything requires express or node:http: each composition root
 * imports its `instrumentation.ts` first, which calls this. That is also why
 * this module imports nothing but node:fs and the settings, and why the SDK
 * is loaded with a synchronous require: an `import()` would resolve only
 * after the composition root had already loaded everything else.
 *
 * Never throws: a malformed OTEL_* variable leaves tracing off here and is
 * reported by bootConfig, by name, a moment later.
 */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): TracingHandle {
  // bootConfig reads .env too, but only after every module is loaded.
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  let settings: TracingSettings;
  try {
    settings = tracingSettings(env, service);
  } catch {
    return { settings: { enabled: false, serviceName: service, summary: 'invalid OTEL_* setting' }, shutdown: noop };
  }
  if (!settings.enabled) return { settings, shutdown: noop };
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must load synchronously, see above
  const sdk = require('./otel-sdk') as typeof import('./otel-sdk');
  const running = sdk.startOtelSdk(settings.serviceName);
  return { settings, shutdown: async () => running.shutdown() };
}

async function noop(): Promise<void> {
  return Promise.resolve();
}
