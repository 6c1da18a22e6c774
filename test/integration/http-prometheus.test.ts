/**
 * A real Prometheus server (Debian's /usr/bin/prometheus) on 127.0.0.1 scrapes a real broker
 * process, and PromQL over its HTTP API returns what kcat produced: records in for the topic
 * and the partition's high watermark. (Three brokers come with the cluster suites.)
 */
import { cleanupBrokers, startBroker, uniqueTopic, type BrokerProcess } from '../helpers/broker.js';
import { startPrometheus, type PromServer } from '../helpers/http.js';
import { createTopics } from '../helpers/kafkajs.js';
import { kcatOk, requireKcat } from '../helpers/tools.js';

let broker: BrokerProcess;
let prom: PromServer | null = null;

beforeAll(async () => {
  requireKcat();
  broker = await startBroker();
  prom = await startPrometheus([`127.0.0.1:${broker.httpPort}`]);
});

afterAll(async () => {
  await prom?.stop();
  await cleanupBrokers();
});

const value = (r: { value: [number, string] }[]): string | undefined => (r.length === 1 ? r[0]?.value[1] : `${r.length} series`);

test('PromQL over a real scrape returns records in and the high watermark', async () => {
  const p = prom as PromServer;
  const topic = uniqueTopic('prom');
  await createTopics(broker, [{ topic, numPartitions: 2 }]);
  const n = 777;
  const input = Array.from({ length: n }, (_, i) => `r${i}`).join('\n') + '\n';
  await kcatOk(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '1', '-X', 'acks=all', '-X', 'batch.num.messages=50'], input);

  const up = await p.waitQuery('up{job="strand"}', (r) => value(r) === '1');
  expect(value(up)).toBe('1');
  const recordsIn = await p.waitQuery(`strand_topic_records_in_total{topic="${topic}"}`, (r) => value(r) === String(n));
  expect(value(recordsIn)).toBe(String(n));
  const hw = await p.waitQuery(`strand_partition_high_watermark{topic="${topic}",partition="1"}`, (r) => value(r) === String(n));
  expect(value(hw)).toBe(String(n));
  // An aggregate across partitions, as a dashboard would ask.
  const leo = await p.waitQuery(`sum by (topic) (strand_partition_log_end_offset{topic="${topic}"})`, (r) => value(r) === String(n));
  expect(leo).toEqual([{ metric: { topic }, value: [expect.any(Number), String(n)] }]);
  const info = await p.query('strand_broker_info{job="strand"}');
  expect(info[0]?.metric).toMatchObject({ node_id: '0', instance: `127.0.0.1:${broker.httpPort}` });
});
