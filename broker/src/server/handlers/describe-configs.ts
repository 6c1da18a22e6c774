/**
 * DescribeConfigs (32) for TOPIC and BROKER resources, from the metadata image and the
 * broker's own configuration. Broker "" is Kafka's cluster-default entity: only the dynamic
 * cluster-wide overrides are listed for it.
 */
import { errorResult, type ErrorResult } from '../../cluster/admin-errors.js';
import { describeBrokerConfigs, describeTopicConfigs, type DescribedConfig } from '../../cluster/broker-config.js';
import { CONFIG_TYPE_CODE, ConfigSource } from '../../cluster/config-values.js';
import { validateTopicName } from '../../cluster/topic-config.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  ConfigResourceType,
  DescribeConfigs,
  type DescribeConfigsRequest,
  type DescribeConfigsResource,
  type DescribeConfigsResourceResult,
  type DescribeConfigsResponse,
  type DescribeConfigsResult,
} from '../../protocol/messages/describe-configs.js';
import type { ApiHandler, RequestContext } from './types.js';

function entry(c: DescribedConfig, req: DescribeConfigsRequest): DescribeConfigsResourceResult {
  return {
    name: c.name,
    value: c.value,
    readOnly: c.readOnly,
    isDefault: c.isDefault,
    configSource: c.source,
    isSensitive: c.sensitive,
    synonyms: req.includeSynonyms ? c.synonyms.map((s) => ({ name: s.name, value: s.value, source: s.source })) : [],
    configType: CONFIG_TYPE_CODE[c.type],
    documentation: req.includeDocumentation ? c.doc : null,
  };
}

function describe(r: DescribeConfigsResource, ctx: RequestContext): DescribedConfig[] | ErrorResult {
  const b = ctx.broker;
  const dynamic = b.metadata.brokerConfigs();
  switch (r.resourceType) {
    case ConfigResourceType.TOPIC: {
      const invalid = validateTopicName(r.resourceName);
      if (invalid) return errorResult(ErrorCode.INVALID_TOPIC_EXCEPTION, invalid);
      const topic = b.metadata.topic(r.resourceName);
      if (!topic) return errorResult(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${r.resourceName}' does not exist.`);
      return describeTopicConfigs(b.config, dynamic, topic.configs, r.configurationKeys);
    }
    case ConfigResourceType.BROKER: {
      if (r.resourceName === '') {
        return describeBrokerConfigs(b.config, dynamic, r.configurationKeys).filter((c) => c.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
      }
      if (!/^\d+$/.test(r.resourceName)) return errorResult(ErrorCode.INVALID_REQUEST, `Broker id must be an integer, got '${r.resourceName}'`);
      if (Number(r.resourceName) !== b.nodeId) {
        return errorResult(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${b.nodeId} but received ${r.resourceName}`);
      }
      return describeBrokerConfigs(b.config, dynamic, r.configurationKeys);
    }
    case ConfigResourceType.BROKER_LOGGER:
      return []; // no per-logger levels to report
    default:
      return errorResult(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${r.resourceType}`);
  }
}

export const describeConfigsHandler: ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse> = {
  api: DescribeConfigs,
  async handle(req, ctx) {
    const results = req.resources.map((r): DescribeConfigsResult => {
      const out = describe(r, ctx);
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      if (!Array.isArray(out)) return { ...base, ...out, configs: [] };
      return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: out.map((c) => entry(c, req)) };
    });
    return { throttleTimeMs: 0, results };
  },
};
