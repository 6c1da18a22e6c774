/**
 * FindCoordinator (10), v0-4: the coordinator of a group is the leader of
 * __consumer_offsets-partitionFor(groupId). The first request creates the topic (as Kafka
 * does). v4 batches keys. Transactional ids get COORDINATOR_NOT_AVAILABLE until the
 * transaction coordinator exists.
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  COORDINATOR_KEY_TYPE_GROUP,
  COORDINATOR_KEY_TYPE_TRANSACTION,
  FindCoordinator,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type FindCoordinatorResponseCoordinator,
} from '../../protocol/messages/find-coordinator.js';
import type { ApiHandler, RequestContext } from './types.js';

function failed(key: string, errorCode: number, errorMessage: string): FindCoordinatorResponseCoordinator {
  return { key, nodeId: -1, host: '', port: -1, errorCode, errorMessage };
}

async function findOne(key: string, keyType: number, ctx: RequestContext): Promise<FindCoordinatorResponseCoordinator> {
  if (keyType === COORDINATOR_KEY_TYPE_TRANSACTION) return failed(key, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'Transactions are not supported yet.');
  if (keyType !== COORDINATOR_KEY_TYPE_GROUP) return failed(key, ErrorCode.INVALID_REQUEST, `Unknown coordinator key type ${keyType}.`);
  const b = ctx.broker;
  try {
    await b.groups.ensureTopic();
  } catch (err) {
    b.logger.warn({ err }, `creating __consumer_offsets failed`);
    return failed(key, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
  }
  return { key, ...b.offsetsTopic.locate(b.groups.partitionFor(key)) };
}

export const findCoordinatorHandler: ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse> = {
  api: FindCoordinator,
  async handle(req, ctx) {
    if (ctx.apiVersion >= 4) {
      const coordinators = await Promise.all(req.coordinatorKeys.map((k) => findOne(k, req.keyType, ctx)));
      // The v0-3 single-key fields must keep their defaults: the codec refuses others at v4.
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, nodeId: 0, host: '', port: 0, coordinators };
    }
    const c = await findOne(req.key, req.keyType, ctx);
    return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port, coordinators: [] };
  },
};
