/**
 * /healthz and /readyz logic, separate from fastify so it is testable on its own.
 *
 * Liveness: the HTTP server answering proves the event loop runs; the data-dir probe proves
 * the disk takes writes. The probe writes, fsyncs and removes `<dataDir>/.strand-healthz-probe`
 * (a regular file: the LogManager only opens `<topic>-<partition>` directories) and is
 * bounded by a timeout, so a hung disk reads as unhealthy instead of a hung health check.
 * Only one probe runs at a time: a stuck fs call occupies one of libuv's 4 threadpool
 * threads, and piling more onto it would starve the broker's own file I/O.
 */
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { summarizeHealth } from './health-summary.js';
import type { BrokerIntrospection } from './introspection.js';

export const PROBE_FILE = '.strand-healthz-probe';

export type HealthResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export class DataDirProbe {
  private inFlight: Promise<HealthResult> | null = null;
  private readonly path: string;

  constructor(
    dataDir: string,
    private readonly timeoutMs: number,
  ) {
    this.path = join(dataDir, PROBE_FILE);
  }

  check(): Promise<HealthResult> {
    if (this.inFlight !== null) {
      // The previous probe has not come back: that is itself the answer (disk hung).
      return Promise.resolve({ ok: false, reason: `data dir probe still pending (${this.path}): disk not responding` });
    }
    const probe = this.writeProbe();
    this.inFlight = probe;
    // inFlight is cleared only when the fs calls really finish, not when the timeout fires.
    void probe.finally(() => {
      this.inFlight = null;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<HealthResult>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, reason: `data dir probe timed out after ${this.timeoutMs} ms (${this.path})` }), this.timeoutMs);
    });
    return Promise.race([probe, timeout]).finally(() => clearTimeout(timer));
  }

  private async writeProbe(): Promise<HealthResult> {
    try {
      const fh = await open(this.path, 'w');
      try {
        await fh.writeFile(`${process.pid} ${Date.now()}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await unlink(this.path);
      return { ok: true };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return { ok: false, reason: `data dir not writable: ${e.code ?? 'error'} ${e.message}` };
    }
  }
}

export interface ReadinessReport {
  readonly ready: boolean;
  /** One human-readable line per unmet condition. */
  readonly missing: readonly string[];
}

/** At most this many partitions are named in a /readyz body; the rest are counted. */
const MAX_LISTED = 50;

function listed(prefix: string, items: readonly string[]): string {
  const shown = items.slice(0, MAX_LISTED).join(', ');
  const more = items.length > MAX_LISTED ? ` and ${items.length - MAX_LISTED} more` : '';
  return `${prefix} (${items.length}): ${shown}${more}`;
}

/** Ready = registered, metadata loaded, coordinator partitions loaded, every followed partition in ISR. */
export function readiness(intro: BrokerIntrospection): ReadinessReport {
  const facts = intro.readiness();
  const missing: string[] = [];
  if (!facts.registered) missing.push('broker not registered in the broker registry');
  if (!facts.metadataLoaded) {
    missing.push('cluster metadata not loaded');
    // Without metadata the ISR check below would pass vacuously.
    return { ready: false, missing };
  }
  if (facts.coordinatorPartitionsLoading.length > 0) {
    missing.push(listed('coordinator partitions still loading', facts.coordinatorPartitionsLoading.map((p) => `__consumer_offsets-${p}`)));
  }
  const notInIsr = summarizeHealth(intro).followerNotInIsr;
  if (notInIsr.length > 0) {
    missing.push(listed('followed partitions not in ISR', notInIsr.map((tp) => `${tp.topic}-${tp.partition}`)));
  }
  return { ready: missing.length === 0, missing };
}
