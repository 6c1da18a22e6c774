/**
 * One KafkaClient (the project's own Kafka client) per KafkaCluster, bootstrapped from the
 * brokers' stable per-pod addresses, reused across reconciles and replaced when the address
 * list changes (scaling). How a broker ordinal becomes an address is a seam: in a cluster it
 * is the headless Service's pod DNS name; the test harness maps it to 127.0.0.1 ports.
 */
import type { Logger } from 'pino';
import { KafkaClient } from '../../../broker/src/client/index.js';
import { HTTP_PORT, KAFKA_PORT, type KafkaCluster } from '../api/index.js';
import { brokerHost, namespaceOf } from '../builders/index.js';

export interface BrokerAddressResolver {
  /** HOST:PORT of broker `ordinal`'s Kafka listener. */
  kafka(c: KafkaCluster, ordinal: number): string;
  /** Base URL of broker `ordinal`'s HTTP server (/readyz, /v1). */
  http(c: KafkaCluster, ordinal: number): string;
}

export const dnsResolver: BrokerAddressResolver = {
  kafka: (c, i) => `${brokerHost(c, i)}:${KAFKA_PORT}`,
  http: (c, i) => `http://${brokerHost(c, i)}:${HTTP_PORT}`,
};

export class KafkaClients {
  private readonly clients = new Map<string, { bootstrap: string; client: KafkaClient }>();

  constructor(
    private readonly resolver: BrokerAddressResolver,
    private readonly logger: Logger,
  ) {}

  forCluster(c: KafkaCluster): KafkaClient {
    const key = `${namespaceOf(c)}/${c.metadata.name}`;
    const addrs: string[] = [];
    for (let i = 0; i < c.spec.replicas; i++) addrs.push(this.resolver.kafka(c, i));
    const bootstrap = addrs.join(',');
    const cached = this.clients.get(key);
    if (cached && cached.bootstrap === bootstrap) return cached.client;
    if (cached) void cached.client.close().catch(() => undefined);
    const client = new KafkaClient({
      bootstrap: addrs,
      clientId: 'strand-operator',
      // Short: a reconcile must not hang on a broker that is down; the queue retries.
      requestTimeoutMs: 5000,
      connectTimeoutMs: 2000,
      defaultDeadlineMs: 10_000,
      logger: this.logger.child({ kafkaCluster: key }),
    });
    this.clients.set(key, { bootstrap, client });
    return client;
  }

  async drop(namespace: string, name: string): Promise<void> {
    const key = `${namespace}/${name}`;
    const cached = this.clients.get(key);
    this.clients.delete(key);
    await cached?.client.close().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((c) => c.client.close().catch(() => undefined)));
  }
}
