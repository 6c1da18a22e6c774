/**
 * The broker's Prometheus metrics, in a Registry of their own (never prom-client's global
 * one, so two brokers in one test process do not share counters).
 *
 * Two kinds of metric live here:
 * - event metrics (counters, histograms, the open-connections gauge) that the server layer
 *   updates as things happen, through the `on*` / `observe*` methods;
 * - state gauges (offsets, ISR, controller, groups, ...) recomputed from the read-only
 *   BrokerIntrospection port at scrape time, so there is nothing to keep in sync.
 *
 * Label cardinality is bounded: `api` is a fixed set (introspection.ts), error codes are
 * Kafka's small integers, topic-labelled counters are pruned when a topic disappears from
 * the metadata, and `partitionLabels: false` folds per-partition series into per-topic sums
 * for clusters with many partitions.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { summarizeHealth, type HealthSummary } from './health-summary.js';
import { apiLabel, GROUP_STATES, type BrokerIntrospection } from './introspection.js';
import { negotiateFormat, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, renderOpenMetrics, type MetricsFormat } from './openmetrics.js';

export interface BrokerMetricsOptions {
  /** false: drop the `partition` label, summing per topic (large clusters). Default true. */
  readonly partitionLabels?: boolean;
  /** prom-client's process_* / nodejs_* metrics (incl. event-loop lag). Default true. */
  readonly runtimeMetrics?: boolean;
}

export type IsrChange = 'shrink' | 'expand';

export interface RenderedMetrics {
  readonly contentType: string;
  readonly body: string;
  /** Set when the broker state could not be read; the caller logs it. */
  readonly introspectionError: Error | null;
}

// Seconds. Requests span sub-millisecond metadata calls to long-poll fetches (max.wait.ms,
// default 500 ms) and acks=all produces waiting on followers (request.timeout.ms 30 s).
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
// Queue time is frame-complete -> handler start; anything near a second is an overload.
const QUEUE_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
// fdatasync measured ~0.3 ms here; a slow disk shows up in the upper buckets.
const FLUSH_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

const REDUNDANT_RUNTIME_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Kafka error codes are small integers (-1 UNKNOWN_SERVER_ERROR .. ~120); anything else is a bug upstream. */
function errorCodeLabel(code: number): string {
  return Number.isInteger(code) && code >= -1 && code <= 1000 ? String(code) : 'other';
}

/**
 * The event side of BrokerMetrics. server/ and storage/ must not import http/: they should
 * declare an interface like this one (or a subset) and broker.ts hands them the instance.
 */
export interface BrokerEventHooks {
  onConnectionOpened(): void;
  onConnectionClosed(): void;
  observeRequest(apiName: string, errorCodes: ErrorCodes, queueSeconds: number, totalSeconds: number): void;
  onBytesIn(topic: string, bytes: number, records: number): void;
  onBytesOut(topic: string, bytes: number, records: number): void;
  observeFlush(seconds: number): void;
  onIsrChange(change: IsrChange): void;
}

/**
 * Error codes of one response: one entry per occurrence, or (what the dispatcher sends, so a
 * 1000-partition response costs one counter update per distinct code) code -> occurrences.
 */
export type ErrorCodes = Iterable<number> | ReadonlyMap<number, number>;

export class BrokerMetrics implements BrokerEventHooks {
  /** Event metrics and the runtime ones. */
  private readonly registry = new Registry();
  /**
   * Scrape-time state gauges, apart so a scrape that cannot read the broker can leave them
   * out entirely: prom-client prints an unlabelled gauge as 0 even after reset(), and
   * `strand_partitions_under_replicated 0` would read as healthy.
   */
  private readonly stateRegistry = new Registry();
  readonly partitionLabels: boolean;

  private readonly connectionsOpen: Gauge;
  private readonly connectionsAccepted: Counter;
  private readonly requests: Counter<'api'>;
  private readonly requestErrors: Counter<'api' | 'error_code'>;
  private readonly requestQueueTime: Histogram<'api'>;
  private readonly requestTotalTime: Histogram<'api'>;
  private readonly bytesIn: Counter<'topic'>;
  private readonly recordsIn: Counter<'topic'>;
  private readonly bytesOut: Counter<'topic'>;
  private readonly recordsOut: Counter<'topic'>;
  private readonly flushTime: Histogram;
  private readonly isrShrinks: Counter;
  private readonly isrExpands: Counter;
  private readonly introspectionErrors: Counter;
  /** Gauges rebuilt on every scrape; reset first so vanished label sets disappear. */
  private readonly stateGauges: Gauge<string>[] = [];
  private readonly g: ReturnType<BrokerMetrics['stateGaugeSet']>;
  private scrapeChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly introspection: BrokerIntrospection,
    options: BrokerMetricsOptions = {},
  ) {
    this.partitionLabels = options.partitionLabels ?? true;
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> =>
      new Counter<L>({ name, help, labelNames, registers });
    const histogram = <L extends string>(name: string, help: string, buckets: number[], labelNames: readonly L[] = []): Histogram<L> =>
      new Histogram<L>({ name, help, labelNames, buckets, registers });

    this.connectionsOpen = new Gauge({ name: 'strand_connections_open', help: 'Kafka client connections currently open.', registers });
    this.connectionsAccepted = counter('strand_connections_accepted_total', 'Kafka client connections accepted.');
    this.requests = counter('strand_requests_total', 'Kafka requests answered (or dropped for acks=0), by API.', ['api']);
    this.requestErrors = counter(
      'strand_request_errors_total',
      'Error codes in Kafka responses, one per occurrence (top level and per partition; 0 = NONE), by API, as Kafka ErrorsPerSec.',
      ['api', 'error_code'],
    );
    this.requestQueueTime = histogram('strand_request_queue_time_seconds', 'Time a Kafka request waited between its frame arriving and its handler starting.', QUEUE_BUCKETS, ['api']);
    this.requestTotalTime = histogram('strand_request_total_time_seconds', 'Time from a Kafka request frame arriving to its response being queued for the socket.', REQUEST_BUCKETS, ['api']);
    this.bytesIn = counter('strand_topic_bytes_in_total', 'Record batch bytes appended by produce requests, by topic.', ['topic']);
    this.recordsIn = counter('strand_topic_records_in_total', 'Records appended by produce requests, by topic.', ['topic']);
    this.bytesOut = counter('strand_topic_bytes_out_total', 'Record batch bytes returned by fetch requests, by topic.', ['topic']);
    this.recordsOut = counter('strand_topic_records_out_total', 'Records returned by fetch requests (counted from batch headers), by topic.', ['topic']);
    this.flushTime = histogram('strand_log_flush_seconds', 'Time to fdatasync a partition log.', FLUSH_BUCKETS);
    this.isrShrinks = counter('strand_isr_shrinks_total', 'ISR shrinks of partitions led by this broker.');
    this.isrExpands = counter('strand_isr_expands_total', 'ISR expansions of partitions led by this broker.');
    this.introspectionErrors = counter('strand_metrics_introspection_errors_total', 'Scrapes whose broker state could not be read (state gauges left empty).');
    this.g = this.stateGaugeSet();
    if (options.runtimeMetrics ?? true) {
      // Runtime metrics keep their standard process_* / nodejs_* names (no strand_ prefix) so
      // stock Node.js dashboards and alerts work unchanged.
      collectDefaultMetrics({ register: this.registry });
      // These three are gauges named *_total (promtool flags them) and only repeat the sums
      // of nodejs_active_{handles,requests,resources}{type}, which stay.
      for (const name of REDUNDANT_RUNTIME_GAUGES) this.registry.removeSingleMetric(name);
    }
  }

  // ---- event hooks for the server layer -----------------------------------------------

  onConnectionOpened(): void {
    this.connectionsAccepted.inc();
    this.connectionsOpen.inc();
  }

  onConnectionClosed(): void {
    this.connectionsOpen.dec();
  }

  /**
   * One Kafka request done. `errorCodes`: every error code in the response (top level and
   * per topic/partition, 0 included), as Kafka's ErrorsPerSec counts them.
   */
  observeRequest(apiName: string, errorCodes: ErrorCodes, queueSeconds: number, totalSeconds: number): void {
    const api = apiLabel(apiName);
    this.requests.inc({ api });
    if (errorCodes instanceof Map) {
      for (const [code, n] of errorCodes as ReadonlyMap<number, number>) this.requestErrors.inc({ api, error_code: errorCodeLabel(code) }, n);
    } else {
      for (const code of errorCodes as Iterable<number>) this.requestErrors.inc({ api, error_code: errorCodeLabel(code) });
    }
    if (queueSeconds >= 0) this.requestQueueTime.observe({ api }, queueSeconds);
    if (totalSeconds >= 0) this.requestTotalTime.observe({ api }, totalSeconds);
  }

  /** Produced batches appended to `topic` (duplicates of idempotent retries excluded). */
  onBytesIn(topic: string, bytes: number, records: number): void {
    this.bytesIn.inc({ topic }, bytes);
    this.recordsIn.inc({ topic }, records);
  }

  /** Batches returned by a fetch from `topic` (consumers and followers alike). */
  onBytesOut(topic: string, bytes: number, records: number): void {
    this.bytesOut.inc({ topic }, bytes);
    this.recordsOut.inc({ topic }, records);
  }

  observeFlush(seconds: number): void {
    this.flushTime.observe(seconds);
  }

  onIsrChange(change: IsrChange): void {
    (change === 'shrink' ? this.isrShrinks : this.isrExpands).inc();
  }

  // ---- scrape ---------------------------------------------------------------------------

  /** Refresh state gauges from the broker and render in the format the Accept header asks for. */
  render(accept?: string): Promise<RenderedMetrics> {
    return this.renderFormat(negotiateFormat(accept));
  }

  /**
   * Scrapes are serialized: each one resets and refills the shared state gauges, and two
   * interleaved refreshes must not render a half-filled set.
   */
  renderFormat(format: MetricsFormat): Promise<RenderedMetrics> {
    const next = this.scrapeChain.then(() => this.renderNow(format));
    this.scrapeChain = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  private async renderNow(format: MetricsFormat): Promise<RenderedMetrics> {
    const introspectionError = await this.refresh();
    const registries = introspectionError === null ? [this.registry, this.stateRegistry] : [this.registry];
    const body =
      format === 'openmetrics'
        ? renderOpenMetrics((await Promise.all(registries.map((r) => r.getMetricsAsJSON()))).flat())
        : await Registry.merge(registries).metrics();
    return { contentType: format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE, body, introspectionError };
  }

  /**
   * Recompute the state gauges. If the broker's state cannot be read, the gauges are left
   * empty (never stale) and the event metrics are still served: a scrape that fails outright
   * would hide the counters exactly when something is wrong.
   */
  private async refresh(): Promise<Error | null> {
    for (const gauge of this.stateGauges) gauge.reset();
    try {
      const summary = summarizeHealth(this.introspection);
      this.fillBroker(summary);
      this.fillPartitions(summary);
      this.fillGroups();
      await this.pruneTopicCounters();
      return null;
    } catch (err) {
      this.introspectionErrors.inc();
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  private stateGaugeSet() {
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> => {
      const gg = new Gauge<L>({ name, help, labelNames, registers: [this.stateRegistry] });
      this.stateGauges.push(gg as Gauge<string>);
      return gg;
    };
    const p: readonly ('topic' | 'partition')[] = this.partitionLabels ? ['topic', 'partition'] : ['topic'];
    const perPartition = this.partitionLabels ? 'per partition' : 'summed per topic';
    const gp: readonly ('group' | 'topic' | 'partition')[] = ['group', ...p];
    return {
      info: gauge('strand_broker_info', 'Always 1; labels describe this broker.', ['node_id', 'version', 'rack', 'cluster_id']),
      purgatory: gauge('strand_purgatory_size', 'Delayed operations waiting, by purgatory (produce = acks=all, fetch = long poll).', ['purgatory']),
      logStart: gauge('strand_partition_log_start_offset', `Log start offset of replicas hosted here, ${perPartition}.`, p),
      logEnd: gauge('strand_partition_log_end_offset', `Log end offset of replicas hosted here, ${perPartition}.`, p),
      hw: gauge('strand_partition_high_watermark', `High watermark of replicas hosted here, ${perPartition}.`, p),
      size: gauge('strand_partition_size_bytes', `Bytes on disk of replicas hosted here, ${perPartition}.`, p),
      replicas: gauge('strand_partition_replicas', `Replica count of partitions hosted here, ${perPartition}.`, p),
      isr: gauge('strand_partition_in_sync_replicas', `ISR size of partitions hosted here, ${perPartition}.`, p),
      leader: gauge('strand_partition_leader', `1 when this broker leads the partition (${perPartition}: partitions led).`, p),
      led: gauge('strand_partitions_led', 'Partitions this broker leads.'),
      underReplicated: gauge('strand_partitions_under_replicated', 'Partitions led here whose ISR is smaller than the replica set.'),
      underMinIsr: gauge('strand_partitions_under_min_isr', 'Partitions led here whose ISR is below min.insync.replicas.'),
      offline: gauge('strand_partitions_offline', 'Partitions in the cluster without a leader, as this broker sees the metadata.'),
      topics: gauge('strand_topics', 'Topics in the cluster, as this broker sees the metadata.'),
      partitions: gauge('strand_partitions', 'Partitions in the cluster, as this broker sees the metadata.'),
      brokers: gauge('strand_brokers', 'Registered brokers, as this broker sees the metadata.'),
      controllerActive: gauge('strand_controller_active', '1 when this broker is the active controller.'),
      controllerEpoch: gauge('strand_controller_epoch', 'Epoch of the current controller lease (-1 unknown).'),
      groupState: gauge('strand_consumer_group_state', 'One series per Kafka group state, 1 for the state the group is in (groups coordinated here).', ['group', 'state']),
      groupMembers: gauge('strand_consumer_group_members', 'Members of groups coordinated here.', ['group']),
      groupOffset: this.partitionLabels
        ? gauge('strand_consumer_group_committed_offset', 'Committed offset of groups coordinated here.', gp)
        : null,
      groupLag: gauge(
        'strand_consumer_group_lag',
        `High watermark minus committed offset, ${perPartition}; only for partitions led by this broker (the coordinator may not lead them).`,
        gp,
      ),
    };
  }

  private fillBroker(s: HealthSummary): void {
    const intro = this.introspection;
    const self = intro.self();
    const g = this.g;
    g.info.set({ node_id: String(self.nodeId), version: self.version, rack: self.rack ?? '', cluster_id: self.clusterId }, 1);
    const purgatory = intro.purgatorySizes();
    g.purgatory.set({ purgatory: 'produce' }, purgatory.produce);
    g.purgatory.set({ purgatory: 'fetch' }, purgatory.fetch);
    g.led.set(s.led);
    g.underReplicated.set(s.underReplicated);
    g.underMinIsr.set(s.underMinIsr);
    g.offline.set(s.offline);
    g.topics.set(s.topics);
    g.partitions.set(s.partitions);
    g.brokers.set(intro.brokers().length);
    const controller = intro.controller();
    g.controllerActive.set(controller.isActive ? 1 : 0);
    g.controllerEpoch.set(controller.epoch);
  }

  private labelsOf(topic: string, partition: number): { topic: string; partition?: string } {
    return this.partitionLabels ? { topic, partition: String(partition) } : { topic };
  }

  private fillPartitions(s: HealthSummary): void {
    const g = this.g;
    const self = this.introspection.self().nodeId;
    for (const h of s.hosted) {
      const labels = this.labelsOf(h.topic.name, h.state.partition);
      // Without partition labels several partitions share a series: inc() sums them.
      g.replicas.inc(labels, h.state.replicas.length);
      g.isr.inc(labels, h.state.isr.length);
      g.leader.inc(labels, h.state.leader === self ? 1 : 0);
      const r = h.replica;
      if (r === undefined) continue;
      g.logStart.inc(labels, r.logStartOffset);
      g.logEnd.inc(labels, r.logEndOffset);
      g.hw.inc(labels, r.highWatermark);
      g.size.inc(labels, r.log.sizeInBytes);
    }
  }

  private fillGroups(): void {
    const g = this.g;
    const intro = this.introspection;
    for (const group of intro.groups()) {
      for (const state of GROUP_STATES) g.groupState.set({ group: group.groupId, state }, group.state === state ? 1 : 0);
      g.groupMembers.set({ group: group.groupId }, group.members.length);
      for (const o of group.offsets) {
        const labels = { group: group.groupId, ...this.labelsOf(o.topic, o.partition) };
        g.groupOffset?.set(labels, o.committedOffset);
        const replica = intro.localReplica(o.topic, o.partition);
        if (replica === undefined || !replica.isLeader) continue;
        g.groupLag.inc(labels, Math.max(0, replica.highWatermark - o.committedOffset));
      }
    }
  }

  /** Drop topic-labelled counter series of topics the metadata no longer has. */
  private async pruneTopicCounters(): Promise<void> {
    const intro = this.introspection;
    if (!intro.readiness().metadataLoaded) return;
    for (const c of [this.bytesIn, this.recordsIn, this.bytesOut, this.recordsOut]) {
      for (const v of (await c.get()).values) {
        const topic = v.labels.topic;
        if (typeof topic === 'string' && intro.topic(topic) === undefined) c.remove({ topic });
      }
    }
  }
}
