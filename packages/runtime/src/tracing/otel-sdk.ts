import type { IncomingMessage } from 'node:http';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NodeSDK } from '@opentelemetry/sdk-node';

/** Probes and scrapes would otherwise make most of the traces. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/']);

/**
 * The OpenTelemetry Node SDK with the HTTP and Express instrumentations, its
 * span exporters chosen by the standard OTEL_* variables. Loaded only when
 * tracing is on (see bootstrap.ts).
 *
 * Not registered: @opentelemetry/instrumentation-kafkajs. It starts every
 * message's producer span from the context active when `send()` is called,
 * and overwrites the message's `traceparent` header with it. The API sends
 * the messages of many concurrent submits in one `send()` (group commit), so
 * every job of a batch would join the trace of whichever request flushed it.
 * The queue adapter sets each message's headers from its own submit instead,
 * and the worker continues that context (see spans.ts).
 *
 * The SDK's metrics and logs stay off: metrics are Prometheus' (/metrics),
 * and log lines go to stdout with trace_id in them.
 */
export function startOtelSdk(serviceName: string): { shutdown(): Promise<void> } {
  const sdk = new NodeSDK({
    serviceName,
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.has((request.url ?? '/').split('?')[0]),
        // Outgoing calls (S3) are traced inside a request or a job, not from background loops.
        requireParentforOutgoingSpans: true,
        // `?token=` carries a credential (event streams' POST /events/token tokens, embedded-mode upload part
        // URLs): masked in url.query like the signatures the instrumentation masks by default (listed again,
        // since this list replaces its own).
        redactedQueryParamsServer: [
          'token',
          'sig',
          'Signature',
          'AWSAccessKeyId',
          'X-Goog-Signature',
          'X-Amz-Signature',
          'X-Amz-Credential',
          'X-Amz-Security-Token',
        ],
      }),
      new ExpressInstrumentation(),
    ],
  });
  sdk.start();
  return { shutdown: async () => sdk.shutdown() };
}
