/**
 * The contract every API handler module follows: decode -> domain call -> encode happens
 * around `handle`, which receives the decoded request object and returns the response
 * object (or null for no response, e.g. Produce with acks=0).
 */
import type { Logger } from 'pino';
import type { ApiDefinition } from '../../protocol/schema-types.js';
import type { Controller, MetadataImage } from '../../cluster/types.js';
import type { ReplicaManager } from '../../replication/types.js';
import type { BrokerConfig } from '../../config.js';
import type { GroupCoordinator } from '../../coordinator/group-coordinator.js';
import type { CoordinatorLocation } from '../offsets-topic.js';
import type { BrokerEvents } from '../events.js';

export interface BrokerServices {
  readonly nodeId: number;
  readonly config: BrokerConfig;
  readonly metadata: MetadataImage;
  readonly controller: Controller;
  readonly replicas: ReplicaManager;
  readonly logger: Logger;
  /** The consumer-group coordinator (group handlers call it). */
  readonly groups: GroupCoordinator;
  /** Who leads each __consumer_offsets partition (FindCoordinator). */
  readonly offsetsTopic: { locate(partition: number): CoordinatorLocation };
  /** Metrics hooks (bytes/records in and out); absent where nobody collects them. */
  readonly events?: BrokerEvents;
}

export interface RequestContext {
  readonly broker: BrokerServices;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** e.g. "127.0.0.1:53422-7", for logs. */
  readonly connectionId: string;
}

export interface ApiHandler<Req = unknown, Res = unknown> {
  readonly api: ApiDefinition;
  handle(request: Req, ctx: RequestContext): Promise<Res | null>;
}
