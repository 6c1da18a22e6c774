/**
 * The operator's HTTP side: GET /metrics (Prometheus text), GET /healthz (the process and its
 * watches are alive), GET /readyz (this replica leads, or stands by healthily).
 */
import Fastify from 'fastify';
import type { OperatorMetrics } from './metrics.js';

export interface HealthSource {
  /** null when healthy, else why not (e.g. a watch has been failing for too long). */
  unhealthyReason(): string | null;
  isLeader(): boolean;
}

export interface OperatorHttp {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startOperatorHttp(host: string, port: number, metrics: OperatorMetrics, health: HealthSource): Promise<OperatorHttp> {
  const app = Fastify({ logger: false });
  app.get('/metrics', async (_req, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
  app.get('/healthz', async (_req, reply) => {
    const reason = health.unhealthyReason();
    if (reason !== null) return reply.code(503).send({ status: 'unhealthy', reason });
    return reply.send({ status: 'ok' });
  });
  // Ready means "can serve": a standby replica is ready too, it just does not reconcile.
  app.get('/readyz', async (_req, reply) => reply.send({ status: 'ready', leader: health.isLeader() }));
  await app.listen({ host, port });
  const addr = app.server.address();
  const bound = typeof addr === 'object' && addr !== null ? addr.port : port;
  return { host, port: bound, close: () => app.close() };
}
