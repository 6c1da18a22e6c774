import net from 'node:net';
import { classifyConnectError, FailureDetector, livenessVerdict, type Probe, type ProbeResult } from './failure-detector.js';
import { eventually } from './metadata-store-contract.js';
import type { NatsBrokerRegistration } from './nats-broker-registry.js';

const p = (result: ProbeResult, atMs: number): Probe => ({ result, atMs });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('livenessVerdict', () => {
  it('is dead only after two refusals at least 100 ms apart', () => {
    expect(livenessVerdict([p('refused', 0), p('refused', 150)])).toBe('dead');
    expect(livenessVerdict([p('timeout', 0), p('refused', 10), p('refused', 160)])).toBe('dead');
    expect(livenessVerdict([p('refused', 0), p('refused', 99)])).toBe('unknown');
  });

  it('stays unknown for one refusal, timeouts, resets, or any success in the tail', () => {
    expect(livenessVerdict([])).toBe('unknown');
    expect(livenessVerdict([p('refused', 0)])).toBe('unknown');
    expect(livenessVerdict([p('timeout', 0), p('timeout', 500)])).toBe('unknown');
    expect(livenessVerdict([p('error', 0), p('error', 500)])).toBe('unknown');
    expect(livenessVerdict([p('refused', 0), p('timeout', 500)])).toBe('unknown');
    expect(livenessVerdict([p('refused', 0), p('connected', 200)])).toBe('unknown');
    expect(livenessVerdict([p('refused', 0), p('error', 150), p('refused', 300)])).toBe('unknown');
  });

  it('classifies only ECONNREFUSED as a refusal', () => {
    const e = (code: string): Error => Object.assign(new Error(code), { code });
    expect(classifyConnectError(e('ECONNREFUSED'))).toBe('refused');
    expect(classifyConnectError(e('ETIMEDOUT'))).toBe('timeout');
    for (const c of ['ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']) expect(classifyConnectError(e(c))).toBe('error');
    expect(classifyConnectError('nope')).toBe('error');
  });
});

/** A Kafka-listener stand-in that accepts and never answers (also what a SIGSTOPped broker looks like). */
class SilentListener {
  readonly sockets = new Set<net.Socket>();
  private constructor(readonly server: net.Server) {
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => this.sockets.delete(s));
    });
  }
  static async start(port = 0): Promise<SilentListener> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return new SilentListener(server);
  }
  get port(): number {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('not listening');
    return a.port;
  }
  /** Resets the open connections but keeps listening. */
  dropConnections(): void {
    for (const s of this.sockets) s.resetAndDestroy();
  }
  /** The process died: the listener is gone and every connection ends. */
  async crash(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

const reg = (id: number, port: number, incarnation = `inc-${id}`): NatsBrokerRegistration => ({ id, host: '127.0.0.1', port, rack: null, incarnation });

/** A port nothing listens on (bound once, then released). */
async function freePort(): Promise<number> {
  const l = await SilentListener.start();
  const port = l.port;
  await l.crash();
  return port;
}

describe('FailureDetector (127.0.0.1 sockets, no NATS)', () => {
  const fast = { connectTimeoutMs: 300, probeGapMs: 120, backoffMinMs: 50, backoffMaxMs: 400, stableMs: 1000 };

  it('declares a broker dead within ~1 s of its listener vanishing, once per incarnation', async () => {
    const l = await SilentListener.start();
    let brokers = [reg(0, 1), reg(1, l.port)];
    const dead: NatsBrokerRegistration[] = [];
    const fd = new FailureDetector({ selfId: 0, brokers: () => brokers, isActive: () => true, onDead: async (r) => (dead.push(r), 'expelled'), timing: fast });
    try {
      fd.sync();
      expect(fd.watched()).toEqual([1]); // never ourselves
      await eventually(() => l.sockets.size === 1, 2000, 'watch connection');
      const t0 = Date.now();
      await l.crash();
      await eventually(() => dead.length === 1, 2000, 'death verdict');
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(dead[0]?.incarnation).toBe('inc-1');
      expect(fd.watched()).toEqual([]);
      // The same incarnation showing up again is not watched (or condemned) a second time...
      fd.sync();
      expect(fd.watched()).toEqual([]);
      // ...a restarted broker (new incarnation) is.
      const l2 = await SilentListener.start();
      brokers = [reg(0, 1), reg(1, l2.port, 'inc-1b')];
      fd.sync();
      expect(fd.watched()).toEqual([1]);
      await eventually(() => l2.sockets.size === 1, 2000, 'watch connection to the restarted broker');
      await l2.crash();
      await eventually(() => dead.length === 2, 2000, 'second death verdict');
    } finally {
      fd.stop();
      await l.crash().catch(() => undefined);
    }
  });

  it('a listener that accepts but never answers, or resets connections while listening, is never declared dead', async () => {
    const l = await SilentListener.start();
    const dead: NatsBrokerRegistration[] = [];
    const fd = new FailureDetector({ selfId: 0, brokers: () => [reg(1, l.port)], isActive: () => true, onDead: async (r) => (dead.push(r), 'expelled'), timing: fast });
    try {
      fd.sync();
      await eventually(() => l.sockets.size === 1, 2000, 'watch connection');
      for (let i = 0; i < 5; i++) {
        l.dropConnections();
        await sleep(150);
      }
      await sleep(500);
      expect(dead).toEqual([]);
      // Backoff bounds the reconnects (no storm) and the watcher stays attached.
      await eventually(() => l.sockets.size === 1, 3000, 'watch connection re-established');
      expect(l.sockets.size).toBe(1);
    } finally {
      fd.stop();
      await l.crash();
    }
  });

  it('a broker that never accepted a connection is left to the session timeout; nothing is watched unless active', async () => {
    const port = await freePort();
    const dead: NatsBrokerRegistration[] = [];
    let active = true;
    const fd = new FailureDetector({ selfId: 0, brokers: () => [reg(1, port)], isActive: () => active, onDead: async (r) => (dead.push(r), 'expelled'), timing: fast });
    try {
      fd.sync();
      await sleep(1000);
      expect(dead).toEqual([]);
      active = false;
      fd.sync();
      expect(fd.watched()).toEqual([]);
    } finally {
      fd.stop();
    }
  });
});
