/**
 * docs/prometheus.yml and docs/grafana-dashboard.json against the real tools and the real
 * /metrics output: promtool validates the config and every dashboard query (as recording
 * rules), every metric a panel names must exist in a scrape, and a real Prometheus server
 * scrapes a running HTTP server (in OpenMetrics, as it prefers) and answers the panels'
 * queries. The broker state behind it is the fake introspection (test-introspection.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROMTOOL, startHarness, type Harness } from './test-support.js';
import type { MetricsFormat } from './openmetrics.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PROMETHEUS = '/usr/bin/prometheus';

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly targets?: readonly { readonly expr: string }[];
}

async function dashboard(): Promise<Panel[]> {
  const json = JSON.parse(await readFile(join(ROOT, 'docs', 'grafana-dashboard.json'), 'utf8')) as { panels: Panel[] };
  return json.panels;
}

/** Dashboard variables replaced by what Grafana would send. */
function concrete(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', '.+');
}

function promtool(args: string[], cwd?: string): string {
  const r = spawnSync(PROMTOOL, args, { encoding: 'utf8', cwd, timeout: 30_000 });
  if (r.error !== undefined) throw new Error(`${PROMTOOL}: ${r.error.message} (install the Debian package \`prometheus\`)`);
  if (r.status !== 0) throw new Error(`promtool ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const address = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

describe('docs/', () => {
  test('prometheus.yml passes promtool check config', () => {
    expect(promtool(['check', 'config', join(ROOT, 'docs', 'prometheus.yml')])).toContain('SUCCESS');
  });

  test('the dashboard has the panels the issue asks for, and each query is valid PromQL', async () => {
    const panels = await dashboard();
    const titles = panels.map((p) => p.title);
    for (const t of ['Produce throughput', 'Fetch throughput', 'Request latency p99', 'Under-replicated partitions', 'ISR changes', 'Consumer lag', 'Leaders per broker']) {
      expect(titles.some((x) => x.startsWith(t))).toBe(true);
    }
    const exprs = panels.flatMap((p) => p.targets ?? []).map((t) => concrete(t.expr));
    const dir = await mkdtemp(join(tmpdir(), 'strand-rules-'));
    try {
      const rules = exprs.map((e, i) => `      - record: dashboard:panel${i}\n        expr: ${JSON.stringify(e)}`).join('\n');
      await writeFile(join(dir, 'rules.yml'), `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
      expect(promtool(['check', 'rules', 'rules.yml'], dir)).toContain('SUCCESS');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('every metric the dashboard names is served', async () => {
    const h = await startHarness();
    try {
      const body = await (await fetch(h.url('/metrics'))).text();
      const served = new Set(body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)?.[0]));
      // Labelled counters and histograms appear only once something was counted.
      h.metrics.observeRequest('Produce', [0], 0, 0);
      h.metrics.observeFlush(0);
      h.metrics.onBytesIn('orders', 1, 1);
      h.metrics.onBytesOut('orders', 1, 1);
      const after = await (await fetch(h.url('/metrics'))).text();
      for (const l of after.split('\n')) served.add(/^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)?.[0]);
      const named = new Set((await dashboard()).flatMap((p) => p.targets ?? []).flatMap((t) => t.expr.match(/\b(?:strand|nodejs|process)_[a-z0-9_]+/g) ?? []));
      expect(named.size).toBeGreaterThan(10);
      for (const m of named) expect([m, served.has(m)]).toEqual([m, true]);
    } finally {
      await h.close();
    }
  });

  describe('a real Prometheus scraping a running server', () => {
    let h: Harness;
    let prom: ChildProcess | null = null;
    let dir = '';
    let promUrl = '';
    const formats: MetricsFormat[] = [];

    beforeAll(async () => {
      h = await startHarness();
      const render = h.metrics.renderFormat.bind(h.metrics);
      h.metrics.renderFormat = (f) => {
        formats.push(f);
        return render(f);
      };
      h.metrics.observeRequest('Produce', [0], 0.0001, 0.002);
      dir = await mkdtemp(join(tmpdir(), 'strand-prom-'));
      // The docs config with its static target pointed at the test server.
      const docsConfig = await readFile(join(ROOT, 'docs', 'prometheus.yml'), 'utf8');
      const config = docsConfig
        .replace('scrape_interval: 15s', 'scrape_interval: 1s')
        .replace('scrape_timeout: 10s', 'scrape_timeout: 1s')
        .replace("'127.0.0.1:9644'", `'127.0.0.1:${h.server.port}'`);
      expect(config).toContain(`127.0.0.1:${h.server.port}`);
      await writeFile(join(dir, 'prometheus.yml'), config);
      const port = await freePort();
      promUrl = `http://127.0.0.1:${port}`;
      prom = spawn(
        PROMETHEUS,
        [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
        { stdio: 'ignore' },
      );
    });

    afterAll(async () => {
      if (prom?.pid !== undefined && prom.exitCode === null) {
        const exited = new Promise((resolve) => prom?.once('exit', resolve));
        prom.kill('SIGTERM');
        await exited;
      }
      await h.close();
      await rm(dir, { recursive: true, force: true });
    });

    async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const json = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      expect(json.status).toBe('success');
      return json.data.result;
    }

    test('the target is up, scraped as OpenMetrics, and the dashboard queries return data', async () => {
      let target: { health: string; lastError: string; scrapeUrl: string } | undefined;
      for (let i = 0; i < 60 && target?.health !== 'up'; i++) {
        await new Promise((r) => setTimeout(r, 500));
        try {
          const res = await fetch(`${promUrl}/api/v1/targets`);
          const json = (await res.json()) as { data: { activeTargets: { health: string; lastError: string; scrapeUrl: string; labels: Record<string, string> }[] } };
          target = json.data.activeTargets.find((t) => t.labels.job === 'strand');
        } catch {
          // Prometheus still starting.
        }
      }
      expect(target).toMatchObject({ health: 'up', lastError: '' });
      expect(formats).toContain('openmetrics');

      // A later scrape must pick up this increment (polled: the machine may be busy).
      h.metrics.observeRequest('Produce', [0], 0.0001, 0.002);
      let produced: { value: [number, string] }[] = [];
      for (let i = 0; i < 40 && produced[0]?.value[1] !== '2'; i++) {
        await new Promise((r) => setTimeout(r, 250));
        produced = await query('strand_requests_total{api="Produce"}');
      }
      // Counters arrived under their _total names through OpenMetrics.
      expect(produced).toEqual([expect.objectContaining({ value: [expect.any(Number), '2'] })]);
      const leaders = await query(concrete('sum by (node_id) (strand_partitions_led{job=~"$job"} * on (instance, job) group_left (node_id) strand_broker_info{job=~"$job"})'));
      expect(leaders).toEqual([{ metric: { node_id: '1' }, value: [expect.any(Number), '2'] }]);
      const lag = await query('sum by (group, topic) (strand_consumer_group_lag)');
      expect(lag).toEqual([{ metric: { group: 'billing', topic: 'orders' }, value: [expect.any(Number), '10'] }]);
    });
  });
});
