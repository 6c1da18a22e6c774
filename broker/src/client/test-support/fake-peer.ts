/**
 * Test support: a tiny Kafka-ish TCP server on 127.0.0.1 whose behaviour each test scripts
 * (answer, stay silent, send garbage, close mid-frame), for the failure modes a real broker
 * will not produce on demand.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { ApiDefinition } from '../../protocol/schema-types.js';
import { encodeMessage } from '../../protocol/codec.js';
import { decodeRequestHeader, encodeResponseHeader, responseHeaderVersion, type RequestHeader } from '../../protocol/headers.js';
import { Reader, Writer } from '../../protocol/primitives.js';

export interface FakeRequest {
  readonly header: RequestHeader;
  /** The body, not decoded. */
  readonly body: Reader;
}

export type FakeHandler = (req: FakeRequest, socket: Socket) => void;

export interface FakePeer {
  readonly port: number;
  readonly requests: FakeRequest[];
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

export async function startFakePeer(handler: FakeHandler): Promise<FakePeer> {
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        const r = new Reader(frame);
        const header = decodeRequestHeader(r);
        const req = { header, body: r };
        requests.push(req);
        handler(req, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    port,
    requests,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A complete response frame (size prefix, header, body) for `req`. */
export function responseFrame(api: ApiDefinition, req: FakeRequest, body: object, correlationId = req.header.correlationId): Buffer {
  const w = new Writer();
  encodeResponseHeader(w, correlationId, responseHeaderVersion(api.apiKey, req.header.apiVersion));
  encodeMessage(api.response, req.header.apiVersion, body, w);
  const payload = w.toBuffer();
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(payload.length, 0);
  return Buffer.concat([prefix, payload]);
}

/** A frame with arbitrary payload bytes. */
export function rawFrame(payload: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(payload.length, 0);
  return Buffer.concat([prefix, payload]);
}
