/** `strand operator` as a process (dist build) against the test API server. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BROKER_MAIN } from '../helpers/broker.js';
import { isObject } from './kube-api/json.js';
import { FakeApiServer } from './kube-api/server.js';
import { sleep } from '../helpers/wait.js';

test('flag errors exit 2 naming the flag', async () => {
  const child = spawn(process.execPath, [BROKER_MAIN, 'operator', '--http', 'nope'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  expect(code).toBe(2);
  expect(err).toContain('invalid --http');
});

test('runs, takes the lease, serves /healthz, and on SIGTERM releases the lease and exits 0', async () => {
  const api = new FakeApiServer();
  await api.start();
  const dir = mkdtempSync(join(tmpdir(), 'strand-opcli-'));
  const child = spawn(
    process.execPath,
    [BROKER_MAIN, 'operator', '--kubeconfig', await api.writeKubeconfig(join(dir, 'kc')), '--namespace', 'ns1', '--http', '127.0.0.1:0', '--lease-namespace', 'ns1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  try {
    let port = 0;
    for (let i = 0; i < 200 && (port === 0 || !out.includes('controllers started')); i++) {
      const line = out.split('\n').find((l) => l.includes('operator http listening'));
      if (line) port = (JSON.parse(line) as { port: number }).port;
      await sleep(50);
    }
    expect(out).toContain('controllers started');
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    const leaseType = api.store.typeByPlural('coordination.k8s.io', 'v1', 'leases');
    if (!leaseType) throw new Error('no lease type');
    const lease = api.store.get(leaseType, 'ns1', 'strand-operator');
    expect(isObject(lease['spec']) && typeof lease['spec']['holderIdentity'] === 'string' && lease['spec']['holderIdentity'] !== '').toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const released = api.store.get(leaseType, 'ns1', 'strand-operator');
    expect(isObject(released['spec']) ? released['spec']['holderIdentity'] : null).toBe('');
  } catch (err) {
    if (err instanceof Error) err.message += `\n--- operator output:\n${out}`;
    throw err;
  } finally {
    child.kill('SIGKILL');
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
