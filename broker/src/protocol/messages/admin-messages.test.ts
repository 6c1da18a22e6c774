/** Round trips of the admin API schemas at every version, plus hand-built bytes for a few. */
import { decodeFromBuffer, encodeToBuffer } from '../codec.js';
import type { ApiDefinition } from '../schema-types.js';
import { AlterConfigs } from './alter-configs.js';
import { CreatePartitions } from './create-partitions.js';
import { CreateTopics, type CreateTopicsRequest } from './create-topics.js';
import { DeleteRecords } from './delete-records.js';
import { DeleteTopics, type DeleteTopicsRequest } from './delete-topics.js';
import { DescribeCluster } from './describe-cluster.js';
import { DescribeConfigs } from './describe-configs.js';
import { IncrementalAlterConfigs } from './incremental-alter-configs.js';

const ID = '0123456789abcdef0123456789abcdef';
const ZERO = '00000000000000000000000000000000';

type Sample = (v: number) => { req: unknown; res: unknown };

const samples: [ApiDefinition, Sample][] = [
  [
    CreateTopics,
    (v) => ({
      req: {
        topics: [{ name: 't', numPartitions: 3, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }], configs: [{ name: 'retention.ms', value: null }] }],
        timeoutMs: 100,
        validateOnly: v >= 1,
      },
      res: {
        throttleTimeMs: v >= 2 ? 5 : 0,
        topics: [
          {
            name: 't',
            topicId: v >= 7 ? ID : ZERO,
            errorCode: 36,
            errorMessage: v >= 1 ? 'exists' : null,
            topicConfigErrorCode: v >= 5 ? 40 : 0,
            numPartitions: v >= 5 ? 3 : -1,
            replicationFactor: v >= 5 ? 1 : -1,
            configs: v >= 5 ? [{ name: 'a', value: null, readOnly: true, configSource: 5, isSensitive: false }] : null,
          },
        ],
      },
    }),
  ],
  [
    DeleteTopics,
    (v) => ({
      req: {
        topics: v >= 6 ? [{ name: null, topicId: ID }, { name: 'x', topicId: ZERO }] : [],
        topicNames: v < 6 ? ['a', 'b'] : [],
        timeoutMs: 10,
      },
      res: {
        throttleTimeMs: v >= 1 ? 3 : 0,
        responses: [{ name: v >= 6 ? null : 'a', topicId: v >= 6 ? ID : ZERO, errorCode: 3, errorMessage: v >= 5 ? 'gone' : null }],
      },
    }),
  ],
  [
    CreatePartitions,
    () => ({
      req: { topics: [{ name: 't', count: 4, assignments: [{ brokerIds: [0] }] }, { name: 'u', count: 2, assignments: null }], timeoutMs: 1, validateOnly: true },
      res: { throttleTimeMs: 0, results: [{ name: 't', errorCode: 37, errorMessage: 'no' }] },
    }),
  ],
  [
    DescribeConfigs,
    (v) => ({
      req: {
        resources: [{ resourceType: 2, resourceName: 't', configurationKeys: null }, { resourceType: 4, resourceName: '0', configurationKeys: ['a'] }],
        includeSynonyms: v >= 1,
        includeDocumentation: v >= 3,
      },
      res: {
        throttleTimeMs: 0,
        results: [
          {
            errorCode: 0,
            errorMessage: null,
            resourceType: 2,
            resourceName: 't',
            configs: [
              {
                name: 'retention.ms',
                value: '1',
                readOnly: false,
                isDefault: v === 0,
                configSource: v >= 1 ? 1 : -1,
                isSensitive: false,
                synonyms: v >= 1 ? [{ name: 'retention.ms', value: '1', source: 1 }] : [],
                configType: v >= 3 ? 5 : 0,
                documentation: v >= 3 ? 'doc' : null,
              },
            ],
          },
        ],
      },
    }),
  ],
  [
    AlterConfigs,
    () => ({
      req: { resources: [{ resourceType: 2, resourceName: 't', configs: [{ name: 'a', value: '1' }, { name: 'b', value: null }] }], validateOnly: false },
      res: { throttleTimeMs: 0, responses: [{ errorCode: 40, errorMessage: 'bad', resourceType: 2, resourceName: 't' }] },
    }),
  ],
  [
    IncrementalAlterConfigs,
    () => ({
      req: { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'a', configOperation: 2, value: 'x' }] }], validateOnly: true },
      res: { throttleTimeMs: 1, responses: [{ errorCode: 0, errorMessage: null, resourceType: 4, resourceName: '' }] },
    }),
  ],
  [
    DescribeCluster,
    (v) => ({
      req: { includeClusterAuthorizedOperations: true, endpointType: 1 },
      res: {
        throttleTimeMs: 0,
        errorCode: 0,
        errorMessage: null,
        endpointType: 1,
        clusterId: 'abc',
        controllerId: 0,
        brokers: [{ brokerId: 0, host: 'h', port: 9092, rack: v >= 0 ? 'r1' : null }],
        clusterAuthorizedOperations: -2147483648,
      },
    }),
  ],
  [
    DeleteRecords,
    () => ({
      req: { topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: -1 }, { partitionIndex: 1, offset: 2 ** 40 }] }], timeoutMs: 5 },
      res: { throttleTimeMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, lowWatermark: 7, errorCode: 0 }] }] },
    }),
  ],
];

describe.each(samples.map(([api, sample]) => [api.name, api, sample] as const))('%s', (_name, api, sample) => {
  const versions = Array.from({ length: api.maxVersion - api.minVersion + 1 }, (_, i) => api.minVersion + i);
  it.each(versions)('round-trips request and response at v%i', (v) => {
    const { req, res } = sample(v);
    expect(decodeFromBuffer(api.request, v, encodeToBuffer(api.request, v, req))).toEqual(req);
    expect(decodeFromBuffer(api.response, v, encodeToBuffer(api.response, v, res))).toEqual(res);
  });
});

describe('wire bytes', () => {
  it('CreateTopics v1 request (non-flexible)', () => {
    const req: CreateTopicsRequest = { topics: [{ name: 'ab', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [{ name: 'k', value: 'v' }] }], timeoutMs: 1000, validateOnly: true };
    const expected = Buffer.from([
      0, 0, 0, 1, // topics count
      0, 2, 0x61, 0x62, // "ab"
      0, 0, 0, 2, // numPartitions
      0, 1, // replicationFactor
      0, 0, 0, 0, // assignments
      0, 0, 0, 1, 0, 1, 0x6b, 0, 1, 0x76, // configs [k=v]
      0, 0, 0x03, 0xe8, // timeoutMs
      1, // validateOnly
    ]);
    expect(encodeToBuffer(CreateTopics.request, 1, req)).toEqual(expected);
  });

  it('DeleteTopics v6 request (flexible, by id)', () => {
    const req: DeleteTopicsRequest = { topics: [{ name: null, topicId: ID }], topicNames: [], timeoutMs: 1 };
    const expected = Buffer.concat([
      Buffer.from([2, 0]), // compact array of 1; null compact string
      Buffer.from(ID, 'hex'),
      Buffer.from([0]), // struct tagged fields
      Buffer.from([0, 0, 0, 1]), // timeoutMs
      Buffer.from([0]), // top-level tagged fields
    ]);
    expect(encodeToBuffer(DeleteTopics.request, 6, req)).toEqual(expected);
  });

  it('DescribeCluster v0 request is a bool and an empty tag buffer', () => {
    expect(encodeToBuffer(DescribeCluster.request, 0, { includeClusterAuthorizedOperations: false, endpointType: 1 })).toEqual(Buffer.from([0, 0]));
  });

  it('CreateTopics v5 response carries TopicConfigErrorCode as tag 0 only when set', () => {
    const base = { name: 't', topicId: ZERO, errorCode: 0, errorMessage: null, numPartitions: 1, replicationFactor: 1, configs: [] };
    const without = encodeToBuffer(CreateTopics.response, 5, { throttleTimeMs: 0, topics: [{ ...base, topicConfigErrorCode: 0 }] });
    const withTag = encodeToBuffer(CreateTopics.response, 5, { throttleTimeMs: 0, topics: [{ ...base, topicConfigErrorCode: 40 }] });
    expect(withTag.length - without.length).toBe(4); // tag id, size, int16
  });
});
