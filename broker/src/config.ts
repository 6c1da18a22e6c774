/**
 * PLACEHOLDER pinned by the lead: the helper that owns config.ts replaces the body with the
 * zod schema (flags, STRAND_* env, --set), keeping these exported types' shape.
 */

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Broker-wide settings under their Kafka names (values already parsed and validated). */
export interface BrokerSettings {
  readonly 'num.partitions': number;
  readonly 'default.replication.factor': number;
  readonly 'auto.create.topics.enable': boolean;
  readonly 'log.segment.bytes': number;
  readonly 'log.roll.ms': number;
  readonly 'log.retention.ms': number;
  readonly 'log.retention.bytes': number;
  readonly 'log.index.interval.bytes': number;
  readonly 'log.index.size.max.bytes': number;
  readonly 'log.retention.check.interval.ms': number;
  readonly 'message.max.bytes': number;
  readonly 'log.message.timestamp.type': 'CreateTime' | 'LogAppendTime';
  readonly 'min.insync.replicas': number;
  readonly 'socket.request.max.bytes': number;
  readonly 'fetch.max.bytes': number;
  readonly 'delete.topic.enable': boolean;
}

export interface BrokerConfig {
  readonly nodeId: number;
  readonly listen: HostPort;
  readonly advertised: HostPort;
  readonly dataDir: string;
  readonly http: HostPort;
  /** 'local' or a nats:// URL. */
  readonly metadata: 'local' | { readonly url: string };
  readonly cluster: string;
  readonly rack: string | null;
  readonly settings: BrokerSettings;
}
