/**
 * Consumer-group members as child processes (test/clients/group_member.py under
 * /usr/bin/python3, test/clients/kafkajs_member.mjs under node, or `kcat -G`), so a test can SIGTERM one
 * (clean leave) or SIGKILL it (no leave) and follow every member's assignment and records
 * live from its JSON event lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PYTHON, REPO_ROOT, clientScript, requireKcat, requirePythonModules, tail } from './tools.js';
import { orTimeout, waitFor } from './wait.js';

export interface MemberEvent {
  readonly event: 'assigned' | 'record' | 'eof' | 'committed' | 'closed' | 'crash';
  readonly partitions?: number[];
  /** "committed" (max_records / maxRecords reached): partition -> next offset to read. */
  readonly offsets?: Record<string, number>;
  readonly p?: number;
  readonly o?: number;
  readonly v?: string;
  readonly error?: string;
}

export type MemberKind = 'confluent' | 'kafka-python' | 'kafkajs' | 'kcat';

export interface MemberArgs {
  readonly bootstrap: string;
  readonly group: string;
  readonly topic: string;
  readonly [key: string]: unknown;
}

const live = new Set<GroupMember>();

export class GroupMember {
  readonly events: MemberEvent[] = [];
  private readonly child: ChildProcess;
  private stderr = '';
  private partial = '';
  private stderrPartial = '';
  /** kcat: the assignment rebuilt from its rebalance lines on stderr. */
  private readonly kcatOwned = new Set<number>();
  readonly exited: Promise<number | null>;
  private done = false;

  constructor(
    readonly name: string,
    kind: MemberKind,
    args: MemberArgs,
  ) {
    const [cmd, argv] = command(kind, args);
    if (kind === 'kcat') requireKcat();
    else if (kind !== 'kafkajs') requirePythonModules(kind === 'confluent' ? 'confluent_kafka' : 'kafka');
    this.child = spawn(cmd, argv, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    const isKcat = kind === 'kcat';
    this.child.stdout?.on('data', (b: Buffer) => this.onData(b, isKcat));
    this.child.stderr?.on('data', (b: Buffer) => {
      this.stderr = tail(this.stderr + b.toString('utf8'), 8000);
      if (isKcat) this.onKcatStderr(b);
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        this.done = true;
        live.delete(this);
        resolve(code);
      }),
    );
    live.add(this);
  }

  private onData(b: Buffer, isKcat: boolean): void {
    const parts = (this.partial + b.toString('utf8')).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      if (isKcat) {
        // KCAT_GROUP_FORMAT: "<partition> <offset> <value>"
        const m = /^(\d+) (\d+) (.*)$/.exec(line);
        if (m !== null) this.events.push({ event: 'record', p: Number(m[1]), o: Number(m[2]), v: m[3] ?? '' });
      } else if (line.trim().startsWith('{')) {
        this.events.push(JSON.parse(line) as MemberEvent);
      }
    }
  }

  /**
   * kcat reports rebalances on stderr: eager "...: assigned: t [0], t [1]" / "...: revoked: ...",
   * cooperative "...: incremental assignment of N partition(s) (...): t [0]" / "incremental revoke".
   */
  private onKcatStderr(b: Buffer): void {
    const parts = (this.stderrPartial + b.toString('utf8')).split('\n');
    this.stderrPartial = parts.pop() ?? '';
    for (const line of parts) {
      if (!line.includes('rebalanced')) {
        if (line.includes('Reached end of topic') && line.includes('exiting')) this.events.push({ event: 'eof' });
        continue;
      }
      const list = line.slice(line.lastIndexOf(':') + 1);
      const partitions = [...list.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
      if (/incremental assignment|: assigned:/.test(line)) {
        if (line.includes(': assigned:')) this.kcatOwned.clear();
        for (const p of partitions) this.kcatOwned.add(p);
      } else if (line.includes(': revoked:')) {
        this.kcatOwned.clear();
      } else if (line.includes('incremental revoke')) {
        for (const p of partitions) this.kcatOwned.delete(p);
      } else {
        continue;
      }
      this.events.push({ event: 'assigned', partitions: [...this.kcatOwned].sort((x, y) => x - y) });
    }
  }

  get running(): boolean {
    return !this.done;
  }

  /** The member's current assignment (its latest "assigned" event), or null before any. */
  get assignment(): number[] | null {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i] as MemberEvent;
      if (e.event === 'assigned') return e.partitions ?? [];
    }
    return null;
  }

  get assignments(): number[][] {
    return this.events.filter((e) => e.event === 'assigned').map((e) => e.partitions ?? []);
  }

  get records(): MemberEvent[] {
    return this.events.filter((e) => e.event === 'record');
  }

  /** Diagnostics for a failed wait. */
  describe(): string {
    return `${this.name}: events ${JSON.stringify(this.events.filter((e) => e.event !== 'record')).slice(-1500)}, records ${this.records.length}, stderr ${tail(this.stderr, 1500)}`;
  }

  async waitUntil(what: string, cond: (m: GroupMember) => boolean, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `${this.name}: ${what}`,
      async () => {
        if (cond(this)) return true;
        if (this.done) throw new Error(`member exited: ${this.describe()}`);
        throw new Error(this.describe());
      },
      { timeoutMs, intervalMs: 50 },
    );
  }

  /**
   * Waits for a member that stops on its own (exit_on_eof, max_records / maxRecords) to exit,
   * and throws unless it exited 0 within `timeoutMs`.
   */
  async finished(what: string, timeoutMs = 30_000): Promise<void> {
    const code = await orTimeout(this.exited, timeoutMs);
    if (code === 'timeout') throw new Error(`timed out after ${timeoutMs} ms waiting for ${this.name} to ${what}: ${this.describe()}`);
    if (code !== 0) throw new Error(`${this.name} exited ${code} (expected 0) while waiting to ${what}: ${this.describe()}`);
  }

  /** Clean shutdown: SIGTERM (the client leaves the group) and wait for exit 0. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (this.done) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`${this.name} exited ${code} after SIGTERM: ${this.describe()}`);
  }

  /** Crash: SIGKILL, so the member never leaves the group. */
  async kill(): Promise<void> {
    if (this.done) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** kcat -G prints each record as "<partition> <offset> <value>". */
const KCAT_GROUP_FORMAT = '%p %o %s\\n';

function command(kind: MemberKind, args: MemberArgs): [string, string[]] {
  if (kind === 'kafkajs') return [process.execPath, [clientScript('kafkajs_member.mjs'), JSON.stringify(args)]];
  if (kind !== 'kcat') return [PYTHON, ['-u', clientScript('group_member.py'), kind, JSON.stringify(args)]];
  const strategy = typeof args.strategy === 'string' ? args.strategy : 'range';
  const argv = ['-b', args.bootstrap, '-G', args.group, args.topic, '-f', KCAT_GROUP_FORMAT, '-u'];
  argv.push('-X', `partition.assignment.strategy=${strategy}`, '-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=500');
  if (args.exit_on_eof === true) argv.push('-e');
  return ['kcat', argv];
}

/** Waits until every member's latest assignment satisfies `cond` (e.g. sizes 2/2/2). */
export async function waitForAssignments(members: readonly GroupMember[], what: string, cond: (sizes: number[][]) => boolean, timeoutMs = 30_000): Promise<number[][]> {
  let last: number[][] = [];
  await waitFor(
    what,
    async () => {
      last = members.map((m) => m.assignment ?? []);
      if (cond(last)) return true;
      throw new Error(`assignments ${JSON.stringify(last)}; ${members.map((m) => m.describe()).join('\n')}`);
    },
    { timeoutMs, intervalMs: 50 },
  );
  return last;
}

/** Per partition, the offset after the highest one among `records` (what a commit of them stores). */
export function nextOffsets(records: readonly MemberEvent[]): Record<string, number> {
  const next: Record<string, number> = {};
  for (const r of records) {
    const key = String(r.p);
    next[key] = Math.max(next[key] ?? 0, (r.o ?? -1) + 1);
  }
  return next;
}

/** SIGKILLs every member still running (afterAll). */
export async function killAllMembers(): Promise<void> {
  await Promise.all([...live].map((m) => m.kill()));
}

process.on('exit', () => {
  for (const m of live) m.kill().catch(() => undefined);
});
