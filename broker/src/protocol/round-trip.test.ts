/**
 * Every request and response of every API, at every version in its validVersions:
 * decode(encode(x)) equals x, and re-encoding the decoded value gives the same bytes.
 * Three seeds per version so each nullable field is seen both null and non-null.
 */
import type { ApiDefinition } from './schema-types.js';
import { decodeFromBuffer, encodeToBuffer } from './codec.js';
import { inVersionRange } from './versions.js';
import { isFlexibleVersion } from './headers.js';
import { everyVersionCases, sampleMessage, schemasOf, versionsOf } from './test-support/sample-message.js';
import { ApiVersions } from './messages/api-versions.js';
import { Metadata } from './messages/metadata.js';
import { Produce } from './messages/produce.js';
import { Fetch } from './messages/fetch.js';
import { ListOffsets } from './messages/list-offsets.js';
import { InitProducerId } from './messages/init-producer-id.js';
import { CreateTopics } from './messages/create-topics.js';
import { DeleteTopics } from './messages/delete-topics.js';
import { CreatePartitions } from './messages/create-partitions.js';
import { DescribeConfigs } from './messages/describe-configs.js';
import { AlterConfigs } from './messages/alter-configs.js';
import { IncrementalAlterConfigs } from './messages/incremental-alter-configs.js';
import { DescribeCluster } from './messages/describe-cluster.js';
import { DeleteRecords } from './messages/delete-records.js';
import { FindCoordinator } from './messages/find-coordinator.js';
import { JoinGroup } from './messages/join-group.js';
import { SyncGroup } from './messages/sync-group.js';
import { Heartbeat } from './messages/heartbeat.js';
import { LeaveGroup } from './messages/leave-group.js';
import { OffsetCommit } from './messages/offset-commit.js';
import { OffsetFetch } from './messages/offset-fetch.js';
import { DescribeGroups } from './messages/describe-groups.js';
import { ListGroups } from './messages/list-groups.js';
import { DeleteGroups } from './messages/delete-groups.js';
import { OffsetDelete } from './messages/offset-delete.js';
import { OffsetForLeaderEpoch } from './messages/offset-for-leader-epoch.js';
import { AlterPartitionReassignments } from './messages/alter-partition-reassignments.js';
import { ListPartitionReassignments } from './messages/list-partition-reassignments.js';
import { ElectLeaders } from './messages/elect-leaders.js';
import {
  GroupMetadataKeySchema,
  GroupMetadataValueSchema,
  OffsetCommitKeySchema,
  OffsetCommitValueSchema,
} from './messages/consumer-offsets-records.js';

const core: ApiDefinition[] = [ApiVersions, Metadata, Produce, Fetch, ListOffsets, InitProducerId];
const admin: ApiDefinition[] = [
  CreateTopics,
  DeleteTopics,
  CreatePartitions,
  DescribeConfigs,
  AlterConfigs,
  IncrementalAlterConfigs,
  DescribeCluster,
  DeleteRecords,
];
const groups: ApiDefinition[] = [
  FindCoordinator,
  JoinGroup,
  SyncGroup,
  Heartbeat,
  LeaveGroup,
  OffsetCommit,
  OffsetFetch,
  DescribeGroups,
  ListGroups,
  DeleteGroups,
  OffsetDelete,
];
const replication: ApiDefinition[] = [OffsetForLeaderEpoch, AlterPartitionReassignments, ListPartitionReassignments, ElectLeaders];
const apis = [...core, ...admin, ...groups, ...replication];
const internalRecords = [OffsetCommitKeySchema, GroupMetadataKeySchema, OffsetCommitValueSchema, GroupMetadataValueSchema];

describe('round-trip every schema at every version', () => {
  it.each(everyVersionCases([...schemasOf(apis), ...internalRecords]))('%s', (_label, schema, version) => {
    for (let seed = version; seed < version + 3; seed++) {
      const value = sampleMessage(schema, version, seed);
      const bytes = encodeToBuffer(schema, version, value);
      const decoded = decodeFromBuffer<Record<string, unknown>>(schema, version, bytes);
      expect(decoded).toEqual(value);
      expect(encodeToBuffer(schema, version, decoded).equals(bytes)).toBe(true);
    }
  });
});

describe('API definitions', () => {
  it('advertised ranges are inside validVersions of both request and response', () => {
    for (const api of apis) {
      for (const schema of [api.request, api.response]) {
        expect([schema.name, inVersionRange(schema.validVersions, api.minVersion)]).toEqual([schema.name, true]);
        expect([schema.name, inVersionRange(schema.validVersions, api.maxVersion)]).toEqual([schema.name, true]);
      }
    }
  });

  it('request and response agree on key, versions and flexibility', () => {
    for (const api of apis) {
      expect([api.name, api.request.apiKey, api.response.apiKey]).toEqual([api.name, api.apiKey, api.apiKey]);
      expect([api.name, api.request.type, api.response.type]).toEqual([api.name, 'request', 'response']);
      expect([api.name, api.response.validVersions]).toEqual([api.name, api.request.validVersions]);
      expect([api.name, api.response.flexibleVersions]).toEqual([api.name, api.request.flexibleVersions]);
    }
  });

  it("headers.ts's flexible-version table agrees with every schema (it picks the header version)", () => {
    for (const api of apis) {
      for (const v of versionsOf(api.request)) {
        expect([api.name, v, isFlexibleVersion(api.apiKey, v)]).toEqual([api.name, v, inVersionRange(api.request.flexibleVersions, v)]);
      }
    }
  });

  it('api keys are unique', () => {
    const keys = apis.map((a) => a.apiKey);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
