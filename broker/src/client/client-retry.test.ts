/**
 * KafkaClient routing and retry against two scripted brokers: a leader move discovered via
 * NOT_LEADER_OR_FOLLOWER, and the write-safety rule for requests that time out.
 */
import type { Socket } from 'node:net';
import { ApiVersions } from '../protocol/messages/api-versions.js';
import { Metadata } from '../protocol/messages/metadata.js';
import { Produce } from '../protocol/messages/produce.js';
import { ErrorCode } from '../protocol/errors.js';
import { KafkaClient } from './client.js';
import { RequestTimeoutError } from './errors.js';
import { responseFrame, startFakePeer, type FakePeer, type FakeRequest } from './test-support/fake-peer.js';

interface Script {
  leader: () => number;
  produce: (nodeId: number, req: FakeRequest, s: Socket) => void;
}

let peers: FakePeer[] = [];
const calls = { metadata: 0, produce: new Map<number, number>() };

async function startCluster(script: Script): Promise<FakePeer[]> {
  const ports: number[] = [];
  const handler = (nodeId: number) => (req: FakeRequest, s: Socket) => {
    switch (req.header.apiKey) {
      case ApiVersions.apiKey:
        s.write(responseFrame(ApiVersions, req, { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }, { apiKey: 3, minVersion: 0, maxVersion: 12 }, { apiKey: 0, minVersion: 3, maxVersion: 9 }] }));
        return;
      case Metadata.apiKey: {
        calls.metadata++;
        const leader = script.leader();
        s.write(
          responseFrame(Metadata, req, {
            brokers: [1, 2].map((id, i) => ({ nodeId: id, host: '127.0.0.1', port: ports[i] ?? 0, rack: null })),
            clusterId: 'fake',
            controllerId: 1,
            topics: [{ errorCode: 0, name: 't', isInternal: false, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: leader, leaderEpoch: leader, replicaNodes: [1, 2], isrNodes: [1, 2], offlineReplicas: [] }] }],
          }),
        );
        return;
      }
      case Produce.apiKey:
        calls.produce.set(nodeId, (calls.produce.get(nodeId) ?? 0) + 1);
        script.produce(nodeId, req, s);
        return;
    }
  };
  peers = [await startFakePeer(handler(1)), await startFakePeer(handler(2))];
  ports.push(...peers.map((p) => p.port));
  return peers;
}

function produceAnswer(req: FakeRequest, errorCode: number, baseOffset: number): Buffer {
  return responseFrame(Produce, req, { responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode, baseOffset, errorMessage: null }] }] });
}

let client: KafkaClient | null = null;
afterEach(async () => {
  await client?.close();
  client = null;
  await Promise.all(peers.map((p) => p.close()));
  peers = [];
  calls.metadata = 0;
  calls.produce.clear();
});

// Zeroed bytes would read as producerId 0 (an idempotent batch, always retried); -1 = plain batch.
const batch = Buffer.alloc(70);
batch.fill(0xff, 43, 51);

it('follows a leader move: NOT_LEADER_OR_FOLLOWER -> metadata refresh -> retry at the new leader', async () => {
  let leader = 1;
  await startCluster({
    leader: () => leader,
    produce: (nodeId, req, s) => {
      if (nodeId === 1) {
        leader = 2; // the next Metadata shows the move
        s.write(produceAnswer(req, ErrorCode.NOT_LEADER_OR_FOLLOWER, -1));
      } else {
        s.write(produceAnswer(req, ErrorCode.NONE, 42));
      }
    },
  });
  client = new KafkaClient({ bootstrap: [`127.0.0.1:${peers[0]?.port}`], retryBackoffMs: 10 });
  const res = await client.produce('t', 0, batch, 1);
  expect(res?.baseOffset).toBe(42);
  expect([calls.produce.get(1), calls.produce.get(2)]).toEqual([1, 1]);
  expect(calls.metadata).toBeGreaterThanOrEqual(2);
  expect(client.cluster.partition('t', 0)?.leaderId).toBe(2);
});

it('does not retry a timed-out write unless told to; then retries until the deadline', async () => {
  await startCluster({ leader: () => 1, produce: () => undefined });
  client = new KafkaClient({ bootstrap: [`127.0.0.1:${peers[0]?.port}`], requestTimeoutMs: 100, retryBackoffMs: 10 });
  const once = await client.produce('t', 0, batch, 1, { timeoutMs: 0 }).catch((e: unknown) => e);
  expect(once).toBeInstanceOf(RequestTimeoutError);
  expect(calls.produce.get(1)).toBe(1);

  const t0 = Date.now();
  const retried = await client.produce('t', 0, batch, 1, { timeoutMs: 0, retryAfterSend: true, deadlineMs: 600 }).catch((e: unknown) => e);
  expect(retried).toBeInstanceOf(RequestTimeoutError);
  expect(calls.produce.get(1)).toBeGreaterThan(2);
  expect(Date.now() - t0).toBeLessThan(1500);
});
