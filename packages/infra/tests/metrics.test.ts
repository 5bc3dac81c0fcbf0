/**
 * Every application metric the dashboard and the alarms use is one the code emits: read from the
 * synthesized template (dashboard body, alarm metrics, SEARCH and Metrics Insights expressions) and
 * checked against both catalogs (packages/scp-core, packages/importer) for namespace, name and
 * dimension names.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IMPORTER_METRICS } from '../../importer/src/metrics-catalog.ts';
import { METRICS_NAMESPACE, SCP_METRICS, type MetricSpec } from '../../scp-core/src/metrics/catalog.ts';
import { resourcesOfType, synthesized } from './synthesized.ts';

interface MetricUse { where: string; name: string; dimensions: string[] }

const catalog = new Map<string, MetricSpec>([...Object.values(SCP_METRICS), ...Object.values(IMPORTER_METRICS)].map((m) => [m.name, m]));
const { json } = synthesized();

/** Joins a Fn::Join, standing a placeholder in for references (they sit inside JSON strings). */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  return join ? join[1].map(flatten).join(join[0]) : 'REF';
}

/** Namespace StoreSCP metrics named by a SEARCH or Metrics Insights expression. */
function fromExpression(where: string, expression: string): MetricUse[] {
  const uses: MetricUse[] = [];
  for (const m of expression.matchAll(/\{([^}]*)\}\s*MetricName="([^"]+)"/g)) {
    const [namespace, ...dimensions] = m[1]!.split(',').map((s) => s.trim());
    if (namespace === METRICS_NAMESPACE) uses.push({ where, name: m[2]!, dimensions });
  }
  for (const m of expression.matchAll(/SELECT\s+\w+\((\w+)\)\s+FROM\s+SCHEMA\(([^)]*)\)/gi)) {
    const [namespace, ...dimensions] = m[2]!.split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
    if (namespace === METRICS_NAMESPACE) uses.push({ where, name: m[1]!, dimensions });
  }
  return uses;
}

function dashboardUses(): MetricUse[] {
  const uses: MetricUse[] = [];
  for (const [id, dashboard] of resourcesOfType(json, 'AWS::CloudWatch::Dashboard')) {
    const body = JSON.parse(flatten(dashboard.Properties!['DashboardBody'])) as { widgets: { properties: { title?: string; metrics?: unknown[][] } }[] };
    for (const widget of body.widgets) {
      const where = `${id}: ${widget.properties.title ?? 'widget'}`;
      for (const row of widget.properties.metrics ?? []) {
        const options = row.find((x) => typeof x === 'object') as { expression?: string } | undefined;
        if (options?.expression) uses.push(...fromExpression(where, options.expression));
        const strings = row.filter((x): x is string => typeof x === 'string');
        if (strings[0] === METRICS_NAMESPACE) {
          uses.push({ where, name: strings[1]!, dimensions: strings.slice(2).filter((_, i) => i % 2 === 0) });
        }
      }
    }
  }
  return uses;
}

function alarmUses(): MetricUse[] {
  const uses: MetricUse[] = [];
  for (const [id, alarm] of resourcesOfType(json, 'AWS::CloudWatch::Alarm')) {
    const p = alarm.Properties!;
    const dimensionNames = (d: unknown) => ((d ?? []) as { Name: string }[]).map((x) => x.Name);
    if (p['Namespace'] === METRICS_NAMESPACE) uses.push({ where: id, name: p['MetricName'] as string, dimensions: dimensionNames(p['Dimensions']) });
    for (const m of (p['Metrics'] ?? []) as { Expression?: string; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: unknown } } }[]) {
      if (m.Expression) uses.push(...fromExpression(id, m.Expression));
      if (m.MetricStat?.Metric.Namespace === METRICS_NAMESPACE) {
        uses.push({ where: id, name: m.MetricStat.Metric.MetricName, dimensions: dimensionNames(m.MetricStat.Metric.Dimensions) });
      }
    }
  }
  return uses;
}

function assertInCatalog(uses: MetricUse[]): void {
  for (const use of uses) {
    const spec = catalog.get(use.name);
    assert.ok(spec, `${use.where}: ${use.name} is not in the SCP or importer metric catalog`);
    assert.deepEqual([...use.dimensions].sort(), [...spec.labels].sort(), `${use.where}: ${use.name} dimensions`);
  }
}

describe('dashboard and alarm metrics match what the code emits', () => {
  const dashboard = dashboardUses();
  const alarms = alarmUses();

  it('every StoreSCP metric on the dashboard is in a catalog, with its labels as dimensions', () => {
    assert.ok(dashboard.length >= 15, `found only ${dashboard.length}`);
    assertInCatalog(dashboard);
  });

  it('every StoreSCP metric in an alarm is in a catalog, with its labels as dimensions', () => {
    assert.ok(alarms.length >= 4, `found only ${alarms.length}`);
    assertInCatalog(alarms);
  });

  it('the dashboard shows every metric of both catalogs', () => {
    const shown = new Set(dashboard.map((u) => u.name));
    assert.deepEqual([...catalog.keys()].filter((name) => !shown.has(name)), []);
  });

  it('alarms watch failed imports, 0xA700 answers and rejected associations', () => {
    const find = (name: string) => resourcesOfType(json, 'AWS::CloudWatch::Alarm').find(([, a]) => a.Properties!['MetricName'] === name);
    const dims = (name: string) => find(name)?.[1].Properties!['Dimensions'];
    assert.deepEqual(dims(IMPORTER_METRICS.importJobs.name), [{ Name: 'status', Value: 'FAILED' }]);
    assert.deepEqual(dims(SCP_METRICS.cstores.name), [{ Name: 'status', Value: '0xa700' }]);
    assert.ok(alarms.some((u) => u.name === SCP_METRICS.associationsRejected.name));
  });
});
