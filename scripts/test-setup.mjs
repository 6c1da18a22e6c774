#!/usr/bin/env node
/**
 * Pre-flight for `npm test`: the real peers the integration suites run against must be
 * installed, and the broker must be compiled (tsc also type-checks sources and tests).
 *
 * Required: kcat, /usr/bin/python3 with confluent_kafka and kafka (kafka-python), promtool and
 * prometheus (Debian `prometheus`, for the metrics suites).
 * Also installed when possible (later suites): nats-server.
 * Missing + root: `apt-get update` once, then `apt-get install -y ...`.
 * Missing + not root: exit 1 naming what is missing and the command to run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PYTHON = '/usr/bin/python3';

function onPath(cmd) {
  return spawnSync('/bin/sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function pyModule(mod) {
  if (!existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', `import ${mod}`], { stdio: 'ignore' }).status === 0;
}

/** name shown to the user, apt package, check, required now? */
const checks = [
  { what: 'kcat', pkg: 'kcat', ok: () => onPath('kcat'), required: true },
  { what: `${PYTHON} module confluent_kafka`, pkg: 'python3-confluent-kafka', ok: () => pyModule('confluent_kafka'), required: true },
  { what: `${PYTHON} module kafka (kafka-python)`, pkg: 'python3-kafka', ok: () => pyModule('kafka'), required: true },
  { what: 'nats-server', pkg: 'nats-server', ok: () => onPath('nats-server'), required: false },
  { what: 'promtool and prometheus', pkg: 'prometheus', ok: () => existsSync('/usr/bin/promtool') && existsSync('/usr/bin/prometheus'), required: true },
];

let missing = checks.filter((c) => !c.ok());
if (missing.length > 0) {
  const pkgs = [...new Set(missing.map((c) => c.pkg))];
  const cmd = `apt-get update && apt-get install -y ${pkgs.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) {
    console.error(`test-setup: installing ${pkgs.join(', ')} (missing: ${missing.map((c) => c.what).join(', ')})`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const upd = spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    if (upd.status !== 0) console.error('test-setup: apt-get update failed; trying install anyway');
    spawnSync('apt-get', ['install', '-y', ...pkgs], { stdio: 'inherit', env });
    missing = checks.filter((c) => !c.ok());
  }
  const requiredMissing = missing.filter((c) => c.required);
  if (requiredMissing.length > 0) {
    console.error(
      `test-setup: missing required test tools: ${requiredMissing.map((c) => c.what).join(', ')}\n` +
        `install them with (as root):\n  ${cmd}`,
    );
    process.exit(1);
  }
  for (const c of missing) {
    console.error(`test-setup: warning: ${c.what} is missing (needed by later suites); install with: apt-get install -y ${c.pkg}`);
  }
}

const tsc = join(root, 'node_modules', '.bin', 'tsc');
if (!existsSync(tsc)) {
  console.error('test-setup: node_modules/.bin/tsc not found; run `npm ci` first');
  process.exit(1);
}
const build = spawnSync(tsc, ['-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
if (build.status !== 0) {
  console.error(`test-setup: tsc -p . failed (exit ${build.status ?? build.signal}); fix the type errors above`);
  process.exit(1);
}
if (!existsSync(join(root, 'dist', 'broker', 'src', 'main.js'))) {
  console.error('test-setup: tsc succeeded but dist/broker/src/main.js does not exist (is broker/src/main.ts missing?)');
  process.exit(1);
}
