/**
 * Connection pool: at most one live connection per broker address, each with its versions
 * negotiated before first use. Concurrent callers share the in-progress connect; a closed
 * connection leaves the pool so the next caller reconnects.
 */
import type { Logger } from 'pino';
import { KafkaConnection, type ConnectionOptions } from './connection.js';
import { ConnectError } from './errors.js';

export type PoolConnectionOptions = Omit<ConnectionOptions, 'host' | 'port'>;

export function parseAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const host = i > 0 ? address.slice(0, i).replace(/^\[(.*)\]$/, '$1') : '';
  const port = i > 0 ? Number(address.slice(i + 1)) : NaN;
  if (host === '' || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new ConnectError(address, 'invalid address: expected HOST:PORT');
  }
  return { host, port };
}

export class ConnectionPool {
  private readonly conns = new Map<string, Promise<KafkaConnection>>();
  private isClosed = false;

  constructor(
    private readonly opts: PoolConnectionOptions,
    private readonly logger?: Logger,
  ) {}

  /** A connected, version-negotiated connection to `address` (HOST:PORT). */
  get(address: string): Promise<KafkaConnection> {
    if (this.isClosed) return Promise.reject(new ConnectError(address, 'client is closed'));
    const existing = this.conns.get(address);
    if (existing !== undefined) return existing;
    const p = this.open(address);
    this.conns.set(address, p);
    // A failed connect must not stay cached; the caller still sees the rejection via `p`.
    p.catch(() => {
      if (this.conns.get(address) === p) this.conns.delete(address);
    });
    return p;
  }

  private async open(address: string): Promise<KafkaConnection> {
    const { host, port } = parseAddress(address);
    const conn = await KafkaConnection.connect({ ...this.opts, host, port });
    const entry = this.conns.get(address);
    conn.onClose((reason) => {
      this.logger?.debug({ address, reason: reason.message }, 'pooled connection closed');
      if (this.conns.get(address) === entry) this.conns.delete(address);
    });
    try {
      await conn.negotiateVersions();
    } catch (err) {
      await conn.close();
      throw err;
    }
    if (this.isClosed) {
      await conn.close();
      throw new ConnectError(address, 'client is closed');
    }
    return conn;
  }

  /** Drops a connection that misbehaved (the next get() reconnects). */
  async evict(address: string): Promise<void> {
    const p = this.conns.get(address);
    if (p === undefined) return;
    this.conns.delete(address);
    const conn = await p.catch(() => null);
    await conn?.close();
  }

  async close(): Promise<void> {
    this.isClosed = true;
    const all = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => null))?.close()));
  }
}
