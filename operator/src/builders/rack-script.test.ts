/**
 * The rack init container's script, run for real (`node -e RACK_SCRIPT`, as in the pod)
 * against a local HTTPS server standing in for the API server's GET /api/v1/nodes/<name>.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RACK_SCRIPT } from './statefulset.js';

let dir: string;
let server: Server;
let port: number;
const requests: { url: string; auth: string }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strand-rack-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.crt'),
  ], { stdio: 'ignore' });
  writeFileSync(join(dir, 'token'), 'sekret\n');
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'ca.crt')) }, (req, res) => {
    requests.push({ url: req.url ?? '', auth: req.headers.authorization ?? '' });
    const nodes: Record<string, unknown> = {
      'worker-1': { metadata: { name: 'worker-1', labels: { 'topology.kubernetes.io/zone': 'zone-b' } } },
      'worker-2': { metadata: { name: 'worker-2', labels: {} } },
    };
    const name = decodeURIComponent((req.url ?? '').replace('/api/v1/nodes/', ''));
    const node = nodes[name];
    res.writeHead(node === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(node ?? { kind: 'Status', code: 404 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

function runScript(node: string): Promise<{ code: number | null; stderr: string; rack: string | null }> {
  const rackFile = join(dir, `rack-${node}`);
  const child = spawn(process.execPath, ['-e', RACK_SCRIPT], {
    env: {
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: String(port),
      NODE_NAME: node,
      TOPOLOGY_KEY: 'topology.kubernetes.io/zone',
      RACK_FILE: rackFile,
      CREDENTIALS_DIR: dir,
    },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) => {
      let rack: string | null = null;
      try {
        rack = readFileSync(rackFile, 'utf8');
      } catch {
        rack = null;
      }
      resolve({ code, stderr, rack });
    }),
  );
}

test('writes the node label value to the rack file, authenticating with the token', async () => {
  const r = await runScript('worker-1');
  expect(r).toEqual({ code: 0, stderr: '', rack: 'zone-b' });
  expect(requests.at(-1)).toEqual({ url: '/api/v1/nodes/worker-1', auth: 'Bearer sekret' });
});

test('fails loudly when the node lacks the label or cannot be read', async () => {
  const unlabelled = await runScript('worker-2');
  expect(unlabelled.code).toBe(1);
  expect(unlabelled.stderr).toContain('node worker-2 has no label topology.kubernetes.io/zone');
  expect(unlabelled.rack).toBeNull();
  const missing = await runScript('worker-9');
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain('HTTP 404');
});
