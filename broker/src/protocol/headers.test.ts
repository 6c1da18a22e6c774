import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeMessage, encodeMessage } from './codec.js';
import {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
  requestHeaderVersion,
  responseHeaderVersion,
} from './headers.js';
import { Reader, Writer } from './primitives.js';
import { ApiVersions, type ApiVersionsRequest } from './messages/api-versions.js';

const fixtureDir = fileURLToPath(new URL('../../../test/fixtures/protocol/', import.meta.url));

function loadHex(name: string): Buffer {
  return Buffer.from(readFileSync(fixtureDir + name, 'utf8').trim(), 'hex');
}

describe('header versions', () => {
  it('follows flexible versions, with ApiVersions responses always v0', () => {
    expect(requestHeaderVersion(0, 8)).toBe(1);
    expect(requestHeaderVersion(0, 9)).toBe(2);
    expect(requestHeaderVersion(1, 12)).toBe(2);
    expect(requestHeaderVersion(3, 8)).toBe(1);
    expect(requestHeaderVersion(18, 3)).toBe(2);
    expect(requestHeaderVersion(18, 7)).toBe(2);
    expect(responseHeaderVersion(18, 3)).toBe(0);
    expect(responseHeaderVersion(3, 9)).toBe(1);
    expect(responseHeaderVersion(3, 8)).toBe(0);
    expect(responseHeaderVersion(22, 2)).toBe(1);
    expect(responseHeaderVersion(60, 0)).toBe(1);
  });

  it('round-trips request and response headers', () => {
    for (const [apiKey, apiVersion] of [
      [0, 3],
      [0, 9],
      [18, 0],
    ] as const) {
      const w = new Writer();
      encodeRequestHeader(w, { apiKey, apiVersion, correlationId: 42, clientId: 'c' });
      const h = decodeRequestHeader(new Reader(w.toBuffer()));
      expect(h).toEqual({ apiKey, apiVersion, correlationId: 42, clientId: 'c', headerVersion: requestHeaderVersion(apiKey, apiVersion) });
    }
    const w = new Writer();
    encodeResponseHeader(w, 7, 1);
    expect([...w.toBuffer()]).toEqual([0, 0, 0, 7, 0]);
    expect(decodeResponseHeader(new Reader(w.toBuffer()), 1)).toBe(7);
  });

  it('keeps clientId a non-compact string in header v2 and skips header tags', () => {
    const buf = Buffer.from([0, 18, 0, 3, 0, 0, 0, 5, 0, 1, 0x78, 1, 0, 2, 0xaa, 0xbb, 0x99]);
    const r = new Reader(buf);
    expect(decodeRequestHeader(r)).toEqual({ apiKey: 18, apiVersion: 3, correlationId: 5, clientId: 'x', headerVersion: 2 });
    expect(r.remaining).toBe(1);
    expect(r.readInt8()).toBe(0x99 - 256);
  });
});

describe('captured client ApiVersions requests', () => {
  it.each([
    ['kcat-apiversions.hex', 3, 'rdkafka', { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' }],
    ['kafkajs-apiversions.hex', 2, 'strand-capture', { clientSoftwareName: '', clientSoftwareVersion: '' }],
  ] as const)('%s decodes and re-encodes byte-identically', (file, version, clientId, body) => {
    const frame = loadHex(file);
    const r = new Reader(frame);
    const h = decodeRequestHeader(r);
    expect(h.apiKey).toBe(18);
    expect(h.apiVersion).toBe(version);
    expect(h.clientId).toBe(clientId);
    const req = decodeMessage<ApiVersionsRequest>(ApiVersions.request, h.apiVersion, r);
    expect(r.remaining).toBe(0);
    expect(req).toEqual(body);
    const w = new Writer();
    encodeRequestHeader(w, h);
    encodeMessage(ApiVersions.request, h.apiVersion, req, w);
    expect(w.toBuffer().toString('hex')).toBe(frame.toString('hex'));
  });
});
