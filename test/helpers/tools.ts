/**
 * Real client tools: kcat (librdkafka) and the Debian python modules under /usr/bin/python3.
 * A missing tool fails the calling test loudly, naming it and how to install it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';

/** Repository root (the directory holding package.json above this file). */
export const REPO_ROOT: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
})();

export const CLIENTS_DIR = join(REPO_ROOT, 'test', 'clients');

const toolChecked = new Map<string, true>();

function onPath(cmd: string): boolean {
  return spawnSync('/bin/sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Throws unless `kcat` is on PATH. */
export function requireKcat(): void {
  if (toolChecked.has('kcat')) return;
  if (!onPath('kcat')) {
    throw new Error('required test tool missing: kcat (install: apt-get install -y kcat; or run `node scripts/test-setup.mjs` as root)');
  }
  toolChecked.set('kcat', true);
}

/** Throws unless /usr/bin/python3 can import each module. */
export function requirePythonModules(...modules: string[]): void {
  for (const mod of modules) {
    const key = `py:${mod}`;
    if (toolChecked.has(key)) continue;
    if (!existsSync(PYTHON)) {
      throw new Error(`required test tool missing: ${PYTHON} (install: apt-get install -y python3)`);
    }
    const r = spawnSync(PYTHON, ['-c', `import ${mod}`], { encoding: 'utf8' });
    if (r.status !== 0) {
      const pkg = mod === 'confluent_kafka' ? 'python3-confluent-kafka' : mod === 'kafka' ? 'python3-kafka' : `python3-${mod}`;
      throw new Error(`required test tool missing: ${PYTHON} module ${mod} (install: apt-get install -y ${pkg}): ${r.stderr.trim()}`);
    }
    toolChecked.set(key, true);
  }
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly elapsedMs: number;
}

export interface RunOptions {
  readonly input?: Buffer | string;
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Runs a program to completion, collecting output; kills it (SIGKILL) after timeoutMs. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args as string[], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      cwd: opts.cwd ?? REPO_ROOT,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`failed to start ${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) {
        reject(
          new Error(
            `${cmd} ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr tail:\n${tail(stderr, 2000)}\nstdout bytes: ${Buffer.concat(out).length}`,
          ),
        );
        return;
      }
      resolve({ code, signal, stdout: Buffer.concat(out), stderr, elapsedMs: Date.now() - started });
    });
    child.stdin.on('error', () => {
      /* the tool may exit before reading all input; its exit code tells */
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

export function tail(s: string, n: number): string {
  return s.length <= n ? s : `...${s.slice(s.length - n)}`;
}

/** Runs kcat with args (stdin = input if given). Does not check the exit code. */
export function runKcat(args: readonly string[], input?: Buffer | string, opts: Omit<RunOptions, 'input'> = {}): Promise<RunResult> {
  requireKcat();
  return run('kcat', args, { ...opts, ...(input === undefined ? {} : { input }) });
}

/** Like runKcat but throws (with stderr) unless kcat exits 0. */
export async function kcatOk(args: readonly string[], input?: Buffer | string, opts: Omit<RunOptions, 'input'> = {}): Promise<RunResult> {
  const r = await runKcat(args, input, opts);
  if (r.code !== 0) {
    throw new Error(`kcat ${args.join(' ')} exited ${r.code ?? r.signal}; stderr:\n${tail(r.stderr, 3000)}`);
  }
  return r;
}

/** Path of a script in test/clients/. */
export function clientScript(name: string): string {
  return join(CLIENTS_DIR, name);
}

/** Runs `/usr/bin/python3 script args...`. Does not check the exit code. */
export function runPython(scriptPath: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  requirePythonModules('json');
  return run(PYTHON, ['-u', scriptPath, ...args], { ...opts, env: { ...process.env, PYTHONUNBUFFERED: '1', ...(opts.env ?? {}) } });
}

/**
 * Runs a python client script that prints one JSON document on its last stdout line;
 * throws with stderr unless it exits 0; returns the parsed document.
 */
export async function runPythonJson<T>(scriptPath: string, args: readonly string[], opts: RunOptions = {}): Promise<T> {
  const r = await runPython(scriptPath, args, opts);
  const stdout = r.stdout.toString('utf8');
  if (r.code !== 0) {
    throw new Error(
      `${PYTHON} ${scriptPath} exited ${r.code ?? r.signal}; stderr:\n${tail(r.stderr, 4000)}\nstdout:\n${tail(stdout, 2000)}`,
    );
  }
  const lines = stdout.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${scriptPath} did not print JSON on its last line; stdout:\n${tail(stdout, 2000)}\nstderr:\n${tail(r.stderr, 2000)}`);
  }
}

/** Starts a long-running python script; the caller reads its stdout lines and stops it. */
export function spawnPython(scriptPath: string, args: readonly string[]): ChildProcess {
  return spawn(PYTHON, ['-u', scriptPath, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: REPO_ROOT,
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
}
