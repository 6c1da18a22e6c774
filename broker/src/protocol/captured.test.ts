/**
 * Regression test on frames captured from real clients (kcat, kafkajs, confluent-kafka-python,
 * kafka-python) by test/integration/captured-frames.test.ts (regenerate with
 * STRAND_WRITE_CAPTURED_FIXTURES=1): each request and response must decode with our schemas at
 * the captured version and re-encode byte-identically. No broker needed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeMessage, encodeMessage } from './codec.js';
import { decodeRequestHeader, decodeResponseHeader, encodeRequestHeader, encodeResponseHeader, responseHeaderVersion } from './headers.js';
import { Reader, Writer } from './primitives.js';
import type { ApiDefinition } from './schema-types.js';

const fixtureDir = fileURLToPath(new URL('../../../test/fixtures/captured/', import.meta.url));
const messagesDir = fileURLToPath(new URL('./messages/', import.meta.url));

interface CapturedFixture {
  readonly client: string;
  readonly api: string;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly request: string;
  readonly response: string | null;
}

function isApiDefinition(v: unknown): v is ApiDefinition {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.apiKey === 'number' && typeof o.name === 'string' && typeof o.request === 'object' && typeof o.response === 'object';
}

/** Every ApiDefinition exported by messages/*.ts, by api key. */
async function loadApis(): Promise<Map<number, ApiDefinition>> {
  const apis = new Map<number, ApiDefinition>();
  for (const file of readdirSync(messagesDir)) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    const mod = (await import(`./messages/${file.replace(/\.ts$/, '.js')}`)) as Record<string, unknown>;
    for (const v of Object.values(mod)) if (isApiDefinition(v)) apis.set(v.apiKey, v);
  }
  return apis;
}

function loadFixtures(): Array<[string, CapturedFixture]> {
  return readdirSync(fixtureDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(fixtureDir + f, 'utf8')) as CapturedFixture]);
}

function firstDiff(wire: Buffer, ours: Buffer): string {
  let i = 0;
  while (i < wire.length && i < ours.length && wire[i] === ours[i]) i++;
  return `differs at byte ${i}: wire ${wire.subarray(i, i + 24).toString('hex')} vs ours ${ours.subarray(i, i + 24).toString('hex')}`;
}

const fixtures = loadFixtures();
let apis = new Map<number, ApiDefinition>();

beforeAll(async () => {
  apis = await loadApis();
});

describe('captured real-client frames (fixtures)', () => {
  it('has a sample from every client', () => {
    const clients = new Set(fixtures.map(([, f]) => f.client));
    expect([...clients].sort()).toEqual(['confluent-python', 'kafka-python', 'kafkajs', 'kcat']);
    expect(fixtures.length).toBeGreaterThanOrEqual(30);
  });

  it.each(fixtures)('%s: request and response re-encode byte-identically', (_file, fx) => {
    const api = apis.get(fx.apiKey);
    if (api === undefined) throw new Error(`no ApiDefinition for api key ${fx.apiKey} (${fx.api})`);
    expect(api.name).toBe(fx.api);

    const req = Buffer.from(fx.request, 'hex');
    const r = new Reader(req);
    const h = decodeRequestHeader(r);
    expect([h.apiKey, h.apiVersion]).toEqual([fx.apiKey, fx.apiVersion]);
    const body = decodeMessage<unknown>(api.request, h.apiVersion, r);
    expect(r.remaining).toBe(0);
    const w = new Writer();
    encodeRequestHeader(w, h);
    encodeMessage(api.request, h.apiVersion, body, w);
    const reqOut = w.toBuffer();
    if (!reqOut.equals(req)) throw new Error(`request ${firstDiff(req, reqOut)}`);

    if (fx.response === null) throw new Error(`${fx.client} ${fx.api}: fixture has no response`);
    const res = Buffer.from(fx.response, 'hex');
    // ApiVersions above our range is answered in v0.
    const version = api.apiKey === 18 && fx.apiVersion > api.maxVersion ? 0 : fx.apiVersion;
    const hv = responseHeaderVersion(api.apiKey, version);
    const rr = new Reader(res);
    const cid = decodeResponseHeader(rr, hv);
    expect(cid).toBe(h.correlationId);
    const resBody = decodeMessage<unknown>(api.response, version, rr);
    expect(rr.remaining).toBe(0);
    const w2 = new Writer();
    encodeResponseHeader(w2, cid, hv);
    encodeMessage(api.response, version, resBody, w2);
    const resOut = w2.toBuffer();
    if (!resOut.equals(res)) throw new Error(`response ${firstDiff(res, resOut)}`);
  });
});
