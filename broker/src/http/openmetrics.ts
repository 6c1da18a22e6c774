/**
 * Content negotiation and an OpenMetrics 1.0 text renderer.
 *
 * Why our own renderer: prom-client can only switch a whole Registry between the two
 * formats, and its OpenMetrics path permanently strips `_total` from counter objects'
 * names (`standardizeCounterName` mutates `metric.name`), so one registry cannot serve
 * both formats. We render OpenMetrics from `getMetricsAsJSON()` instead, which leaves the
 * metric objects untouched.
 */
import type { Registry } from 'prom-client';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export type MetricsFormat = 'prometheus' | 'openmetrics';

/**
 * Pick the format from an Accept header by q-value: OpenMetrics only when the client ranks
 * it at least as high as every text/plain it lists (Prometheus sends OpenMetrics at q=1 and
 * text/plain at q=0.5). No header, `*\/*`, or anything unknown gets the Prometheus text.
 */
export function negotiateFormat(accept: string | undefined): MetricsFormat {
  if (accept === undefined || accept === '') return 'prometheus';
  let om = -1;
  let text = -1;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    let q = 1;
    for (const p of params) {
      const m = /^q=([0-9.]+)$/.exec(p);
      if (m?.[1] !== undefined) q = Number(m[1]);
    }
    if (!Number.isFinite(q) || q <= 0) continue;
    if (type === 'application/openmetrics-text') om = Math.max(om, q);
    else if (type === 'text/plain') text = Math.max(text, q);
  }
  return om > 0 && om >= text ? 'openmetrics' : 'prometheus';
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLabels(labels: Readonly<Record<string, string | number | undefined>>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    if (v === undefined) continue;
    const s = k === 'le' && typeof v === 'number' ? formatValue(v) : String(v);
    parts.push(`${k}="${escapeLabelValue(s)}"`);
  }
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** prom-client's JSON view (its element types are not exported by name). */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;
type Sample = MetricsJson[number]['values'][number] & { readonly metricName?: string };

/** OpenMetrics text for prom-client's JSON view of a registry; ends with `# EOF`. */
export function renderOpenMetrics(metrics: MetricsJson): string {
  const out: string[] = [];
  for (const m of metrics) {
    // Typed as a numeric enum, but prom-client stores the string ("counter", ...) at runtime.
    const type = String(m.type);
    // OpenMetrics names a counter family without `_total`; its samples carry it.
    const family = type === 'counter' ? m.name.replace(/_total$/, '') : m.name;
    out.push(`# HELP ${family} ${m.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}`);
    out.push(`# TYPE ${family} ${type === 'counter' || type === 'gauge' || type === 'histogram' || type === 'summary' ? type : 'unknown'}`);
    for (const v of m.values as readonly Sample[]) {
      const name = type === 'counter' ? `${family}_total` : (v.metricName ?? m.name);
      out.push(`${name}${formatLabels(v.labels)} ${formatValue(v.value)}`);
    }
  }
  out.push('# EOF');
  return out.join('\n') + '\n';
}
