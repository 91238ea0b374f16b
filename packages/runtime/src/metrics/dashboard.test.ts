import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PrometheusMetrics } from './prometheus';

/**
 * The Grafana dashboard in deploy/ may only chart what the processes
 * export: every metric name in every panel query must be one the registry
 * defines (a histogram by its _bucket, _sum or _count series).
 */

const REPO = path.resolve(__dirname, '../../../..');

interface Panel {
  title?: string;
  type: string;
  panels?: Panel[];
  targets?: Array<{ expr?: string }>;
  datasource?: { uid?: string };
}

function queries(panels: Panel[]): Array<{ panel: string; expr: string; datasource: string | undefined }> {
  return panels.flatMap((panel) => [
    ...(panel.targets ?? []).map((target) => ({
      panel: panel.title ?? '?',
      expr: target.expr ?? '',
      datasource: panel.datasource?.uid,
    })),
    ...queries(panel.panels ?? []),
  ]);
}

async function exportedSeries(): Promise<Set<string>> {
  const families = await new PrometheusMetrics().registry.getMetricsAsJSON();
  return new Set(
    families.flatMap((family) =>
      String(family.type) === 'histogram'
        ? [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`]
        : String(family.type) === 'summary'
          ? [family.name, `${family.name}_sum`, `${family.name}_count`]
          : [family.name],
    ),
  );
}

describe('deploy/grafana/mediaflow.json', () => {
  const dashboard = JSON.parse(readFileSync(path.join(REPO, 'deploy/grafana/mediaflow.json'), 'utf8')) as {
    uid: string;
    panels: Panel[];
  };

  it('queries only metrics the registry defines', async () => {
    const known = await exportedSeries();
    const all = queries(dashboard.panels);
    expect(all.length).toBeGreaterThan(20);
    const unknown: string[] = [];
    for (const { panel, expr } of all) {
      const names = expr.match(/\b(?:mediaflow|process|nodejs)_[a-zA-Z0-9_]+\b/g) ?? [];
      // Every query charts at least one of ours: none may rest on a metric from elsewhere alone.
      expect({ panel, names: names.length > 0 }).toEqual({ panel, names: true });
      for (const name of names) if (!known.has(name)) unknown.push(`${panel}: ${name}`);
    }
    expect(unknown).toEqual([]);
  });

  it('charts every metric of ours, on the provisioned data source', async () => {
    const all = queries(dashboard.panels);
    const charted = new Set(all.flatMap(({ expr }) => expr.match(/\bmediaflow_[a-z0-9_]+\b/g) ?? []));
    const families = await new PrometheusMetrics({ defaultMetrics: false }).registry.getMetricsAsJSON();
    const missing = families
      .map((family) => family.name)
      .filter((name) => ![name, `${name}_bucket`, `${name}_count`].some((series) => charted.has(series)));
    expect(missing).toEqual([]);
    const provisioning = readFileSync(
      path.join(REPO, 'deploy/grafana/provisioning/datasources/prometheus.yml'),
      'utf8',
    );
    const uid = /uid:\s*(\S+)/.exec(provisioning)?.[1];
    expect(new Set(all.map((query) => query.datasource))).toEqual(new Set([uid]));
  });
});
