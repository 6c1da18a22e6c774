/**
 * The broker's HTTP side (fastify): /metrics, /healthz, /readyz and read-only /v1 views.
 * Everything is read through the BrokerIntrospection port; nothing here changes the broker.
 */
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { DataDirProbe, readiness } from './health.js';
import type { BrokerIntrospection } from './introspection.js';
import type { BrokerMetrics } from './metrics.js';
import {
  BrokersViewSchema,
  ClusterViewSchema,
  GroupsViewSchema,
  GroupViewSchema,
  TopicsViewSchema,
  TopicViewSchema,
  brokersView,
  clusterView,
  groupView,
  groupsView,
  topicView,
  topicsView,
} from './views.js';

export interface HttpServerOptions {
  readonly host: string;
  /** 0 = ephemeral; the bound port is returned. */
  readonly port: number;
  readonly metrics: BrokerMetrics;
  readonly introspection: BrokerIntrospection;
  readonly dataDir: string;
  readonly logger: Logger;
  /** How long the /healthz disk probe may take before the disk counts as hung. Default 2000. */
  readonly healthTimeoutMs?: number;
}

export interface RunningHttpServer {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Validate a /v1 body against its schema before it leaves: a mismatch is our bug, a 500. */
function sendValidated<S extends z.ZodType>(reply: FastifyReply, schema: S, body: z.infer<S>, logger: Logger): FastifyReply {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    logger.error({ url: reply.request.url, issues }, 'response failed its schema');
    return reply.code(500).type(JSON_TYPE).send({ error: 'internal', message: 'response failed schema validation', issues });
  }
  return reply.code(200).type(JSON_TYPE).send(parsed.data);
}

function notFound(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(404).type(JSON_TYPE).send({ error: 'not_found', message });
}

/**
 * Scrapes and probes every few seconds would drown the broker's own log lines at info:
 * per-request lines go to debug; failures are logged where they happen.
 */
class DebugRequestLogs extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ method: request.method, url: request.url }, 'http request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    request.log.debug({ url: request.url, statusCode: reply.statusCode, ms: reply.elapsedTime, err: error ?? undefined }, 'http response');
  }
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const logger = opts.logger.child({ component: 'http' });
  const { metrics, introspection: intro } = opts;
  const probe = new DataDirProbe(opts.dataDir, opts.healthTimeoutMs ?? 2000);

  const app = Fastify({ loggerInstance: logger, logController: new DebugRequestLogs() });

  app.setNotFoundHandler((req, reply) => notFound(reply, `no route ${req.method} ${req.url}`));
  app.setErrorHandler((err, req, reply) => {
    logger.error({ err, url: req.url }, 'http handler failed');
    const status = typeof err === 'object' && err !== null && 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
    const message = err instanceof Error ? err.message : String(err);
    return reply.code(status >= 400 ? status : 500).type(JSON_TYPE).send({ error: 'internal', message });
  });

  app.get('/metrics', async (req, reply) => {
    const out = await metrics.render(req.headers.accept);
    if (out.introspectionError !== null) logger.warn({ err: out.introspectionError }, 'metrics: broker state unreadable; state gauges omitted');
    return reply.code(200).type(out.contentType).send(out.body);
  });

  app.get('/healthz', async (_req, reply) => {
    const r = await probe.check();
    if (!r.ok) logger.warn({ reason: r.reason }, 'healthz failing');
    return reply
      .code(r.ok ? 200 : 503)
      .type(JSON_TYPE)
      .send(r.ok ? { status: 'ok' } : { status: 'unhealthy', reason: r.reason });
  });

  app.get('/readyz', async (_req, reply) => {
    const r = readiness(intro);
    return reply
      .code(r.ready ? 200 : 503)
      .type(JSON_TYPE)
      .send(r.ready ? { status: 'ready' } : { status: 'not_ready', missing: r.missing });
  });

  app.get('/v1/cluster', async (_req, reply) => sendValidated(reply, ClusterViewSchema, clusterView(intro), logger));
  app.get('/v1/brokers', async (_req, reply) => sendValidated(reply, BrokersViewSchema, brokersView(intro), logger));
  app.get('/v1/topics', async (_req, reply) => sendValidated(reply, TopicsViewSchema, topicsView(intro), logger));
  app.get<{ Params: { name: string } }>('/v1/topics/:name', async (req, reply) => {
    const view = topicView(intro, req.params.name);
    if (view === undefined) return notFound(reply, `unknown topic ${JSON.stringify(req.params.name)}`);
    return sendValidated(reply, TopicViewSchema, view, logger);
  });
  app.get('/v1/groups', async (_req, reply) => sendValidated(reply, GroupsViewSchema, groupsView(intro), logger));
  app.get<{ Params: { id: string } }>('/v1/groups/:id', async (req, reply) => {
    const view = groupView(intro, req.params.id);
    if (view === undefined) return notFound(reply, `group ${JSON.stringify(req.params.id)} is not coordinated by this broker`);
    return sendValidated(reply, GroupViewSchema, view, logger);
  });

  await app.listen({ host: opts.host, port: opts.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  logger.info({ host: opts.host, port }, 'http listening');

  let closing: Promise<void> | null = null;
  return {
    port,
    host: opts.host,
    close: () => (closing ??= app.close()),
  };
}
