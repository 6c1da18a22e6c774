/**
 * /metrics over real HTTP on 127.0.0.1 with a fake introspection object (the broker wiring
 * that will implement the port is being written separately; see test-introspection.ts).
 */
import { negotiateFormat } from './openmetrics.js';
import { promtoolCheckMetrics, sample, samplesOf, startHarness, type Harness } from './test-support.js';
import { partition } from './test-introspection.js';

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

async function scrape(h: Harness, accept?: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(h.url('/metrics'), { headers: accept === undefined ? {} : { accept } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

describe('/metrics', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  test('broker, partition, cluster-health and group gauges come from the introspection port', async () => {
    const { status, type, body } = await scrape(h);
    expect(status).toBe(200);
    expect(type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(sample(body, 'strand_broker_info{node_id="1",version="0.1.0",rack="r1",cluster_id="test-cluster"}')).toBe(1);
    expect(sample(body, 'strand_purgatory_size{purgatory="produce"}')).toBe(2);
    expect(sample(body, 'strand_purgatory_size{purgatory="fetch"}')).toBe(5);

    expect(sample(body, 'strand_partition_log_start_offset{topic="orders",partition="0"}')).toBe(10);
    expect(sample(body, 'strand_partition_log_end_offset{topic="orders",partition="0"}')).toBe(120);
    expect(sample(body, 'strand_partition_high_watermark{topic="orders",partition="0"}')).toBe(100);
    expect(sample(body, 'strand_partition_size_bytes{topic="orders",partition="0"}')).toBe(4096);
    expect(sample(body, 'strand_partition_replicas{topic="orders",partition="1"}')).toBe(3);
    expect(sample(body, 'strand_partition_in_sync_replicas{topic="orders",partition="1"}')).toBe(1);
    expect(sample(body, 'strand_partition_leader{topic="orders",partition="0"}')).toBe(1);
    expect(sample(body, 'strand_partition_leader{topic="orders",partition="2"}')).toBe(0);
    // Only replicas hosted here: clicks.v1 lives on brokers 2 and 3.
    expect(samplesOf(body, 'strand_partition_log_end_offset').some((l) => l.includes('clicks.v1'))).toBe(false);

    expect(sample(body, 'strand_partitions_led')).toBe(2);
    expect(sample(body, 'strand_partitions_under_replicated')).toBe(1);
    expect(sample(body, 'strand_partitions_under_min_isr')).toBe(1);
    expect(sample(body, 'strand_partitions_offline')).toBe(1);
    expect(sample(body, 'strand_topics')).toBe(2);
    expect(sample(body, 'strand_partitions')).toBe(5);
    expect(sample(body, 'strand_brokers')).toBe(3);
    expect(sample(body, 'strand_controller_active')).toBe(1);
    expect(sample(body, 'strand_controller_epoch')).toBe(7);

    expect(sample(body, 'strand_consumer_group_state{group="billing",state="Stable"}')).toBe(1);
    expect(sample(body, 'strand_consumer_group_state{group="billing",state="Empty"}')).toBe(0);
    expect(sample(body, 'strand_consumer_group_members{group="billing"}')).toBe(2);
    expect(sample(body, 'strand_consumer_group_committed_offset{group="billing",topic="orders",partition="0"}')).toBe(90);
    expect(sample(body, 'strand_consumer_group_lag{group="billing",topic="orders",partition="0"}')).toBe(10);
    // orders-2 is led by broker 2: no lag from here.
    expect(sample(body, 'strand_consumer_group_lag{group="billing",topic="orders",partition="2"}')).toBeUndefined();

    // Runtime metrics, event-loop lag included.
    expect(body).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(body).toMatch(/^process_cpu_seconds_total \d/m);
  });

  test('event counters and histograms increment', async () => {
    const m = h.metrics;
    m.onConnectionOpened();
    m.onConnectionOpened();
    m.onConnectionClosed();
    m.observeRequest('Produce', [0, 0, 6], 0.0002, 0.004);
    m.observeRequest('Produce', [0], 0.0001, 0.02);
    m.observeRequest('NotAnApi', [3], 0, 0.001);
    m.onBytesIn('orders', 1000, 10);
    m.onBytesOut('orders', 300, 3);
    m.observeFlush(0.0004);
    m.onIsrChange('shrink');
    m.onIsrChange('expand');
    m.onIsrChange('shrink');
    let { body } = await scrape(h);
    expect(sample(body, 'strand_connections_accepted_total')).toBe(2);
    expect(sample(body, 'strand_connections_open')).toBe(1);
    expect(sample(body, 'strand_requests_total{api="Produce"}')).toBe(2);
    expect(sample(body, 'strand_request_errors_total{api="Produce",error_code="0"}')).toBe(3);
    expect(sample(body, 'strand_request_errors_total{api="Produce",error_code="6"}')).toBe(1);
    // Unknown API names collapse into one label value (bounded cardinality).
    expect(sample(body, 'strand_requests_total{api="Other"}')).toBe(1);
    expect(sample(body, 'strand_request_total_time_seconds_count{api="Produce"}')).toBe(2);
    expect(sample(body, 'strand_request_total_time_seconds_bucket{le="0.005",api="Produce"}')).toBe(1);
    expect(sample(body, 'strand_request_total_time_seconds_bucket{le="0.025",api="Produce"}')).toBe(2);
    expect(sample(body, 'strand_request_queue_time_seconds_sum{api="Produce"}')).toBeCloseTo(0.0003, 9);
    expect(sample(body, 'strand_topic_bytes_in_total{topic="orders"}')).toBe(1000);
    expect(sample(body, 'strand_topic_records_in_total{topic="orders"}')).toBe(10);
    expect(sample(body, 'strand_topic_bytes_out_total{topic="orders"}')).toBe(300);
    expect(sample(body, 'strand_topic_records_out_total{topic="orders"}')).toBe(3);
    expect(sample(body, 'strand_log_flush_seconds_count')).toBe(1);
    expect(sample(body, 'strand_isr_shrinks_total')).toBe(2);
    expect(sample(body, 'strand_isr_expands_total')).toBe(1);

    m.observeRequest('Produce', [0], 0, 0.001);
    m.onBytesIn('orders', 24, 1);
    ({ body } = await scrape(h));
    expect(sample(body, 'strand_requests_total{api="Produce"}')).toBe(3);
    expect(sample(body, 'strand_topic_bytes_in_total{topic="orders"}')).toBe(1024);
  });

  test('state gauges follow the broker between scrapes; counters of deleted topics are dropped', async () => {
    h.metrics.onBytesIn('clicks.v1', 10, 1);
    let { body } = await scrape(h);
    expect(sample(body, 'strand_topic_bytes_in_total{topic="clicks.v1"}')).toBe(10);
    // The ISR of orders-1 recovers; clicks.v1 is deleted.
    h.state.topics[0] = { ...h.state.topics[0]!, partitions: h.state.topics[0]!.partitions.map((p) => (p.partition === 1 ? partition('orders', 1, [1, 2, 3], [1, 2, 3], 1) : p)) };
    h.state.topics.splice(1, 1);
    ({ body } = await scrape(h));
    expect(sample(body, 'strand_partitions_under_replicated')).toBe(0);
    expect(sample(body, 'strand_partition_in_sync_replicas{topic="orders",partition="1"}')).toBe(3);
    expect(sample(body, 'strand_partitions_offline')).toBe(0);
    expect(samplesOf(body, 'strand_topic_bytes_in_total').join('\n')).not.toContain('clicks.v1');
  });

  test('promtool check metrics finds nothing to complain about (counters and histograms populated)', async () => {
    h.metrics.onConnectionOpened();
    h.metrics.observeRequest('Fetch', [0, 1], 0.001, 0.5);
    h.metrics.onBytesIn('orders', 1, 1);
    h.metrics.onBytesOut('orders', 1, 1);
    h.metrics.observeFlush(0.001);
    h.metrics.onIsrChange('shrink');
    const { body } = await scrape(h);
    const r = promtoolCheckMetrics(body);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  test('OpenMetrics when the scraper asks for it (as Prometheus does)', async () => {
    h.metrics.observeRequest('Metadata', [0], 0.0001, 0.001);
    const { status, type, body } = await scrape(h, PROMETHEUS_ACCEPT);
    expect(status).toBe(200);
    expect(type).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(body.endsWith('\n# EOF\n')).toBe(true);
    expect(body).toContain('# TYPE strand_requests counter\n');
    expect(sample(body, 'strand_requests_total{api="Metadata"}')).toBe(1);
    expect(body).toContain('# TYPE strand_request_total_time_seconds histogram\n');
    expect(sample(body, 'strand_request_total_time_seconds_bucket{le="+Inf",api="Metadata"}')).toBe(1);
    expect(sample(body, 'strand_partitions_led')).toBe(2);
    // Serving OpenMetrics must not rename the counters for the next Prometheus-text scrape.
    const plain = await scrape(h);
    expect(plain.type.startsWith('text/plain')).toBe(true);
    expect(plain.body).toContain('# TYPE strand_requests_total counter\n');
    expect(promtoolCheckMetrics(plain.body).output).toBe('');
  });

  test('content negotiation by q-value', () => {
    expect(negotiateFormat(undefined)).toBe('prometheus');
    expect(negotiateFormat('*/*')).toBe('prometheus');
    expect(negotiateFormat('text/plain')).toBe('prometheus');
    expect(negotiateFormat('application/openmetrics-text')).toBe('openmetrics');
    expect(negotiateFormat(PROMETHEUS_ACCEPT)).toBe('openmetrics');
    expect(negotiateFormat('text/plain;q=0.9, application/openmetrics-text;q=0.5')).toBe('prometheus');
    expect(negotiateFormat('application/openmetrics-text;q=0')).toBe('prometheus');
  });

  test('an unreadable broker state still serves the event counters, without stale gauges', async () => {
    h.metrics.onConnectionOpened();
    await scrape(h);
    h.state.fail = new Error('image gone');
    const { status, body } = await scrape(h);
    expect(status).toBe(200);
    expect(sample(body, 'strand_connections_accepted_total')).toBe(1);
    expect(sample(body, 'strand_metrics_introspection_errors_total')).toBe(1);
    expect(samplesOf(body, 'strand_partitions_led')).toEqual([]);
    expect(samplesOf(body, 'strand_partition_log_end_offset')).toEqual([]);
  });
});

describe('/metrics with partitionLabels: false', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ metrics: { partitionLabels: false, runtimeMetrics: false } });
  });
  afterAll(async () => {
    await h.close();
  });

  test('per-partition series fold into per-topic sums', async () => {
    const { body } = await scrape(h);
    expect(body).not.toMatch(/partition="/);
    expect(sample(body, 'strand_partition_log_end_offset{topic="orders"}')).toBe(120 + 50 + 70);
    expect(sample(body, 'strand_partition_size_bytes{topic="orders"}')).toBe(4096 + 2048 + 1024);
    expect(sample(body, 'strand_partition_leader{topic="orders"}')).toBe(2);
    expect(sample(body, 'strand_consumer_group_lag{group="billing",topic="orders"}')).toBe(10);
    expect(samplesOf(body, 'strand_consumer_group_committed_offset')).toEqual([]);
    expect(body).not.toContain('nodejs_');
    expect(promtoolCheckMetrics(body).output).toBe('');
  });
});
