/**
 * The handler registry: every API this broker serves, by api key. ApiVersions advertises
 * exactly these ranges. A request for a key not listed here closes the connection.
 */
import type { HandlerRegistry } from '../dispatcher.js';
import { alterConfigsHandler } from './alter-configs.js';
import { alterPartitionReassignmentsHandler } from './alter-partition-reassignments.js';
import { electLeadersHandler } from './elect-leaders.js';
import { listPartitionReassignmentsHandler } from './list-partition-reassignments.js';
import { createApiVersionsHandler } from './api-versions.js';
import { createPartitionsHandler } from './create-partitions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteRecordsHandler } from './delete-records.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeClusterHandler } from './describe-cluster.js';
import { describeConfigsHandler } from './describe-configs.js';
import { fetchHandler } from './fetch.js';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { listOffsetsHandler } from './list-offsets.js';
import { metadataHandler } from './metadata.js';
import { produceHandler } from './produce.js';
import { describeGroupsHandler } from './describe-groups.js';
import { deleteGroupsHandler } from './delete-groups.js';
import { findCoordinatorHandler } from './find-coordinator.js';
import { heartbeatHandler } from './heartbeat.js';
import { joinGroupHandler } from './join-group.js';
import { leaveGroupHandler } from './leave-group.js';
import { listGroupsHandler } from './list-groups.js';
import { offsetCommitHandler } from './offset-commit.js';
import { offsetDeleteHandler } from './offset-delete.js';
import { offsetFetchHandler } from './offset-fetch.js';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.js';
import { syncGroupHandler } from './sync-group.js';
import type { ApiHandler } from './types.js';

/** Every handler except ApiVersions, which handlerRegistry() adds over the final set. */
export const HANDLERS: readonly ApiHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  offsetForLeaderEpochHandler,
  metadataHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  initProducerIdHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  createPartitionsHandler,
  incrementalAlterConfigsHandler,
  describeClusterHandler,
  // Replicated cluster: reassignments and leader elections (through the controller).
  alterPartitionReassignmentsHandler,
  listPartitionReassignmentsHandler,
  electLeadersHandler,
  // Consumer groups (coordinator/).
  findCoordinatorHandler,
  joinGroupHandler,
  syncGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  describeGroupsHandler,
  listGroupsHandler,
  deleteGroupsHandler,
  offsetDeleteHandler,
];

/** Api key -> handler; `extra` adds handlers owned by later layers (e.g. the group coordinator). */
export function handlerRegistry(extra: readonly ApiHandler[] = []): HandlerRegistry {
  const m = new Map<number, ApiHandler>();
  const apiVersions = createApiVersionsHandler(() => [...m.values()].map((h) => h.api));
  for (const h of [...HANDLERS, ...extra, apiVersions]) {
    if (m.has(h.api.apiKey)) throw new Error(`two handlers for api key ${h.api.apiKey}`);
    m.set(h.api.apiKey, h);
  }
  return m;
}
