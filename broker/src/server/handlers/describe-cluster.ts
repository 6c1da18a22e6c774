/** DescribeCluster (60): brokers, controller and cluster id from the metadata image. */
import { ErrorCode } from '../../protocol/errors.js';
import {
  DescribeCluster,
  EndpointType,
  type DescribeClusterRequest,
  type DescribeClusterResponse,
} from '../../protocol/messages/describe-cluster.js';
import type { ApiHandler } from './types.js';

/** Without an authorizer every cluster operation is allowed (bit per AclOperation code). */
const CLUSTER_OPERATIONS = [5, 7, 8, 9, 10, 11, 12].reduce((m, op) => m | (1 << op), 0);
const OMITTED = -2147483648;

export const describeClusterHandler: ApiHandler<DescribeClusterRequest, DescribeClusterResponse> = {
  api: DescribeCluster,
  async handle(req, ctx) {
    const image = ctx.broker.metadata;
    const base = {
      throttleTimeMs: 0,
      endpointType: req.endpointType,
      clusterId: image.clusterId,
      controllerId: image.controllerId,
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : OMITTED,
    };
    // Brokers serve the broker endpoint only; controller endpoints are asked of controllers.
    if (ctx.apiVersion >= 1 && req.endpointType !== EndpointType.BROKERS) {
      return {
        ...base,
        errorCode: ErrorCode.MISMATCHED_ENDPOINT_TYPE,
        errorMessage: `The request was sent to an endpoint of type BROKERS, but it requested endpoint type ${req.endpointType}`,
        brokers: [],
      };
    }
    return {
      ...base,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      brokers: image.brokers().map((b) => ({ brokerId: b.id, host: b.host, port: b.port, rack: b.rack })),
    };
  },
};
