#!/usr/bin/env node
/**
 * `npm run cluster -- --brokers 3 [--nats-server PATH] [--data-dir ./data] [--base-port 9092]`
 *
 * Runs a local replicated Strand cluster on 127.0.0.1: one nats-server with JetStream (the
 * metadata store; port 4222, store in <data-dir>/nats) and N brokers with node ids 0..N-1 on
 * base-port, base-port+3, base-port+6, ... (HTTP on 9644, 9645, ...), data in
 * <data-dir>/broker-<id>. Every line a process prints is shown prefixed with its name.
 * Ctrl-C (SIGINT) or SIGTERM stops it: SIGTERM to each broker in turn (a controlled shutdown
 * that hands its leaderships to the others), then nats-server (SIGINT, its clean stop); exit 0
 * if all exited cleanly.
 * A second Ctrl-C kills everything at once.
 *
 * More flags: --nats-port N (4222), --http-base-port N (9644), --cluster NAME (strand),
 * --set key=value (repeatable, passed to every broker).
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(root, 'dist', 'broker', 'src', 'main.js');
const BROKER_STOP_TIMEOUT_MS = 20_000;
const NATS_STOP_TIMEOUT_MS = 10_000;

function usage() {
  return [
    'Usage: npm run cluster -- [--brokers N] [--nats-server PATH] [--data-dir DIR] [--base-port PORT]',
    '                          [--nats-port PORT] [--http-base-port PORT] [--cluster NAME] [--set key=value ...]',
    '',
    '  --brokers N          number of brokers (default 3)',
    '  --nats-server PATH   nats-server binary (default: PATH, then /usr/sbin/nats-server)',
    '  --data-dir DIR       data root (default ./data): DIR/nats, DIR/broker-<id>',
    '  --base-port PORT     broker i listens on PORT + 3*i (default 9092)',
    '  --nats-port PORT     nats-server client port (default 4222)',
    '  --http-base-port P   broker i serves metrics/health on P + i (default 9644)',
    '  --cluster NAME       cluster name (default strand)',
    '  --set key=value      a broker setting for every broker (repeatable)',
  ].join('\n');
}

function fail(msg) {
  process.stderr.write(`cluster: ${msg}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const o = { brokers: 3, natsServer: null, dataDir: './data', basePort: 9092, natsPort: 4222, httpBasePort: 9644, cluster: 'strand', sets: [] };
  const intArg = (flag, v, min, max) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) fail(`invalid ${flag}: expected an integer ${min}-${max}, got ${JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(usage() + '\n');
      process.exit(0);
    }
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = flag === arg ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) fail(`${flag} needs a value\n${usage()}`);
    switch (flag) {
      case '--brokers':
        o.brokers = intArg(flag, value, 1, 64);
        break;
      case '--nats-server':
        o.natsServer = value;
        break;
      case '--data-dir':
        o.dataDir = value;
        break;
      case '--base-port':
        o.basePort = intArg(flag, value, 1, 65535);
        break;
      case '--nats-port':
        o.natsPort = intArg(flag, value, 1, 65535);
        break;
      case '--http-base-port':
        o.httpBasePort = intArg(flag, value, 1, 65535);
        break;
      case '--cluster':
        o.cluster = value;
        break;
      case '--set':
        o.sets.push(value);
        break;
      default:
        fail(`unknown argument ${JSON.stringify(arg)}\n${usage()}`);
    }
  }
  if (o.basePort + 3 * (o.brokers - 1) > 65535 || o.httpBasePort + o.brokers - 1 > 65535) fail('ports out of range');
  return o;
}

function executable(p) {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findNatsServer(explicit) {
  if (explicit !== null) {
    if (executable(explicit)) return explicit;
    fail(`--nats-server ${explicit} is not an executable file`);
  }
  const onPath = spawnSync('/bin/sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim() !== '') return onPath.stdout.trim();
  if (executable('/usr/sbin/nats-server')) return '/usr/sbin/nats-server';
  process.stderr.write(
    [
      'cluster: nats-server not found (looked at --nats-server, PATH and /usr/sbin/nats-server).',
      'Strand clusters keep their metadata in NATS JetStream. Install it with:',
      '  apt-get install -y nats-server        (Debian/Ubuntu; installs /usr/sbin/nats-server)',
      'or download a release from https://github.com/nats-io/nats-server/releases and pass --nats-server PATH.',
      '',
    ].join('\n'),
  );
  process.exit(1);
}

const opts = parseArgs(process.argv.slice(2));
const natsBin = findNatsServer(opts.natsServer);
if (!existsSync(MAIN)) fail(`${MAIN} is missing: build first (npm run cluster builds; or npm run build)`);
const dataDir = resolve(opts.dataDir);
mkdirSync(join(dataDir, 'nats'), { recursive: true });

/** name -> { child, exited: Promise<{code, signal}>, done } */
const procs = new Map();
let stopping = false;

function say(line) {
  process.stdout.write(`[cluster] ${line}\n`);
}

function pipeLines(stream, prefix, onLine) {
  let partial = '';
  stream.on('data', (b) => {
    const text = partial + b.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      process.stdout.write(`${prefix} ${line}\n`);
      onLine?.(line);
    }
  });
  stream.on('end', () => {
    if (partial !== '') process.stdout.write(`${prefix} ${partial}\n`);
  });
}

function start(name, cmd, args, onLine) {
  // Own process group: a terminal's Ctrl-C reaches only this script, which then stops the
  // brokers before nats-server (rather than every process at once).
  const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, NODE_OPTIONS: '' } });
  const entry = { child, done: false, exited: null };
  entry.exited = new Promise((res) => {
    child.on('exit', (code, signal) => {
      entry.done = true;
      if (!stopping) say(`${name} exited unexpectedly (code ${code}, signal ${signal})`);
      res({ code, signal });
    });
    child.on('error', (err) => {
      entry.done = true;
      say(`${name} failed to start: ${err.message}`);
      res({ code: 127, signal: null });
    });
  });
  const prefix = `[${name}]`;
  pipeLines(child.stdout, prefix, onLine);
  pipeLines(child.stderr, prefix, onLine);
  procs.set(name, entry);
  say(`started ${name} pid ${child.pid}`);
  return entry;
}

async function stopOne(name, timeoutMs, signal = 'SIGTERM') {
  const entry = procs.get(name);
  if (entry === undefined || entry.done) return entry === undefined ? true : (await entry.exited).code === 0;
  entry.child.kill(signal);
  let timer;
  const res = await Promise.race([entry.exited, new Promise((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)))]);
  clearTimeout(timer);
  if (res === 'timeout') {
    say(`${name} did not exit within ${timeoutMs} ms of ${signal}: killing it`);
    entry.child.kill('SIGKILL');
    await entry.exited;
    return false;
  }
  say(`${name} exited (code ${res.code}${res.signal ? `, signal ${res.signal}` : ''})`);
  return res.code === 0;
}

async function shutdown(reason, failed = false) {
  if (stopping) {
    say('second signal: killing everything now');
    for (const { child, done } of procs.values()) if (!done) child.kill('SIGKILL');
    process.exit(1);
  }
  stopping = true;
  say(`${reason}: stopping brokers (controlled shutdown), then nats-server`);
  let ok = true;
  const brokerNames = [...procs.keys()].filter((n) => n.startsWith('broker-')).reverse();
  for (const name of brokerNames) ok = (await stopOne(name, BROKER_STOP_TIMEOUT_MS)) && ok;
  // nats-server exits 0 on SIGINT (clean shutdown) but 1 on SIGTERM.
  ok = (await stopOne('nats', NATS_STOP_TIMEOUT_MS, 'SIGINT')) && ok;
  say(ok ? 'stopped' : 'stopped (some processes did not exit cleanly)');
  process.exit(ok && !failed ? 0 : 1);
}

process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('exit', () => {
  for (const { child, done } of procs.values()) if (!done) child.kill('SIGKILL');
});

function waitForLine(entry, name, test, timeoutMs, label) {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${name}: no ${label} within ${timeoutMs} ms`)), timeoutMs);
    entry.waiters.push((line) => {
      if (!test(line)) return false;
      clearTimeout(timer);
      res();
      return true;
    });
    void entry.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(new Error(`${name} exited (code ${code}, signal ${signal}) before ${label}`));
    });
  });
}

function startWatched(name, cmd, args) {
  const waiters = [];
  const entry = start(name, cmd, args, (line) => {
    for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i](line)) waiters.splice(i, 1);
  });
  entry.waiters = waiters;
  return entry;
}

async function main() {
  const natsUrl = `nats://127.0.0.1:${opts.natsPort}`;
  const nats = startWatched('nats', natsBin, ['-js', '-a', '127.0.0.1', '-p', String(opts.natsPort), '-sd', join(dataDir, 'nats')]);
  await waitForLine(nats, 'nats', (l) => l.includes('Server is ready'), 15_000, '"Server is ready"');

  const addresses = [];
  const ready = [];
  for (let id = 0; id < opts.brokers; id++) {
    const port = opts.basePort + 3 * id;
    const name = `broker-${id}`;
    const dir = join(dataDir, name);
    mkdirSync(dir, { recursive: true });
    const args = [
      MAIN,
      'broker',
      '--node-id',
      String(id),
      '--listen',
      `127.0.0.1:${port}`,
      '--http',
      `127.0.0.1:${opts.httpBasePort + id}`,
      '--data-dir',
      dir,
      '--metadata',
      natsUrl,
      '--cluster',
      opts.cluster,
    ];
    for (const s of opts.sets) args.push('--set', s);
    const entry = startWatched(name, process.execPath, args);
    addresses.push(`127.0.0.1:${port}`);
    ready.push(
      waitForLine(
        entry,
        name,
        (l) => {
          try {
            const j = JSON.parse(l);
            return j.msg === 'listening' && Number(j.port) === port;
          } catch {
            return false;
          }
        },
        30_000,
        `"listening" on port ${port}`,
      ),
    );
  }
  await Promise.all(ready);
  say(`ready: ${opts.brokers} broker(s), bootstrap ${addresses.join(',')}; nats ${natsUrl}; data in ${dataDir}`);
  say(`try: kcat -b ${addresses[0]} -L      (Ctrl-C stops the cluster)`);
}

main().catch((err) => {
  say(`failed to start: ${err.message}`);
  void shutdown('start-up failure', true);
});
