/**
 * Fast detection of dead broker *processes* by the active controller (README.md "Failure
 * detection"). The registry alone notices a crash only when the crashed broker's entry expires
 * (broker.session.timeout.ms after its last heartbeat) and the next poll runs; that dominates
 * failover time. A crashed process, however, leaves evidence the kernel reports at once: its
 * Kafka listener is gone, so a connect to host:port is *refused* (the host answered, nothing
 * listens).
 *
 * The controller keeps one idle TCP connection to every other live registered broker's
 * advertised Kafka listener (no Kafka requests: an open socket costs the broker nothing). When
 * that connection closes or fails it probes by connecting again; two refusals at least
 * MIN_REFUSAL_SPAN_MS apart are a death verdict. Everything else is inconclusive and leaves the
 * broker to the session timeout:
 *   - a paused process (SIGSTOP) or a broker too busy to answer: the kernel still accepts
 *     connections, and an idle connection never closes;
 *   - timeouts, resets, unreachable hosts or networks: the broker may be alive behind a network
 *     problem, exactly what the session timeout is for;
 *   - a broker we never managed to connect to (misconfigured advertised address, NAT): a
 *     refusal there says nothing about the process.
 *
 * The decision is the pure `livenessVerdict`; the watchers around it are bounded: at most one
 * per broker (keyed by id, replaced when the incarnation or address changes), one socket at a
 * time, every timer cleared on stop, exponential backoff for failed connects and for
 * connections that keep closing soon after opening. A verdict is acted on once per
 * incarnation: if the same incarnation shows up again (it was alive after all and its
 * heartbeat re-registered it) it is not watched again and only the session timeout applies.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { NatsBrokerRegistration } from './nats-broker-registry.js';

export type ProbeResult = 'connected' | 'refused' | 'timeout' | 'error';

export interface Probe {
  readonly result: ProbeResult;
  /** performance.now() when the probe's outcome was known. */
  readonly atMs: number;
}

export type LivenessVerdict = 'dead' | 'unknown';

/** Consecutive refused connects needed for a death verdict. */
export const REFUSALS_FOR_DEATH = 2;
/**
 * Minimum time between the first and the last of those refusals. One refusal could be a
 * listener in the middle of being re-bound; two, a moment apart, mean nothing listens.
 */
export const MIN_REFUSAL_SPAN_MS = 100;

/**
 * Pure: the probes made since the watched connection was lost, oldest first. 'dead' only when
 * the last REFUSALS_FOR_DEATH of them were all refused and span at least minSpanMs; any
 * success, timeout or other error among them keeps the verdict 'unknown'.
 */
export function livenessVerdict(probes: readonly Probe[], minSpanMs = MIN_REFUSAL_SPAN_MS): LivenessVerdict {
  if (probes.length < REFUSALS_FOR_DEATH) return 'unknown';
  const tail = probes.slice(-REFUSALS_FOR_DEATH);
  if (!tail.every((p) => p.result === 'refused')) return 'unknown';
  const first = tail[0];
  const last = tail[tail.length - 1];
  if (!first || !last) return 'unknown';
  return last.atMs - first.atMs >= minSpanMs ? 'dead' : 'unknown';
}

function trailingRefusals(probes: readonly Probe[]): number {
  let n = 0;
  for (let i = probes.length - 1; i >= 0 && probes[i]?.result === 'refused'; i--) n++;
  return n;
}

/** Pure: what a failed connect says. Only ECONNREFUSED is evidence of a missing listener. */
export function classifyConnectError(err: unknown): Exclude<ProbeResult, 'connected'> {
  const code = typeof err === 'object' && err !== null && 'code' in err ? (err as { code?: unknown }).code : undefined;
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ETIMEDOUT') return 'timeout';
  return 'error';
}

export interface FailureDetectorTiming {
  /** A probe that has not connected by then counts as 'timeout' (default 1000 ms). */
  readonly connectTimeoutMs: number;
  /** Wait between a refusal and the next probe (default 150 ms; must be >= MIN_REFUSAL_SPAN_MS). */
  readonly probeGapMs: number;
  /** First backoff after an inconclusive probe or a short-lived connection (default 250 ms). */
  readonly backoffMinMs: number;
  /** Backoff cap (default 5000 ms). */
  readonly backoffMaxMs: number;
  /** A connection that lived at least this long was healthy: no backoff before re-probing (default 5000 ms). */
  readonly stableMs: number;
}

export const DEFAULT_FAILURE_DETECTOR_TIMING: FailureDetectorTiming = {
  connectTimeoutMs: 1000,
  probeGapMs: 150,
  backoffMinMs: 250,
  backoffMaxMs: 5000,
  stableMs: 5000,
};

/** Outcome of acting on a death verdict (for the log line). */
export type ExpelOutcome = 'expelled' | 'absent' | 'reregistered' | 'not-controller' | 'failed';

export interface FailureDetectorOptions {
  readonly selfId: number;
  /** The live registrations to watch (the registry's last poll). */
  readonly brokers: () => readonly NatsBrokerRegistration[];
  /** Only the active controller watches; others keep no connections. */
  readonly isActive: () => boolean;
  /** Acts on a death verdict (revision-checked delete of the registration, reconcile). */
  readonly onDead: (reg: NatsBrokerRegistration, probes: readonly Probe[]) => Promise<ExpelOutcome>;
  readonly timing?: Partial<FailureDetectorTiming>;
  readonly logger?: Logger;
}

/** One watcher per registered broker while this broker is the active controller. */
export class FailureDetector {
  private readonly watchers = new Map<number, BrokerWatcher>();
  /** id -> incarnation already declared dead: never acted on twice (see the module comment). */
  private readonly condemned = new Map<number, string>();
  private readonly timing: FailureDetectorTiming;
  private stopped = false;

  constructor(private readonly opts: FailureDetectorOptions) {
    this.timing = { ...DEFAULT_FAILURE_DETECTOR_TIMING, ...opts.timing };
    if (this.timing.probeGapMs < MIN_REFUSAL_SPAN_MS) throw new Error(`probeGapMs must be >= ${MIN_REFUSAL_SPAN_MS}`);
  }

  /** Brings the watchers in line with the registry and the lease (call on every change of either). */
  sync(): void {
    if (this.stopped || !this.opts.isActive()) {
      this.stopAll();
      return;
    }
    const wanted = new Map<number, NatsBrokerRegistration>();
    for (const reg of this.opts.brokers()) {
      if (reg.id === this.opts.selfId) continue;
      const condemned = this.condemned.get(reg.id);
      if (condemned !== undefined) {
        if (condemned === reg.incarnation) continue;
        this.condemned.delete(reg.id); // a new incarnation: a fresh process, watch it
      }
      wanted.set(reg.id, reg);
    }
    for (const [id, w] of this.watchers) {
      const reg = wanted.get(id);
      if (!reg || reg.incarnation !== w.reg.incarnation || reg.host !== w.reg.host || reg.port !== w.reg.port) {
        w.stop();
        this.watchers.delete(id);
      }
    }
    for (const [id, reg] of wanted) {
      if (this.watchers.has(id)) continue;
      const w = new BrokerWatcher(reg, this.timing, (probes) => this.dead(w, probes), this.opts.logger);
      this.watchers.set(id, w);
      w.start();
    }
    // Invariant: bounded by the registry, at most one watcher per broker, never one for ourselves.
    if (this.watchers.has(this.opts.selfId) || this.watchers.size > wanted.size) throw new Error('failure detector: watcher set out of sync with the registry');
  }

  /** Brokers currently watched (tests, diagnostics). */
  watched(): number[] {
    return [...this.watchers.keys()].sort((a, b) => a - b);
  }

  stop(): void {
    this.stopped = true;
    this.stopAll();
  }

  private stopAll(): void {
    for (const w of this.watchers.values()) w.stop();
    this.watchers.clear();
  }

  private async dead(w: BrokerWatcher, probes: readonly Probe[]): Promise<void> {
    const { reg } = w;
    // The watcher has ended; forget it, and never act on this incarnation again.
    if (this.watchers.get(reg.id) === w) this.watchers.delete(reg.id);
    this.condemned.set(reg.id, reg.incarnation);
    let outcome: ExpelOutcome;
    if (this.stopped || !this.opts.isActive()) outcome = 'not-controller';
    else {
      try {
        outcome = await this.opts.onDead(reg, probes);
      } catch (err) {
        this.opts.logger?.warn({ err, brokerId: reg.id }, 'failure detector: could not expel a dead broker; the session timeout will');
        outcome = 'failed';
      }
    }
    const first = probes[0];
    const last = probes[probes.length - 1];
    // The one line per death verdict.
    this.opts.logger?.warn(
      { brokerId: reg.id, incarnation: reg.incarnation, host: reg.host, port: reg.port, probes: probes.map((p) => p.result), spanMs: first && last ? Math.round(last.atMs - first.atMs) : 0, outcome },
      `failure detector: broker ${reg.id} declared dead (its Kafka listener refuses connections): ${outcome}`,
    );
  }
}

/** Watches one broker incarnation's listener until a death verdict or stop(). */
class BrokerWatcher {
  private stopped = false;
  private socket: net.Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private everConnected = false;

  constructor(
    readonly reg: NatsBrokerRegistration,
    private readonly timing: FailureDetectorTiming,
    private readonly onDead: (probes: readonly Probe[]) => Promise<void>,
    private readonly logger?: Logger,
  ) {}

  start(): void {
    void this.run().catch((err: unknown) => this.logger?.error({ err, brokerId: this.reg.id }, 'failure detector watcher failed'));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.socket?.destroy();
    this.socket = null;
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async run(): Promise<void> {
    const t = this.timing;
    let probes: Probe[] = [];
    let failBackoff = 0;
    let shortLived = 0;
    let delay = 0;
    let reportedInconclusive = false;
    while (!this.stopped) {
      if (delay > 0) await this.sleep(delay);
      if (this.stopped) return;
      const socket = await this.connect();
      if (this.stopped) {
        socket?.destroy();
        return;
      }
      if (socket) {
        this.everConnected = true;
        probes = [];
        failBackoff = 0;
        reportedInconclusive = false;
        const lived = await this.hold(socket);
        if (this.stopped) return;
        // A connection that lived long was healthy: re-probe at once (the crash fast path).
        // One that keeps closing soon after opening backs off, so we never spin on a broker
        // that drops our connections.
        shortLived = lived >= t.stableMs ? 0 : shortLived + 1;
        delay = shortLived === 0 ? 0 : Math.min(t.backoffMaxMs, t.backoffMinMs * 2 ** (shortLived - 1));
        continue;
      }
      const probe = this.lastProbe;
      probes.push(probe);
      if (probes.length > REFUSALS_FOR_DEATH) probes = probes.slice(-REFUSALS_FOR_DEATH);
      if (this.everConnected && livenessVerdict(probes) === 'dead') {
        this.stopped = true;
        await this.onDead(probes);
        return;
      }
      if (this.everConnected && probe.result === 'refused' && trailingRefusals(probes) < REFUSALS_FOR_DEATH) {
        delay = t.probeGapMs; // confirm the refusal a moment later
        continue;
      }
      if (this.everConnected && !reportedInconclusive) {
        reportedInconclusive = true;
        this.logger?.info({ brokerId: this.reg.id, host: this.reg.host, port: this.reg.port, probes: probes.map((p) => p.result) }, `failure detector: lost the connection to broker ${this.reg.id}; probe inconclusive, leaving it to the session timeout`);
      }
      failBackoff = failBackoff === 0 ? t.backoffMinMs : Math.min(t.backoffMaxMs, failBackoff * 2);
      delay = failBackoff;
    }
  }

  private lastProbe: Probe = { result: 'error', atMs: 0 };

  /** One connect attempt: the socket if it connected, else null with `lastProbe` set. */
  private connect(): Promise<net.Socket | null> {
    return new Promise((resolve) => {
      const s = net.connect({ host: this.reg.host, port: this.reg.port });
      // Never an unhandled 'error' (an uncaught exception), whatever phase the socket is in.
      s.on('error', () => undefined);
      this.socket = s;
      let settled = false;
      const done = (result: net.Socket | null, probe: ProbeResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout);
        s.removeListener('connect', onConnect);
        s.removeListener('error', onError);
        this.lastProbe = { result: probe, atMs: performance.now() };
        if (!result) {
          s.destroy();
          if (this.socket === s) this.socket = null;
        }
        resolve(result);
      };
      const onConnect = (): void => done(s, 'connected');
      const onError = (err: Error): void => done(null, classifyConnectError(err));
      const timeout = setTimeout(() => done(null, 'timeout'), this.timing.connectTimeoutMs);
      s.once('connect', onConnect);
      s.once('error', onError);
      // stop() destroys the socket without an error: settle too, so run() can end.
      s.once('close', () => done(null, 'error'));
    });
  }

  /** Keeps an idle connection open; resolves (with how long it lived) when it closes for any reason. */
  private hold(s: net.Socket): Promise<number> {
    const since = performance.now();
    // Keepalive: a host that vanished without a FIN (power loss, partition) still ends the
    // connection eventually; the probes then time out, which is inconclusive by design.
    s.setKeepAlive(true, 5000);
    // We never send; anything the broker sends is irrelevant, but must not pile up paused.
    s.on('data', () => undefined);
    return new Promise((resolve) => {
      s.once('error', () => undefined); // 'close' follows; the cause does not matter here
      s.once('close', () => {
        if (this.socket === s) this.socket = null;
        resolve(performance.now() - since);
      });
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(() => {
        this.timer = null;
        this.wake = null;
        resolve();
      }, ms);
    });
  }
}
