/**
 * scripts/cluster.mjs (`npm run cluster`): with --brokers 3 and free ports it starts
 * nats-server and 3 brokers whose output it prefixes; kcat -L sees the 3 brokers; SIGINT
 * stops them all (brokers first, then nats-server), the script exits 0 and none of the
 * processes it started is left. (Runs the script with node directly: `npm run cluster` also
 * rebuilds with tsc, which npm test has just done.)
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freePort, makeTempDir, rmTempDir } from '../helpers/broker.js';
import { useClusterLock } from '../helpers/cluster.js';
import { kcatOk, REPO_ROOT, requireKcat, tail } from '../helpers/tools.js';
import { orTimeout, waitFor } from '../helpers/wait.js';
import { findNatsServer } from '../../broker/src/cluster/test-nats-server.js';

useClusterLock();

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A base port b with b, b+step, ..., b+step*(n-1) all free (bounded attempts). */
async function freeRun(n: number, step: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await freePort();
    if (base + step * (n - 1) > 65535) continue;
    let ok = true;
    for (let i = 1; i < n && ok; i++) ok = await portFree(base + step * i);
    if (ok) return base;
  }
  throw new Error(`no run of ${n} free ports with step ${step} found`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('npm run cluster -- --brokers 3: kcat sees 3 brokers; SIGINT stops everything, exit 0, no process left', async () => {
  requireKcat();
  findNatsServer(); // fails naming apt-get install -y nats-server
  const dataDir = makeTempDir('strand-cluster-script-');
  const basePort = await freeRun(3, 3);
  const httpBase = await freeRun(3, 1);
  const natsPort = await freePort();
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'scripts', 'cluster.mjs'), '--brokers', '3', '--base-port', String(basePort), '--http-base-port', String(httpBase), '--nats-port', String(natsPort), '--data-dir', dataDir],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const pids = (): number[] => [...out.matchAll(/^\[cluster\] started (\S+) pid (\d+)$/gm)].map((m) => Number(m[2]));
  try {
    await waitFor('the script to report the cluster ready', () => out.includes('[cluster] ready:'), { timeoutMs: 45_000, intervalMs: 100 }).catch((err: unknown) => {
      throw new Error(`${String(err)}\noutput:\n${tail(out, 5000)}`);
    });
    expect(pids()).toHaveLength(4); // nats + 3 brokers
    // Each process's lines are prefixed with its name.
    expect(out).toMatch(/^\[nats\] .*Server is ready/m);
    for (const id of [0, 1, 2]) expect(out).toMatch(new RegExp(`^\\[broker-${id}\\] \\{.*"msg":"listening"`, 'm'));

    const bootstrap = [0, 1, 2].map((i) => `127.0.0.1:${basePort + 3 * i}`).join(',');
    let last = '';
    await waitFor(
      'kcat -L to list the 3 brokers',
      async () => {
        const r = await kcatOk(['-b', bootstrap, '-L', '-J', '-m', '5']);
        const md = JSON.parse(r.stdout.toString('utf8')) as { brokers: Array<{ id: number; name: string }> };
        last = JSON.stringify(md.brokers);
        const names = md.brokers.map((b) => b.name).sort();
        return md.brokers.length === 3 && names.join(',') === bootstrap.split(',').sort().join(',');
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last: ${last}\noutput:\n${tail(out, 5000)}`);
    });

    const started = pids();
    child.kill('SIGINT');
    const res = await orTimeout(exited, 60_000);
    if (res === 'timeout') throw new Error(`the script did not exit within 60 s of SIGINT\noutput:\n${tail(out, 5000)}`);
    expect({ code: res.code, signal: res.signal, tail: res.code === 0 ? '' : tail(out, 4000) }).toEqual({ code: 0, signal: null, tail: '' });
    expect(out).toMatch(/\[cluster\] stopped$/m);
    // Brokers were stopped before nats-server.
    const order = [...out.matchAll(/^\[cluster\] (\S+) exited \(code (\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    expect(order).toEqual(['broker-2:0', 'broker-1:0', 'broker-0:0', 'nats:0']);
    await waitFor('every process the script started to be gone', () => started.every((pid) => !alive(pid)), { timeoutMs: 5000 });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // Anything left behind (a failed run) is killed by the PIDs the script reported.
    for (const pid of pids()) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmTempDir(dataDir);
  }
}, 120_000);
