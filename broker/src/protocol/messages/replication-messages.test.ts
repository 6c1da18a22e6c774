/**
 * Wire facts of the replication/reassignment APIs that the generic round-trip test cannot
 * see: field order and presence per version, compact nulls, and the options that must not
 * be silently dropped at versions lacking them.
 */
import { encodeToBuffer, decodeFromBuffer } from '../codec.js';
import { isFlexibleVersion } from '../headers.js';
import { OffsetForLeaderEpoch, type OffsetForLeaderEpochRequest } from './offset-for-leader-epoch.js';
import { AlterPartitionReassignments } from './alter-partition-reassignments.js';
import { ListPartitionReassignments } from './list-partition-reassignments.js';
import { ElectLeaders, ElectionType } from './elect-leaders.js';

const olepReq: OffsetForLeaderEpochRequest = {
  replicaId: 3,
  topics: [{ topic: 't', partitions: [{ partition: 1, currentLeaderEpoch: 7, leaderEpoch: 5 }] }],
};

describe('OffsetForLeaderEpoch', () => {
  it('v2 has no replicaId and drops it silently (ignorable)', () => {
    const b = encodeToBuffer(OffsetForLeaderEpoch.request, 2, olepReq);
    // topics int32 count, string "t", partitions count, partition, currentLeaderEpoch, leaderEpoch
    expect(b.toString('hex')).toBe('00000001' + '000174' + '00000001' + '00000001' + '00000007' + '00000005');
    expect(decodeFromBuffer<OffsetForLeaderEpochRequest>(OffsetForLeaderEpoch.request, 2, b).replicaId).toBe(-2);
  });

  it('v3 puts replicaId first; v4 is compact with tagged sections', () => {
    expect(encodeToBuffer(OffsetForLeaderEpoch.request, 3, olepReq).subarray(0, 4).readInt32BE(0)).toBe(3);
    const v4 = encodeToBuffer(OffsetForLeaderEpoch.request, 4, olepReq);
    expect(v4.toString('hex')).toBe('00000003' + '02' + '0274' + '02' + '00000001' + '00000007' + '00000005' + '00' + '00' + '00');
    expect(isFlexibleVersion(23, 4)).toBe(true);
    expect(isFlexibleVersion(23, 3)).toBe(false);
  });

  it('advertises 2-4', () => {
    expect([OffsetForLeaderEpoch.minVersion, OffsetForLeaderEpoch.maxVersion]).toEqual([2, 4]);
  });
});

describe('AlterPartitionReassignments', () => {
  it('v0 encodes null replicas (cancel) as a compact null', () => {
    const b = encodeToBuffer(AlterPartitionReassignments.request, 0, {
      timeoutMs: 1000,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, replicas: null }] }],
    });
    expect(b.toString('hex')).toBe('000003e8' + '02' + '0274' + '02' + '00000000' + '00' + '00' + '00' + '00');
  });

  it('allowReplicationFactorChange=false cannot be sent at v0; v1 carries it after timeoutMs', () => {
    const body = { timeoutMs: 1, allowReplicationFactorChange: false, topics: [] };
    expect(() => encodeToBuffer(AlterPartitionReassignments.request, 0, body)).toThrow(/not supported at version 0/);
    expect(encodeToBuffer(AlterPartitionReassignments.request, 1, body).toString('hex')).toBe('00000001' + '00' + '01' + '00');
    expect(encodeToBuffer(AlterPartitionReassignments.request, 1, { ...body, allowReplicationFactorChange: true })[4]).toBe(1);
  });
});

describe('ListPartitionReassignments', () => {
  it('null topics = all', () => {
    expect(encodeToBuffer(ListPartitionReassignments.request, 0, { timeoutMs: 5, topics: null }).toString('hex')).toBe('00000005' + '00' + '00');
  });
});

describe('ElectLeaders', () => {
  it('v0 cannot carry an unclean election; v1 starts with the election type', () => {
    const body = { electionType: ElectionType.UNCLEAN, topicPartitions: null, timeoutMs: 10 };
    expect(() => encodeToBuffer(ElectLeaders.request, 0, body)).toThrow(/electionType/);
    expect(encodeToBuffer(ElectLeaders.request, 1, body).toString('hex')).toBe('01' + 'ffffffff' + '0000000a');
    expect(encodeToBuffer(ElectLeaders.request, 2, body).toString('hex')).toBe('01' + '00' + '0000000a' + '00');
  });

  it('the response error code exists from v1', () => {
    const res = { throttleTimeMs: 0, errorCode: 0, replicaElectionResults: [] };
    expect(encodeToBuffer(ElectLeaders.response, 0, res).length).toBe(8);
    expect(encodeToBuffer(ElectLeaders.response, 1, res).length).toBe(10);
  });
});
