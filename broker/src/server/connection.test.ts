/**
 * Regression (cluster-failover "kill -9 of the leader", p0 stuck for 30 s): a Metadata request
 * pipelined behind a parked acks=all Produce must be answered from the image as it is when the
 * answer can be sent, not as it was when the request arrived. Otherwise the client receives,
 * seconds late, a leader it already knows to be superseded (librdkafka 2.0 then moves the
 * partition back to the dead broker and stays there).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, Socket, type Server } from 'node:net';
import pino from 'pino';
import type { WriterOutput } from '../protocol/primitives.js';
import { Connection, handledInOrder, type RequestDispatcher } from './connection.js';

const PRODUCE = 0;
const METADATA = 3;

/** A request frame with the size prefix: api key, version, correlation id (enough for the fake). */
function frame(apiKey: number, correlationId: number): Buffer {
  const b = Buffer.alloc(4 + 8);
  b.writeInt32BE(8, 0);
  b.writeInt16BE(apiKey, 4);
  b.writeInt16BE(0, 6);
  b.writeInt32BE(correlationId, 8);
  return b;
}

function response(correlationId: number, value: number): WriterOutput {
  const b = Buffer.alloc(12);
  b.writeInt32BE(8, 0);
  b.writeInt32BE(correlationId, 4);
  b.writeInt32BE(value, 8);
  return { chunks: [b], size: b.length };
}

/** Produce parks until released; Metadata answers with the "leader" at the time it is handled. */
class FakeDispatcher implements RequestDispatcher {
  leader = 2;
  readonly handled: number[] = [];
  private release: (() => void) | null = null;

  async dispatch(f: Buffer): Promise<WriterOutput | null> {
    const apiKey = f.readInt16BE(0);
    const corr = f.readInt32BE(4);
    this.handled.push(apiKey);
    if (apiKey === PRODUCE) {
      await new Promise<void>((r) => (this.release = r));
      return response(corr, -1);
    }
    return response(corr, this.leader);
  }

  releaseProduce(): void {
    this.release?.();
  }
}

let server: Server | null = null;
let client: Socket | null = null;
afterEach(async () => {
  client?.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
  client = null;
});

async function connect(dispatcher: RequestDispatcher): Promise<{ client: Socket; received: () => Buffer }> {
  const srv = createServer((s) => new Connection('test', s, dispatcher, pino({ level: 'silent' }), { maxFrameBytes: 1 << 20, maxInFlight: 16 }));
  server = srv;
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const address = srv.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const c = new Socket();
  client = c;
  const chunks: Buffer[] = [];
  c.on('data', (d: Buffer) => chunks.push(d));
  await new Promise<void>((r) => c.connect(address.port, '127.0.0.1', () => r()));
  return { client: c, received: () => Buffer.concat(chunks) };
}

const waitFor = async (cond: () => boolean, ms = 2000): Promise<void> => {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('handledInOrder', () => {
  it('holds image views (Metadata, FindCoordinator, DescribeCluster) and nothing else', () => {
    const f = (k: number) => frame(k, 1).subarray(4);
    expect([3, 10, 60].map((k) => handledInOrder(f(k)))).toEqual([true, true, true]);
    expect([0, 1, 2, 18, 19, 22].map((k) => handledInOrder(f(k)))).toEqual([false, false, false, false, false, false]);
    expect(handledInOrder(Buffer.alloc(1))).toBe(false);
  });
});

describe('Connection', () => {
  it('answers a Metadata request queued behind a parked Produce from the image at send time', async () => {
    const d = new FakeDispatcher();
    const { client: c, received } = await connect(d);
    c.write(Buffer.concat([frame(PRODUCE, 1), frame(METADATA, 2)]));
    await waitFor(() => d.handled.length >= 1);
    await new Promise((r) => setTimeout(r, 30));
    // Not handled while the produce before it is parked (the old code answered here, with leader 2).
    expect(d.handled).toEqual([PRODUCE]);

    d.leader = 1; // the failover happens while the produce waits
    d.releaseProduce();
    await waitFor(() => received().length >= 24);
    const buf = received();
    expect([buf.readInt32BE(4), buf.readInt32BE(8)]).toEqual([1, -1]);
    expect([buf.readInt32BE(16), buf.readInt32BE(20)]).toEqual([2, 1]); // metadata saw the new leader
  });

  it('still pipelines everything else, and a Metadata request with nothing before it runs at once', async () => {
    const d = new FakeDispatcher();
    const { client: c, received } = await connect(d);
    c.write(frame(METADATA, 1));
    await waitFor(() => received().length >= 12);
    expect(received().readInt32BE(8)).toBe(2);
    c.write(Buffer.concat([frame(PRODUCE, 2), frame(1, 3)])); // a Fetch behind the produce is dispatched at once
    await waitFor(() => d.handled.length >= 3);
    expect(d.handled).toEqual([METADATA, PRODUCE, 1]);
    d.releaseProduce();
    await waitFor(() => received().length >= 36);
  });
});
