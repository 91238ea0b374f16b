import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '@mediaflow/domain';

/**
 * docker-compose.yml checked as a structure, beyond what `docker compose
 * config` (scripts/compose-check.sh) validates: every image pinned, every long-running service with a
 * healthcheck, optional services behind profiles, and the settings that make
 * `docker compose up` work as written (compose.env, Kafka's log dir on its volume).
 */

const root = path.resolve(__dirname, '../../..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  profiles?: string[];
  restart?: string;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: Record<string, { condition?: string; required?: boolean }> | string[];
  env_file?: string | string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  ports?: string[];
  command?: string | string[];
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = Object.entries(compose.services);

function envFile(text: string): Map<string, string> {
  const entries = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
  return new Map(entries);
}

describe('docker-compose.yml', () => {
  it.each(services)('%s runs a pinned image (a version tag or a digest), or the one built here', (_name, service) => {
    if (service.build !== undefined) return;
    expect(service.image).toMatch(/(:[^:/]*\d[^:/]*|@sha256:[0-9a-f]{64})$/);
    expect(service.image).not.toMatch(/:latest$/);
  });

  it.each(services)('%s has a healthcheck, or is a one-shot that says it has none', (_name, service) => {
    if (service.healthcheck?.disable === true) {
      expect(service.restart).toBe('no');
      return;
    }
    expect(service.healthcheck?.test).toBeDefined();
  });

  it('starts dynamodb and monitoring only when their profile is selected, and nobody needs them otherwise', () => {
    expect(compose.services.dynamodb.profiles).toEqual(['dynamodb']);
    expect(compose.services.prometheus?.profiles ?? ['monitoring']).toContain('monitoring');
    const profiled = new Set(services.filter(([, service]) => service.profiles).map(([name]) => name));
    for (const [name, service] of services) {
      if (service.profiles || Array.isArray(service.depends_on)) continue;
      for (const [dependency, condition] of Object.entries(service.depends_on ?? {})) {
        if (profiled.has(dependency))
          expect(`${name} -> ${dependency} required: ${String(condition.required)}`).toBe(
            `${name} -> ${dependency} required: false`,
          );
      }
    }
  });

  it("keeps Kafka's data on its volume", () => {
    const kafka = compose.services.kafka;
    const logDir = String(kafka.environment?.KAFKA_LOG_DIRS);
    expect(kafka.volumes?.map((volume) => volume.split(':')[1])).toContain(logDir);
  });

  it('checks readiness of the API and the workers at /readyz, on the ports they listen on', () => {
    // By name: the worker's listener settings come with the metrics work (WORKER_METRICS_PORT).
    const defaults: Record<string, unknown> = loadConfig({});
    const test = (name: string): string => JSON.stringify(compose.services[name].healthcheck?.test);
    expect(test('api')).toContain(`127.0.0.1:${String(defaults.PORT)}/readyz`);
    expect(test('worker')).toContain(`127.0.0.1:${String(defaults.WORKER_METRICS_PORT)}/readyz`);
  });

  it('has a bucket-init step that fails loudly', () => {
    const script = JSON.stringify(compose.services['s3-init'].command);
    expect(script).toContain('set -eu');
    expect(script).not.toContain('|| true');
    expect(script).toContain('exit 1');
  });

  it('comes up as written: compose.env for its processes, auth off only on a loopback-only port', () => {
    const settings = envFile(read('compose.env'));
    for (const name of ['api', 'worker', 'migrate']) expect(compose.services[name].env_file).toEqual(['compose.env']);
    // Every value parses as the processes would parse it.
    expect(() => loadConfig(Object.fromEntries(settings))).not.toThrow();
    if (settings.get('AUTH_DISABLED') === 'true') {
      for (const port of compose.services.api.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
    }
  });
});

describe('.env.example', () => {
  it('sets nothing that would take npm start away from the embedded mode, nor any compose host', () => {
    const active = envFile(read('.env.example'));
    expect([...active.keys()]).toEqual([]);
    expect(read('.env.example')).not.toMatch(/\/\/(mongodb|kafka|s3|dynamodb):/);
  });
});
