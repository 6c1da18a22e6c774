/**
 * The operator's own Prometheus metrics, in a Registry of its own (prom-client's global
 * registry is shared by everything in the process; tests start several operators).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly reconcileSeconds: Histogram<'controller'>;
  readonly queueDepth: Gauge<'controller'>;
  readonly queueDelayed: Gauge<'controller'>;
  readonly leader: Gauge;
  readonly rollingRestarts: Counter<'cluster'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.reconciles = new Counter({
      name: 'strand_operator_reconcile_total',
      help: 'Reconcile runs by controller and result (success | error).',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'strand_operator_reconcile_errors_total',
      help: 'Reconcile runs that failed and were requeued with backoff.',
      labelNames: ['controller'],
      registers,
    });
    this.reconcileSeconds = new Histogram({
      name: 'strand_operator_reconcile_duration_seconds',
      help: 'Time spent in one reconcile run.',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'strand_operator_queue_depth',
      help: 'Keys waiting in the work queue.',
      labelNames: ['controller'],
      registers,
    });
    this.queueDelayed = new Gauge({
      name: 'strand_operator_queue_delayed',
      help: 'Keys waiting on a backoff or requeue timer.',
      labelNames: ['controller'],
      registers,
    });
    this.leader = new Gauge({ name: 'strand_operator_leader', help: '1 while this replica holds the leader lease.', registers });
    this.rollingRestarts = new Counter({
      name: 'strand_operator_broker_restarts_total',
      help: 'Broker pods deleted by the operator for a rolling restart.',
      labelNames: ['cluster'],
      registers,
    });
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }
}
