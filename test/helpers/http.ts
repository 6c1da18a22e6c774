/**
 * The broker's HTTP side from a test: GET with the broker's --http port, Prometheus text
 * parsing, promtool / prometheus binaries (the Debian `prometheus` package), and a real
 * Prometheus server scraping brokers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, HOST, type BrokerProcess } from './broker.js';
import { waitFor } from './wait.js';

export const PROMTOOL = '/usr/bin/promtool';
export const PROMETHEUS = '/usr/bin/prometheus';

export interface HttpResult {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export async function httpGet(broker: BrokerProcess, path: string, accept?: string): Promise<HttpResult> {
  const res = await fetch(`http://${HOST}:${broker.httpPort}${path}`, { headers: accept === undefined ? {} : { accept } });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() };
}

export async function httpJson<T>(broker: BrokerProcess, path: string): Promise<{ status: number; json: T }> {
  const r = await httpGet(broker, path);
  return { status: r.status, json: JSON.parse(r.body) as T };
}

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Samples of a Prometheus text exposition (label values without escapes, as ours are). */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[lm[1] as string] = lm[2] as string;
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

/** The one sample named `name` whose labels include `labels`; undefined when absent. */
export function sampleValue(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${name}${JSON.stringify(labels)} matches ${hits.length} samples`);
  return hits[0]?.value;
}

export async function scrape(broker: BrokerProcess): Promise<Sample[]> {
  const r = await httpGet(broker, '/metrics');
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}: ${r.body}`);
  return parseSamples(r.body);
}

function requireBinary(path: string): void {
  if (!existsSync(path)) throw new Error(`${path} not found: install the Debian package \`prometheus\` (apt-get install -y prometheus)`);
}

/** `promtool check metrics` on `text`; returns its complaints ('' when clean). */
export function promtoolCheckMetrics(text: string): { status: number | null; output: string } {
  requireBinary(PROMTOOL);
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  if (r.error !== undefined) throw new Error(`${PROMTOOL}: ${r.error.message} (Debian package \`prometheus\`)`);
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

export interface PromServer {
  readonly url: string;
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Poll `expr` until `accept(result)` or the timeout; returns the last result. */
  waitQuery(expr: string, accept: (r: { metric: Record<string, string>; value: [number, string] }[]) => boolean, timeoutMs?: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

/** A real Prometheus on 127.0.0.1 scraping `targets` (host:port of --http) every 500 ms. */
export async function startPrometheus(targets: readonly string[]): Promise<PromServer> {
  requireBinary(PROMETHEUS);
  const dir = mkdtempSync(join(tmpdir(), 'strand-prom-'));
  const config = [
    'global:',
    '  scrape_interval: 500ms',
    '  scrape_timeout: 500ms',
    'scrape_configs:',
    '  - job_name: strand',
    '    static_configs:',
    `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://${HOST}:${port}`;
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=${HOST}:${port}`],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const query = async (expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const json = (await res.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (json.status !== 'success') throw new Error(`PromQL ${expr}: ${json.error ?? json.status}`);
    return json.data.result;
  };
  const server: PromServer = {
    url,
    query,
    async waitQuery(expr, accept, timeoutMs = 20_000) {
      let last: { metric: Record<string, string>; value: [number, string] }[] = [];
      try {
        await waitFor(
          `PromQL ${expr}`,
          async () => {
            last = await query(expr);
            return accept(last) ? true : undefined;
          },
          { timeoutMs, intervalMs: 250 },
        );
      } catch {
        // The caller's expectation on `last` says what was wrong.
      }
      return last;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(
      'prometheus to answer',
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}`);
        const res = await fetch(`${url}/-/ready`).catch(() => null);
        return res?.status === 200 ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
