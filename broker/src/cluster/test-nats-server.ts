/**
 * Test-only: a real nats-server with JetStream on 127.0.0.1, started by PID so a test can
 * stop, restart (same port, same store dir: streams survive) or pause it. Fails loudly when
 * the binary is missing rather than skipping, because skipped NATS tests hide regressions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian installs it in /usr/sbin; the architecture notes say /usr/bin. Try both, then PATH. */
const CANDIDATES = ['/usr/bin/nats-server', '/usr/sbin/nats-server', '/usr/local/bin/nats-server'];

export function findNatsServer(): string {
  const fromEnv = process.env['NATS_SERVER_BIN'];
  const dirs = (process.env['PATH'] ?? '').split(':').filter(Boolean).map((d) => join(d, 'nats-server'));
  for (const p of [...(fromEnv ? [fromEnv] : []), ...CANDIDATES, ...dirs]) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // try the next location
    }
  }
  throw new Error(
    'nats-server not found (looked in /usr/bin, /usr/sbin, PATH and $NATS_SERVER_BIN). ' +
      'Install the Debian package: apt-get install -y nats-server',
  );
}

export class TestNatsServer {
  private child: ChildProcess | null = null;
  private port = -1;
  private log: string[] = [];

  private constructor(
    readonly storeDir: string,
    private readonly bin: string,
  ) {}

  /** Starts a server on an ephemeral port with a fresh store dir. */
  static async start(): Promise<TestNatsServer> {
    const bin = findNatsServer();
    const dir = await mkdtemp(join(tmpdir(), 'strand-nats-'));
    const s = new TestNatsServer(dir, bin);
    await s.launch();
    return s;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Recent server log lines, for assertion messages. */
  recentLog(): string {
    return this.log.slice(-40).join('\n');
  }

  /** Graceful stop (SIGTERM, then SIGKILL after 5 s) of the process this helper started. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.child = null;
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
    this.child = null;
  }

  /** Same port and store dir, so JetStream state survives and clients reconnect by themselves. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Stops the server and removes its store dir. */
  async dispose(): Promise<void> {
    this.resume();
    await this.stop();
    await rm(this.storeDir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    // -p -1 lets the server pick a free port; a restart reuses the one it reported.
    const args = ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir];
    // A restart may race the kernel releasing the port; retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.launchOnce(args);
        return;
      } catch (err) {
        if (attempt >= 20 || this.port === -1) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private launchOnce(args: string[]): Promise<void> {
    const child = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    return new Promise<void>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => fail(new Error(`nats-server did not become ready in 10 s:\n${this.recentLog()}`)), 10_000);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(err);
      };
      const onData = (chunk: Buffer): void => {
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          this.log.push(line);
          if (this.log.length > 500) this.log.splice(0, 250);
          const m = /Listening for client connections on [^\s]+:(\d+)/.exec(line);
          if (m?.[1]) this.port = Number(m[1]);
          if (line.includes('Server is ready')) {
            clearTimeout(timer);
            resolve();
          }
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', (err) => fail(err));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited early (code ${code}, signal ${signal}):\n${this.recentLog()}`));
      });
    });
  }
}

/**
 * Registers beforeAll/afterAll hooks that start one server for the calling test file and
 * dispose of it afterwards; call the returned function to reach the server inside tests.
 */
export function useTestNatsServer(): () => TestNatsServer {
  let server: TestNatsServer | undefined;
  beforeAll(async () => {
    server = await TestNatsServer.start();
  });
  afterAll(async () => {
    await server?.dispose();
  });
  return () => {
    if (!server) throw new Error('the test nats-server is not started yet (use it inside a test or hook)');
    return server;
  };
}
