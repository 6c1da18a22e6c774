/**
 * The tagged `currentLeader` field exists only from Fetch v12 / Produce v10 (this broker
 * serves Produce 3-9, so only the older-version path is reachable for Produce). On a partition
 * error at an older version the handlers must leave it unset: the codec refuses a non-default
 * value it cannot encode ("currentLeader is not supported at version 4 ..."), which used to
 * close the connection instead of answering with the partition's error code.
 *
 * A real in-process broker, raw requests at chosen versions through our codec.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startBroker, type RunningBroker } from '../../broker.js';
import { Keys, PartitionStateSchema } from '../../cluster/keys.js';
import type { MetadataStore } from '../../cluster/types.js';
import { parseBrokerArgs } from '../../config.js';
import { decodeMessage, encodeMessage } from '../../protocol/codec.js';
import { ErrorCode } from '../../protocol/errors.js';
import { decodeResponseHeader, encodeRequestHeader, responseHeaderVersion } from '../../protocol/headers.js';
import { Fetch, type FetchPartitionData, type FetchRequest, type FetchResponse } from '../../protocol/messages/fetch.js';
import { Produce, type ProducePartitionResponse, type ProduceResponse } from '../../protocol/messages/produce.js';
import { Reader, Writer } from '../../protocol/primitives.js';
import { buildBatchSync } from '../../protocol/records/record-codec.js';
import type { ApiDefinition } from '../../protocol/schema-types.js';

/** One request per connection; resolves to the decoded body, or 'closed' if the broker hangs up. */
function requestOnce<T>(port: number, api: ApiDefinition, version: number, body: unknown): Promise<T | 'closed'> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (v: T | 'closed'): void => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(v);
    };
    socket.on('connect', () => {
      const w = new Writer();
      encodeRequestHeader(w, { apiKey: api.apiKey, apiVersion: version, correlationId: 42, clientId: 'current-leader-test' });
      encodeMessage(api.request, version, body, w);
      const payload = w.toBuffer();
      const size = Buffer.alloc(4);
      size.writeInt32BE(payload.length);
      socket.write(Buffer.concat([size, payload]));
    });
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      try {
        const r = new Reader(buf.subarray(4, 4 + buf.readInt32BE(0)));
        expect(decodeResponseHeader(r, responseHeaderVersion(api.apiKey, version))).toBe(42);
        finish(decodeMessage<T>(api.response, version, r));
      } catch (err) {
        done = true;
        socket.destroy();
        reject(err as Error);
      }
    });
    socket.on('close', () => finish('closed'));
    socket.on('error', () => finish('closed'));
  });
}

const fetchRequest = (topic: string, currentLeaderEpoch: number): FetchRequest => ({
  clusterId: null,
  replicaId: -1,
  replicaState: { replicaId: -1, replicaEpoch: -1 },
  maxWaitMs: 0,
  minBytes: 1,
  maxBytes: 1 << 20,
  isolationLevel: 0,
  sessionId: 0,
  sessionEpoch: -1,
  topics: [
    {
      topic,
      topicId: '00000000000000000000000000000000',
      partitions: [{ partition: 0, currentLeaderEpoch, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: '00000000000000000000000000000000' }],
    },
  ],
  forgottenTopicsData: [],
  rackId: '',
});

let dir: string;
let broker: RunningBroker;
/** Leader epoch of `led-here` partition 0 (led by this broker). */
let ledEpoch: number;
/** Leader epoch of `led-elsewhere` partition 0 (moved to broker 1, so NOT_LEADER here). */
let movedEpoch: number;

async function fetchPartition(version: number, topic: string, currentLeaderEpoch = -1): Promise<FetchPartitionData | 'closed'> {
  const res = await requestOnce<FetchResponse>(broker.port, Fetch, version, fetchRequest(topic, currentLeaderEpoch));
  if (res === 'closed') return 'closed';
  const part = res.responses[0]?.partitions[0];
  if (part === undefined) throw new Error('no partition in the response');
  return part;
}

async function producePartition(version: number, topic: string): Promise<ProducePartitionResponse | 'closed'> {
  const records = buildBatchSync({ records: [{ key: null, value: Buffer.from('v'), timestamp: 1 }] });
  const res = await requestOnce<ProduceResponse>(broker.port, Produce, version, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  if (res === 'closed') return 'closed';
  const part = res.responses[0]?.partitionResponses[0];
  if (part === undefined) throw new Error('no partition in the response');
  return part;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strand-current-leader-'));
  const config = parseBrokerArgs(['--listen', '127.0.0.1:0', '--data-dir', dir], {});
  broker = await startBroker(config, pino({ level: 'silent' }));
  const { controller, metadata, replicas } = broker.services;
  const spec = (name: string) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: {} });
  await controller.createTopic(spec('led-here'), false);
  await controller.createTopic(spec('led-elsewhere'), false);
  ledEpoch = metadata.topic('led-here')?.partitions[0]?.leaderEpoch ?? -1;

  // Move `led-elsewhere` to a broker 1 (as a completed reassignment would): the image still
  // knows the partition, so errors here name broker 1 as currentLeader (non-default).
  const store = (controller as unknown as { opts: { store: MetadataStore } }).opts.store;
  const key = Keys.partition('led-elsewhere', 0);
  const entry = await store.get(key);
  const state = PartitionStateSchema.parse(entry?.value);
  movedEpoch = state.leaderEpoch + 1;
  await store.update(key, { ...state, replicas: [1], isr: [1], leader: 1, leaderEpoch: movedEpoch, partitionEpoch: state.partitionEpoch + 1 }, entry?.revision ?? -1);
  const deadline = Date.now() + 5000;
  while (replicas.partition('led-elsewhere', 0) !== undefined || metadata.topic('led-elsewhere')?.partitions[0]?.leader !== 1) {
    if (Date.now() > deadline) throw new Error('partition move not applied');
    await new Promise((r) => setTimeout(r, 10));
  }
});

afterAll(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Fetch partition errors across versions', () => {
  it.each([4, 11])('v%i: a partition led elsewhere answers NOT_LEADER_OR_FOLLOWER, connection kept', async (version) => {
    const part = await fetchPartition(version, 'led-elsewhere');
    expect(part).not.toBe('closed');
    expect(part).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
  });

  it('v11: a leader epoch newer than ours answers UNKNOWN_LEADER_EPOCH, connection kept', async () => {
    const part = await fetchPartition(11, 'led-here', ledEpoch + 5);
    expect(part).not.toBe('closed');
    expect(part).toMatchObject({ errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH });
  });

  it('v12 carries currentLeader from the image', async () => {
    expect(await fetchPartition(12, 'led-elsewhere')).toMatchObject({
      errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
      currentLeader: { leaderId: 1, leaderEpoch: movedEpoch },
    });
    expect(await fetchPartition(12, 'led-here', ledEpoch + 5)).toMatchObject({
      errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH,
      currentLeader: { leaderId: 0, leaderEpoch: ledEpoch },
    });
  });

  it('a good fetch still works after the errors', async () => {
    expect(await fetchPartition(4, 'led-here')).toMatchObject({ errorCode: 0 });
  });
});

// This broker serves Produce 3-9, all below the v10 that added currentLeader.
describe('Produce partition errors across versions', () => {
  it.each([3, 9])('v%i: a partition led elsewhere answers NOT_LEADER_OR_FOLLOWER, connection kept', async (version) => {
    const part = await producePartition(version, 'led-elsewhere');
    expect(part).not.toBe('closed');
    expect(part).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
  });

  it('a good produce still works after the errors', async () => {
    expect(await producePartition(9, 'led-here')).toMatchObject({ errorCode: 0, baseOffset: 0 });
  });
});
