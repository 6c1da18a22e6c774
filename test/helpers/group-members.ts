/**
 * Consumer-group members as child processes (test/clients/group_member.py under
 * /usr/bin/python3, test/clients/kafkajs_member.mjs under node), so a test can SIGTERM one
 * (clean leave) or SIGKILL it (no leave) and follow every member's assignment and records
 * live from its JSON event lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PYTHON, REPO_ROOT, clientScript, requirePythonModules, tail } from './tools.js';
import { waitFor } from './wait.js';

export interface MemberEvent {
  readonly event: 'assigned' | 'record' | 'eof' | 'closed' | 'crash';
  readonly partitions?: number[];
  readonly p?: number;
  readonly o?: number;
  readonly v?: string;
  readonly error?: string;
}

export type MemberKind = 'confluent' | 'kafka-python' | 'kafkajs';

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
  readonly exited: Promise<number | null>;
  private done = false;

  constructor(
    readonly name: string,
    kind: MemberKind,
    args: MemberArgs,
  ) {
    const [cmd, argv] =
      kind === 'kafkajs'
        ? [process.execPath, [clientScript('kafkajs_member.mjs'), JSON.stringify(args)]]
        : [PYTHON, ['-u', clientScript('group_member.py'), kind, JSON.stringify(args)]];
    if (kind !== 'kafkajs') requirePythonModules(kind === 'confluent' ? 'confluent_kafka' : 'kafka');
    this.child = spawn(cmd, argv, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    this.child.stdout?.on('data', (b: Buffer) => this.onData(b));
    this.child.stderr?.on('data', (b: Buffer) => {
      this.stderr = tail(this.stderr + b.toString('utf8'), 8000);
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

  private onData(b: Buffer): void {
    const parts = (this.partial + b.toString('utf8')).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line.trim().startsWith('{')) this.events.push(JSON.parse(line) as MemberEvent);
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

/** SIGKILLs every member still running (afterAll). */
export async function killAllMembers(): Promise<void> {
  await Promise.all([...live].map((m) => m.kill()));
}

process.on('exit', () => {
  for (const m of live) m.kill().catch(() => undefined);
});
