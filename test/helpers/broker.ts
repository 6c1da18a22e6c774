/**
 * Starts the compiled broker (dist/broker/src/main.js) as a real process on 127.0.0.1 with
 * an ephemeral port, collects its output to a log file, and stops / kills / restarts it.
 *
 * Port choice: `--listen 127.0.0.1:0` and the port from the broker's
 * `{"msg":"listening","host":...,"port":...}` log line; if the broker does not accept port 0
 * (or logs no usable line) we fall back to a port picked by binding a socket to port 0.
 * Restarts reuse the same port and data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, tail } from './tools.js';
import { apiVersionsProbe, metadataProbe } from './wire.js';
import { orTimeout, sleep, waitFor, errorText } from './wait.js';

export const HOST = '127.0.0.1';
export const BROKER_MAIN = join(REPO_ROOT, 'dist', 'broker', 'src', 'main.js');

export interface LogLine {
  readonly msg?: string;
  readonly level?: number | string;
  readonly [key: string]: unknown;
}

export interface StartOptions {
  /** Broker settings passed as `--set key=value`. */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
  /** Existing data dir (not deleted on cleanup); default: a fresh temp dir (deleted). */
  readonly dataDir?: string;
  /** Extra CLI arguments appended after the standard ones. */
  readonly extraArgs?: readonly string[];
  /** How long to wait for the listening line + readiness. */
  readonly startTimeoutMs?: number;
  /** Fixed Kafka listener port (default: ephemeral). Cluster brokers use one so the address they register is stable. */
  readonly port?: number;
}

export interface BrokerProcess {
  readonly host: string;
  readonly port: number;
  readonly httpPort: number;
  /** "127.0.0.1:port" */
  readonly bootstrap: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** PID of the current broker process (changes on restart). */
  readonly pid: number;
  readonly running: boolean;
  /** SIGTERM; throws unless the process exits 0 within timeoutMs. Returns elapsed ms. */
  stop(timeoutMs?: number): Promise<number>;
  /** SIGKILL and wait for the exit. */
  kill9(): Promise<void>;
  /** Start again on the same data dir and port (must be stopped or killed first). */
  restart(): Promise<void>;
  /** Parsed JSON log lines of the current incarnation (or all incarnations). */
  logLines(allIncarnations?: boolean): LogLine[];
  /** Last `n` characters of the log (all incarnations). */
  logTail(n?: number): string;
  /** Stops (SIGKILL if needed) and removes temp dirs. */
  cleanup(): Promise<void>;
}

const live = new Set<BrokerInstance>();
let builtChecked = false;

function newestMtime(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Fails with a clear message unless dist/ exists and is newer than broker/src (so a suite never
 * runs a stale broker). STRAND_SKIP_BUILD_CHECK=1 skips the age comparison.
 */
export function assertBuilt(): void {
  if (builtChecked) return;
  if (!existsSync(BROKER_MAIN)) {
    throw new Error(`${BROKER_MAIN} does not exist: build first (npm test runs scripts/test-setup.mjs, or run npx tsc -p .)`);
  }
  // Escape hatch for a workspace whose sources change while tests run (dist built just before).
  if (process.env.STRAND_SKIP_BUILD_CHECK === '1') return;
  const built = statSync(BROKER_MAIN).mtimeMs;
  const src = newestMtime(join(REPO_ROOT, 'broker', 'src'));
  if (src > built + 1000) {
    throw new Error(
      `dist/ is older than broker/src (newest source ${new Date(src).toISOString()} > build ${new Date(built).toISOString()}): rebuild with npx tsc -p . (npm test does this)`,
    );
  }
  builtChecked = true;
}

/** A port that was free a moment ago (bind 127.0.0.1:0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

class BrokerInstance implements BrokerProcess {
  readonly host = HOST;
  port = 0;
  httpPort = 0;
  dataDir: string;
  logFile: string;
  private readonly ownDataDir: boolean;
  private readonly tmpRoot: string;
  private child: ChildProcess | null = null;
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
  private exited = true;
  private lines: LogLine[] = [];
  private allLines: LogLine[] = [];
  private partial = '';
  private incarnation = 0;

  constructor(private readonly opts: StartOptions) {
    this.tmpRoot = mkdtempSync(join(tmpdir(), 'strand-test-'));
    this.logFile = join(this.tmpRoot, 'broker.log');
    if (opts.dataDir !== undefined) {
      this.dataDir = opts.dataDir;
      this.ownDataDir = false;
    } else {
      this.dataDir = join(this.tmpRoot, 'data');
      this.ownDataDir = true;
    }
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get running(): boolean {
    return this.child !== null && !this.exited;
  }

  private args(listenPort: number): string[] {
    const args = [
      BROKER_MAIN,
      'broker',
      '--listen',
      `${this.host}:${listenPort}`,
      '--data-dir',
      this.dataDir,
      '--http',
      `${this.host}:${this.httpPort}`,
    ];
    for (const [k, v] of Object.entries(this.opts.settings ?? {})) args.push('--set', `${k}=${String(v)}`);
    args.push(...(this.opts.extraArgs ?? []));
    return args;
  }

  private onOutput(chunk: Buffer): void {
    appendFileSync(this.logFile, chunk);
    const text = this.partial + chunk.toString('utf8');
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      const trimmed = line.trim();
      if (!trimmed.startsWith('{')) continue;
      try {
        const parsed = JSON.parse(trimmed) as LogLine;
        this.lines.push(parsed);
        this.allLines.push(parsed);
      } catch {
        /* not JSON; kept in the file */
      }
    }
  }

  private spawnOnce(listenPort: number): void {
    this.incarnation += 1;
    this.lines = [];
    this.partial = '';
    appendFileSync(this.logFile, `\n=== strand-test: start #${this.incarnation}: node ${this.args(listenPort).join(' ')}\n`);
    const child = spawn(process.execPath, this.args(listenPort), {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    this.child = child;
    this.exited = false;
    child.stdout?.on('data', (b: Buffer) => this.onOutput(b));
    child.stderr?.on('data', (b: Buffer) => this.onOutput(b));
    this.exit = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exited = true;
        appendFileSync(this.logFile, `\n=== strand-test: exit code=${code} signal=${signal}\n`);
        resolve({ code, signal });
      });
    });
  }

  /** The Kafka listener port from a "listening" line (skipping the HTTP port). */
  private listeningPort(): number | undefined {
    for (const l of this.lines) {
      if (l.msg !== 'listening') continue;
      const port = typeof l.port === 'number' ? l.port : Number(l.port);
      if (Number.isInteger(port) && port > 0 && port !== this.httpPort) return port;
    }
    return undefined;
  }

  async start(fixedPort: number | null): Promise<void> {
    assertBuilt();
    // An HTTP port picked here (not kept from an earlier start) was only free a moment ago:
    // another process may bind it first, so a start that fails on it retries on a fresh one.
    const pickHttp = this.httpPort === 0;
    for (let tries = 1; ; tries++) {
      if (pickHttp) this.httpPort = await freePort();
      try {
        await this.startOnce(fixedPort);
        return;
      } catch (err) {
        if (!pickHttp || tries >= 3 || !this.httpPortTaken()) throw err;
        appendFileSync(this.logFile, `\n=== strand-test: http port ${this.httpPort} was taken meanwhile; retrying on another\n`);
      }
    }
  }

  /** The broker logged EADDRINUSE for its current HTTP port. */
  private httpPortTaken(): boolean {
    return this.lines.some((l) => {
      const err = l.err as { code?: unknown; port?: unknown } | undefined;
      return err?.code === 'EADDRINUSE' && err.port === this.httpPort;
    });
  }

  private async startOnce(fixedPort: number | null): Promise<void> {
    const timeoutMs = this.opts.startTimeoutMs ?? 15_000;
    const deadline = Date.now() + timeoutMs;

    const attempt = async (listenPort: number): Promise<number | 'exited' | 'no-line'> => {
      this.spawnOnce(listenPort);
      for (;;) {
        const p = this.listeningPort();
        if (p !== undefined) return p;
        if (this.exited) return 'exited';
        if (Date.now() > deadline) return 'no-line';
        await sleep(20);
      }
    };

    let port: number | 'exited' | 'no-line';
    if (fixedPort !== null) {
      port = await attempt(fixedPort);
      if (port === 'no-line' && !this.exited) {
        // Listening line missing: accept the port if it answers.
        port = fixedPort;
      }
    } else {
      port = await attempt(0);
      if (port === 'exited' || port === 'no-line') {
        // Fallback: the broker did not accept port 0 or did not report its port.
        if (!this.exited) await this.forceKill();
        const picked = await freePort();
        appendFileSync(this.logFile, `\n=== strand-test: no usable "listening" line with port 0 (${port}); retrying on ${picked}\n`);
        port = await attempt(picked);
        if (port === 'no-line' && !this.exited) port = picked;
      }
    }
    if (port === 'exited' || port === 'no-line') {
      const raced = this.exit === null ? 'timeout' : await orTimeout(this.exit, 200);
      const ex = raced === 'timeout' ? null : raced;
      throw new Error(
        `broker did not start (${port}${ex === null ? '' : `, exit code=${ex.code} signal=${ex.signal}`}); log ${this.logFile}:\n${this.logTail(4000)}`,
      );
    }
    this.port = port;
    await this.waitReady(deadline);
  }

  /** Ready = answers ApiVersions and Metadata v1 lists at least one broker and a controller. */
  private async waitReady(deadline: number): Promise<void> {
    try {
      await waitFor(
        `broker ${this.bootstrap} to answer ApiVersions + Metadata`,
        async () => {
          if (this.exited) throw new Error('broker process exited');
          const av = await apiVersionsProbe(this.host, this.port, 2000);
          if (av.errorCode !== 0) throw new Error(`ApiVersions error ${av.errorCode}`);
          const md = await metadataProbe(this.host, this.port, null, 2000);
          if (md.brokers.length === 0) throw new Error('Metadata lists no brokers');
          if (md.controllerId < 0) throw new Error(`Metadata controller id ${md.controllerId}`);
          return true;
        },
        { timeoutMs: Math.max(1000, deadline - Date.now()), intervalMs: 100 },
      );
    } catch (err) {
      throw new Error(`${errorText(err)}; log ${this.logFile}:\n${this.logTail(4000)}`);
    }
  }

  private async forceKill(): Promise<void> {
    if (this.child === null || this.exited) return;
    this.child.kill('SIGKILL');
    await this.exit;
  }

  async stop(timeoutMs = 10_000): Promise<number> {
    if (this.child === null || this.exited) throw new Error('stop(): broker is not running');
    const started = Date.now();
    this.child.kill('SIGTERM');
    const res = this.exit === null ? 'timeout' : await orTimeout(this.exit, timeoutMs);
    if (res === 'timeout') {
      await this.forceKill();
      throw new Error(`broker did not exit within ${timeoutMs} ms of SIGTERM; log ${this.logFile}:\n${this.logTail(3000)}`);
    }
    if (res.code !== 0) {
      throw new Error(`broker exited with code=${res.code} signal=${res.signal} after SIGTERM (expected 0); log ${this.logFile}:\n${this.logTail(3000)}`);
    }
    return Date.now() - started;
  }

  async kill9(): Promise<void> {
    if (this.child === null || this.exited) throw new Error('kill9(): broker is not running');
    await this.forceKill();
  }

  async restart(): Promise<void> {
    if (this.running) throw new Error('restart(): stop or kill the broker first');
    await this.start(this.port);
  }

  logLines(allIncarnations = false): LogLine[] {
    return allIncarnations ? [...this.allLines] : [...this.lines];
  }

  logTail(n = 4000): string {
    try {
      return tail(readFileSync(this.logFile, 'utf8'), n);
    } catch {
      return '(no log)';
    }
  }

  async cleanup(): Promise<void> {
    await this.forceKill();
    live.delete(this);
    if (process.env.STRAND_KEEP_TEST_DIRS === '1') return;
    if (!this.ownDataDir) rmSync(this.logFile, { force: true });
    rmSync(this.tmpRoot, { recursive: true, force: true });
  }

  /** Synchronous best-effort kill for process exit. */
  killNow(): void {
    if (this.child !== null && !this.exited) this.child.kill('SIGKILL');
  }
}

/** Starts a broker and waits until it serves requests. Call cleanupBrokers() in afterAll. */
export async function startBroker(opts: StartOptions = {}): Promise<BrokerProcess> {
  const b = new BrokerInstance(opts);
  live.add(b);
  try {
    await b.start(opts.port ?? null);
  } catch (err) {
    await b.cleanup().catch(() => undefined);
    throw err;
  }
  return b;
}

/** Kills every broker this module started and removes their temp dirs. */
export async function cleanupBrokers(): Promise<void> {
  await Promise.all([...live].map((b) => b.cleanup()));
}

process.on('exit', () => {
  for (const b of live) b.killNow();
});

/** A fresh temp dir (for tests that manage data dirs themselves); remove with rmTempDir. */
export function makeTempDir(prefix = 'strand-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function rmTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A unique topic name per call. */
let topicCounter = 0;
export function uniqueTopic(prefix: string): string {
  topicCounter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${topicCounter}`;
}
