import { tracingSettings } from './settings';

describe('tracingSettings', () => {
  it('is off by default', () => {
    expect(tracingSettings({}, 'mediaflow-api')).toMatchObject({ enabled: false, serviceName: 'mediaflow-api' });
  });

  it.each<[string, NodeJS.ProcessEnv]>([
    ['an OTLP endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }],
    ['a traces endpoint', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }],
    ['OTEL_TRACES_EXPORTER=otlp', { OTEL_TRACES_EXPORTER: 'otlp' }],
    ['OTEL_TRACES_EXPORTER=console', { OTEL_TRACES_EXPORTER: 'console' }],
  ])('is on with %s', (_what, env) => {
    expect(tracingSettings(env, 'mediaflow-worker').enabled).toBe(true);
  });

  it.each<[string, NodeJS.ProcessEnv]>([
    [
      'OTEL_TRACES_EXPORTER=none, endpoint set',
      { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' },
    ],
    ['OTEL_SDK_DISABLED=true', { OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }],
    ['empty values', { OTEL_TRACES_EXPORTER: '', OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }],
  ])('is off with %s', (_what, env) => {
    expect(tracingSettings(env, 'mediaflow-worker').enabled).toBe(false);
  });

  it('takes OTEL_SERVICE_NAME over the process default', () => {
    expect(tracingSettings({ OTEL_SERVICE_NAME: 'transcoder' }, 'mediaflow-worker').serviceName).toBe('transcoder');
  });

  it('refuses a malformed setting (bootConfig then reports it by name)', () => {
    expect(() => tracingSettings({ OTEL_TRACES_EXPORTER: 'jaeger' }, 'x')).toThrow();
    expect(() => tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, 'x')).toThrow();
  });
});
