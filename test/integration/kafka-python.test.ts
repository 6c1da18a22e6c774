/**
 * kafka-python 2.0.2 (pure-python client, its own protocol code) against a real broker:
 * produce with and without compression, then read back group-less (group_id=None + assign)
 * and check records and offsets against the acknowledgements.
 */
import { cleanupBrokers, startBroker, uniqueTopic, type BrokerProcess } from '../helpers/broker.js';
import { createTopics } from '../helpers/kafkajs.js';
import { kafkaPython, type ConsumeResult, type ProduceResult } from '../helpers/python.js';
import { requirePythonModules } from '../helpers/tools.js';

let broker: BrokerProcess;

beforeAll(async () => {
  requirePythonModules('kafka');
  broker = await startBroker();
});

afterAll(async () => {
  await cleanupBrokers();
});

test.each([
  ['all', null],
  ['1', 'gzip'],
])('kafka-python acks=%s compression=%s: produce, then consume with group_id=None', async (acks, compression) => {
  const topic = uniqueTopic('kpy');
  await createTopics(broker, [{ topic }]);
  const count = 3_000;
  const produced = await kafkaPython<ProduceResult>('produce', { bootstrap: broker.bootstrap, topic, count, acks, compression, prefix: 'kp' });
  expect(produced.errors).toEqual([]);
  expect(produced.delivered).toHaveLength(count);

  const consumed = await kafkaPython<ConsumeResult>('consume', { bootstrap: broker.bootstrap, topic, start_offset: 0 });
  expect(consumed.begin).toBe(0);
  expect(consumed.end).toBe(count);
  expect(consumed.records.map((r) => r.offset)).toEqual(Array.from({ length: count }, (_, i) => i));
  const byOffset = new Map(consumed.records.map((r) => [r.offset, r]));
  for (const d of produced.delivered) {
    const r = byOffset.get(d.offset);
    expect(r?.value).toBe(d.value);
  }
  // Producer order is log order: the i-th record sent is at the i-th acknowledged offset.
  const first = consumed.records[0];
  const last = consumed.records[count - 1];
  expect(first?.value).toBe('kp-0');
  expect(first?.key).toBe('k-0');
  expect(first?.headers).toEqual([['seq', '0']]);
  expect(last?.value).toBe(`kp-${count - 1}`);
  expect(consumed.records.map((r) => r.value)).toEqual(produced.delivered.map((d) => d.value));

  // Start in the middle.
  const mid = await kafkaPython<ConsumeResult>('consume', { bootstrap: broker.bootstrap, topic, start_offset: 1234 });
  expect(mid.records.map((r) => r.offset)).toEqual(Array.from({ length: count - 1234 }, (_, i) => 1234 + i));
  expect(mid.records[0]?.value).toBe(byOffset.get(1234)?.value);
}, 90_000);
