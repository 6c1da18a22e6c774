/**
 * Test support only: start the real HTTP server on 127.0.0.1:0 over a fake introspection,
 * run promtool, and parse Prometheus text samples.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { BrokerMetrics, type BrokerMetricsOptions } from './metrics.js';
import { startHttpServer, type RunningHttpServer } from './server.js';
import { defaultFakeState, fakeIntrospection, type FakeState } from './test-introspection.js';

export const PROMTOOL = '/usr/bin/promtool';

export interface Harness {
  readonly state: FakeState;
  readonly metrics: BrokerMetrics;
  readonly server: RunningHttpServer;
  readonly dataDir: string;
  readonly url: (path: string) => string;
  close(): Promise<void>;
}

export async function startHarness(
  opts: { metrics?: BrokerMetricsOptions; dataDir?: string; healthTimeoutMs?: number } = {},
): Promise<Harness> {
  const state = defaultFakeState();
  const intro = fakeIntrospection(state);
  const metrics = new BrokerMetrics(intro, opts.metrics);
  const tmp = await mkdtemp(join(tmpdir(), 'strand-http-'));
  const dataDir = opts.dataDir ?? tmp;
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    metrics,
    introspection: intro,
    dataDir,
    logger: pino({ level: 'silent' }),
    healthTimeoutMs: opts.healthTimeoutMs,
  });
  return {
    state,
    metrics,
    server,
    dataDir,
    url: (path) => `http://127.0.0.1:${server.port}${path}`,
    close: async () => {
      await server.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** `promtool check metrics` over the text; returns its complaints (empty = clean). */
export function promtoolCheckMetrics(text: string): { status: number | null; output: string } {
  if (!existsSync(PROMTOOL)) {
    throw new Error(`${PROMTOOL} not found: install the Debian package \`prometheus\` (apt-get install -y prometheus), which ships promtool`);
  }
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  if (r.error !== undefined) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/** Sample value for an exact `name{labels}` series in Prometheus text (labels in emitted order). */
export function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    if (line.slice(0, sp) === series) return Number(line.slice(sp + 1));
  }
  return undefined;
}

/** Every sample line of a metric family (name followed by `{` or a space). */
export function samplesOf(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}
