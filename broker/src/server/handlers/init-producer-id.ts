/**
 * InitProducerId (22): idempotent producers get a fresh id from the controller, epoch 0.
 * Transactional producers are refused until the transaction coordinator exists.
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  InitProducerId,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
} from '../../protocol/messages/init-producer-id.js';
import type { ApiHandler } from './types.js';

export const initProducerIdHandler: ApiHandler<InitProducerIdRequest, InitProducerIdResponse> = {
  api: InitProducerId,
  async handle(req, ctx) {
    const fail = (errorCode: number): InitProducerIdResponse => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 });
    if (req.transactionalId !== null && req.transactionalId !== '') {
      // What Kafka answers when the transaction coordinator is unavailable.
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    const producerId = await ctx.broker.controller.allocateProducerId();
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
  },
};
