import { tracingEnvSchema } from '@mediaflow/domain';

/** Whether this process records and exports spans, decided from OpenTelemetry's standard variables. */
export interface TracingSettings {
  enabled: boolean;
  /** service.name for the process's spans. */
  serviceName: string;
  /** Why tracing is off when it is (for the start-up log), or which exporters it uses. */
  summary: string;
}

/**
 * Tracing is on when OTEL_TRACES_EXPORTER names an exporter other than
 * `none`, or when an OTLP endpoint is set (the SDK then defaults to OTLP);
 * OTEL_SDK_DISABLED=true turns it off whatever else is set. Off is the
 * default: nothing to set, nothing started.
 *
 * @throws ZodError when one of the variables is malformed; bootConfig reports the same error by name later,
 *   so the bootstrap treats it as "off" and leaves the message to bootConfig.
 */
export function tracingSettings(env: NodeJS.ProcessEnv, service: string): TracingSettings {
  const parsed = tracingEnvSchema.parse(env);
  const serviceName = parsed.OTEL_SERVICE_NAME ?? service;
  const exporters = parsed.OTEL_TRACES_EXPORTER.filter((name) => name !== 'none');
  const endpoint = parsed.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? parsed.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (parsed.OTEL_SDK_DISABLED) return { enabled: false, serviceName, summary: 'OTEL_SDK_DISABLED is true' };
  if (parsed.OTEL_TRACES_EXPORTER.includes('none') && exporters.length === 0) {
    return { enabled: false, serviceName, summary: 'OTEL_TRACES_EXPORTER is none' };
  }
  if (exporters.length > 0) return { enabled: true, serviceName, summary: `exporters: ${exporters.join(', ')}` };
  if (endpoint !== undefined) return { enabled: true, serviceName, summary: 'exporters: otlp' };
  return { enabled: false, serviceName, summary: 'no OTEL_TRACES_EXPORTER or OTLP endpoint set' };
}
