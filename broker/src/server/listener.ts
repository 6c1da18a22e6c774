/**
 * The Kafka TCP listener: accepts connections, hands each to a Connection, and stops
 * gracefully (stop accepting, let in-flight requests finish, close).
 */
import net from 'node:net';
import type { Logger } from 'pino';
import type { HostPort } from '../config.js';
import { Connection, type ConnectionOptions } from './connection.js';
import type { Dispatcher } from './dispatcher.js';
import type { BrokerEvents } from './events.js';

export class KafkaListener {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private nextId = 0;
  private dispatcher: Dispatcher | null = null;
  private events: Pick<BrokerEvents, 'onConnectionOpened' | 'onConnectionClosed'> | null = null;
  /** Sockets accepted before attach(): held unread (node buffers their data). */
  private early: net.Socket[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly opts: ConnectionOptions,
  ) {
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', (err) => this.logger.error({ err }, 'listener error'));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Start serving requests. Separate from listen() because the bound port must be known
   * (and registered as the advertised address) before the services exist.
   */
  attach(dispatcher: Dispatcher, events?: Pick<BrokerEvents, 'onConnectionOpened' | 'onConnectionClosed'>): void {
    this.dispatcher = dispatcher;
    this.events = events ?? null;
    const early = this.early;
    this.early = [];
    for (const s of early) if (!s.destroyed) this.accept(s);
  }

  /** Resolves with the bound address (port 0 becomes the ephemeral port). */
  listen(addr: HostPort): Promise<HostPort> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(addr.port, addr.host, () => {
        this.server.off('error', onError);
        const a = this.server.address();
        if (a === null || typeof a === 'string') reject(new Error('listener has no TCP address'));
        else resolve({ host: addr.host, port: a.port });
      });
    });
  }

  /** Stop accepting, wait (up to timeoutMs) for in-flight requests, then close every connection. */
  async stop(timeoutMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.early) s.destroy();
    this.early = [];
    const conns = [...this.connections];
    const drained = Promise.all(conns.map((c) => c.drain()));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([drained, timeout]);
    clearTimeout(timer);
    for (const c of conns) c.end();
    // Give sockets a moment to flush their last responses before forcing them shut.
    await Promise.race([closed, new Promise((r) => setTimeout(r, 1500).unref())]);
    for (const c of this.connections) c.close('broker stopping', 'debug');
  }

  private accept(socket: net.Socket): void {
    if (this.dispatcher === null) {
      this.early.push(socket);
      return;
    }
    const id = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}-${this.nextId++}`;
    const conn = new Connection(id, socket, this.dispatcher, this.logger, this.opts);
    this.connections.add(conn);
    // Counted here, where accepted sockets become connections (early ones held unread are not yet).
    const events = this.events;
    events?.onConnectionOpened();
    socket.on('close', () => {
      this.connections.delete(conn);
      events?.onConnectionClosed();
    });
    this.logger.debug({ connectionId: id }, 'connection accepted');
  }
}
