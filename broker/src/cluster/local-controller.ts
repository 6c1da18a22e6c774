/**
 * The controller for a single broker (and the logic the cluster's active controller will
 * reuse): validates and writes topic, partition and config changes to the MetadataStore with
 * compare-and-set writes, then waits until this broker's image has applied them, so a
 * CreateTopics response is never followed by a Metadata response that lacks the topic.
 *
 * Write order makes each change atomic to readers: create writes partitions then the topic
 * key; delete removes the topic key first, then partitions and config overrides.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config.js';
import { BROKER_CONFIGS, validateBrokerConfig } from './broker-config.js';
import { applyConfigOps, type ConfigRules } from './config-ops.js';
import { Keys, ProducerIdBlockRecordSchema, TopicRecordSchema, parsePartitionKey, type TopicRecord } from './keys.js';
import { PartitionAdmin } from './partition-admin.js';
import { placeReplicas } from './placement.js';
import { TOPIC_CONFIGS, effectiveTopicConfig, isListConfig, resolveTopicConfigStrings, topicCollisionKey, validateTopicConfig, validateTopicConfigs, validateTopicName } from './topic-config.js';
import {
  ControllerError,
  RevisionMismatchError,
  type ConfigOp,
  type Controller,
  type CreateTopicSpec,
  type ElectionType,
  type MetadataImage,
  type MetadataStore,
  type PartitionReassignmentView,
  type PartitionResult,
  type PartitionState,
  type ReassignmentRequest,
  type TopicImage,
  type TopicPartitionRef,
} from './types.js';

/** The image the controller writes through: it must be able to wait for its own writes. */
export interface AppliedMetadataImage extends MetadataImage {
  waitForRevision(revision: number, timeoutMs?: number): Promise<void>;
  waitUntil(condition: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
}

export interface LocalControllerOptions {
  readonly store: MetadataStore;
  readonly image: AppliedMetadataImage;
  readonly config: BrokerConfig;
  readonly logger?: Logger;
  /** Placement randomness (tests pin it). */
  readonly random?: () => number;
  /** Producer ids claimed per store write (Kafka: 1000). */
  readonly producerIdBlockSize?: number;
}

const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

function newTopicId(): string {
  for (;;) {
    const id = randomBytes(16).toString('hex');
    if (!/^0+$/.test(id)) return id;
  }
}

function effectiveUnclean(opts: LocalControllerOptions, topic: string): boolean | undefined {
  const t = opts.image.topic(topic);
  if (!t) return undefined;
  return effectiveTopicConfig(opts.config.settings, opts.image.brokerConfigs(), t.configs).uncleanLeaderElection;
}

export function initialState(topic: string, partition: number, replicas: readonly number[]): PartitionState {
  const leader = replicas[0] ?? -1;
  return { topic, partition, replicas: [...replicas], leader, leaderEpoch: 0, isr: [...replicas], partitionEpoch: 0, addingReplicas: [], removingReplicas: [] };
}

export class LocalController implements Controller {
  private tail: Promise<unknown> = Promise.resolve();
  private pidTail: Promise<unknown> = Promise.resolve();
  private pidNext = 0;
  private pidEnd = 0;
  private readonly partitions: PartitionAdmin;

  constructor(private readonly opts: LocalControllerOptions) {
    // A single broker: every registered broker counts as live (there is no registry session).
    this.partitions = new PartitionAdmin({
      store: opts.store,
      image: opts.image,
      view: () => ({ live: new Set(opts.image.brokers().map((b) => b.id)), shuttingDown: new Set() }),
      uncleanAllowed: (topic) => (opts.image.topic(topic) ? (effectiveUnclean(opts, topic) ?? false) : false),
      logger: opts.logger,
    });
  }

  alterPartitionReassignments(items: readonly ReassignmentRequest[]): Promise<PartitionResult[]> {
    return this.serial(() => this.partitions.alterReassignments(items));
  }

  listPartitionReassignments(filter: readonly TopicPartitionRef[] | null): PartitionReassignmentView[] {
    return this.partitions.listReassignments(filter);
  }

  electLeaders(type: ElectionType, partitions: readonly TopicPartitionRef[] | null): Promise<PartitionResult[]> {
    return this.serial(() => this.partitions.electLeaders(type, partitions));
  }

  /** Topic operations run one at a time, so read-check-write sequences do not interleave. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private get store(): MetadataStore {
    return this.opts.store;
  }

  private get image(): AppliedMetadataImage {
    return this.opts.image;
  }

  createTopic(spec: CreateTopicSpec, validateOnly: boolean): Promise<TopicImage> {
    return this.serial(() => this.doCreateTopic(spec, validateOnly));
  }

  private async doCreateTopic(spec: CreateTopicSpec, validateOnly: boolean): Promise<TopicImage> {
    const { name } = spec;
    const nameError = validateTopicName(name);
    if (nameError) throw new ControllerError('INVALID_TOPIC_EXCEPTION', nameError);
    if (await this.store.get(Keys.topic(name))) throw new ControllerError('TOPIC_ALREADY_EXISTS', `Topic '${name}' already exists.`);
    for (const t of this.image.topics()) {
      if (t.name !== name && topicCollisionKey(t.name) === topicCollisionKey(name)) {
        throw new ControllerError('INVALID_TOPIC_EXCEPTION', `Topic '${name}' collides with existing topic: ${t.name}`);
      }
    }
    const configError = validateTopicConfigs(spec.configs);
    if (configError) throw new ControllerError('INVALID_CONFIG', configError);

    const assignments = spec.assignments.length > 0 ? this.checkManualAssignment(spec) : this.place(spec);
    const topicId = newTopicId();
    const internal = INTERNAL_TOPICS.has(name);
    const partitions = assignments.map((r, p) => initialState(name, p, r));
    if (validateOnly) return { name, topicId, internal, partitions, configs: { ...spec.configs } };

    await this.removeLeftovers(name);
    await Promise.all(partitions.map((s) => this.store.create(Keys.partition(name, s.partition), s)));
    const record: TopicRecord = { topicId, internal, configs: { ...spec.configs } };
    let revision: number;
    try {
      revision = await this.store.create(Keys.topic(name), record);
    } catch (err) {
      if (err instanceof RevisionMismatchError) throw new ControllerError('TOPIC_ALREADY_EXISTS', `Topic '${name}' already exists.`);
      throw err;
    }
    await this.image.waitForRevision(revision);
    this.opts.logger?.info({ topic: name, topicId, partitions: partitions.length }, 'created topic');
    const created = this.image.topic(name);
    if (!created) throw new Error(`topic ${name} missing from the image after creation`);
    return created;
  }

  private place(spec: CreateTopicSpec): number[][] {
    const s = this.opts.config.settings;
    const numPartitions = spec.numPartitions === -1 ? s['num.partitions'] : spec.numPartitions;
    const rf = spec.replicationFactor === -1 ? s['default.replication.factor'] : spec.replicationFactor;
    if (numPartitions <= 0) throw new ControllerError('INVALID_PARTITIONS', 'Number of partitions was set to an invalid non-positive value.');
    if (rf <= 0) throw new ControllerError('INVALID_REPLICATION_FACTOR', 'Replication factor must be larger than 0, or -1 to use the default value.');
    return placeReplicas(this.image.brokers(), numPartitions, rf, { random: this.opts.random });
  }

  private checkManualAssignment(spec: CreateTopicSpec): number[][] {
    if (spec.replicationFactor !== -1) {
      throw new ControllerError('INVALID_REPLICATION_FACTOR', 'A manual partition assignment was specified, but replication factor was not set to -1.');
    }
    if (spec.numPartitions !== -1) {
      throw new ControllerError('INVALID_REQUEST', 'A manual partition assignment was specified, but numPartitions was not set to -1.');
    }
    const rf = spec.assignments[0]?.length ?? 0;
    return spec.assignments.map((replicas, p) => {
      this.checkReplicas(replicas, p);
      if (replicas.length !== rf) {
        throw new ControllerError('INVALID_REPLICA_ASSIGNMENT', 'All partitions in the manual partition assignment must have the same number of replicas.');
      }
      return [...replicas];
    });
  }

  private checkReplicas(replicas: readonly number[], partition: number): void {
    if (replicas.length === 0) {
      throw new ControllerError('INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes an empty replica list for partition ${partition}.`);
    }
    if (new Set(replicas).size !== replicas.length) {
      throw new ControllerError('INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes the partition ${partition} with duplicate replicas.`);
    }
    for (const b of replicas) {
      if (!this.image.broker(b)) {
        throw new ControllerError('INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes broker ${b}, but no such broker is registered.`);
      }
    }
  }

  /** Keys a crash may have left behind from a previous topic of the same name. */
  private async removeLeftovers(name: string): Promise<void> {
    const stale = (await this.store.list(Keys.partitionsOf(name))).filter((e) => parsePartitionKey(e.key)?.topic === name);
    const cfg = await this.store.get(Keys.topicConfig(name));
    if (cfg) stale.push(cfg);
    await Promise.all(stale.map((e) => this.store.delete(e.key, e.revision)));
  }

  private async topicRecord(name: string): Promise<{ record: TopicRecord; revision: number }> {
    const e = await this.store.get(Keys.topic(name));
    const record = e ? TopicRecordSchema.safeParse(e.value) : null;
    if (!e || !record?.success) throw new ControllerError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`);
    return { record: record.data, revision: e.revision };
  }

  deleteTopic(name: string): Promise<void> {
    return this.serial(async () => {
      if (!this.opts.config.settings['delete.topic.enable']) {
        throw new ControllerError('TOPIC_DELETION_DISABLED', 'Topic deletion is disabled.');
      }
      const { record, revision } = await this.topicRecord(name);
      // Deleting __consumer_offsets would drop every group's committed offsets behind the
      // coordinator's back; Kafka's tools refuse it too.
      if (record.internal) throw new ControllerError('INVALID_TOPIC_EXCEPTION', `Topic '${name}' is an internal topic and cannot be deleted.`);
      try {
        await this.store.delete(Keys.topic(name), revision);
      } catch (err) {
        if (err instanceof RevisionMismatchError) throw new ControllerError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`);
        throw err;
      }
      await this.removeLeftovers(name);
      await this.image.waitUntil(() => this.image.topic(name)?.topicId !== record.topicId, undefined, `deletion of ${name}`);
      this.opts.logger?.info({ topic: name, topicId: record.topicId }, 'deleted topic');
    });
  }

  createPartitions(name: string, totalCount: number, assignments: readonly (readonly number[])[] | null, validateOnly: boolean): Promise<void> {
    return this.serial(async () => {
      await this.topicRecord(name);
      const existing = (await this.store.list(Keys.partitionsOf(name))).filter((e) => parsePartitionKey(e.key)?.topic === name);
      const current = existing.length;
      if (totalCount < current) {
        throw new ControllerError('INVALID_PARTITIONS', `Topic currently has ${current} partitions, which is higher than the requested ${totalCount}.`);
      }
      if (totalCount === current) throw new ControllerError('INVALID_PARTITIONS', `Topic already has ${current} partitions.`);
      const first = this.image.topic(name)?.partitions[0];
      const rf = first?.replicas.length ?? this.opts.config.settings['default.replication.factor'];
      const adding = totalCount - current;
      let placed: number[][];
      if (assignments) {
        if (assignments.length !== adding) {
          throw new ControllerError('INVALID_REPLICA_ASSIGNMENT', `Attempted to add ${adding} additional partition(s), but only ${assignments.length} assignment(s) were specified.`);
        }
        placed = assignments.map((r, i) => {
          this.checkReplicas(r, current + i);
          if (r.length !== rf) {
            throw new ControllerError(
              'INVALID_REPLICA_ASSIGNMENT',
              `The manual partition assignment includes a partition with ${r.length} replica(s), but this is not consistent with previous partitions, which have ${rf} replica(s).`,
            );
          }
          return [...r];
        });
      } else {
        placed = placeReplicas(this.image.brokers(), adding, rf, { startPartition: current, random: this.opts.random });
      }
      if (validateOnly) return;
      await Promise.all(placed.map((r, i) => this.store.create(Keys.partition(name, current + i), initialState(name, current + i, r))));
      await this.image.waitUntil(() => (this.image.topic(name)?.partitions.length ?? 0) >= totalCount, undefined, `${totalCount} partitions of ${name}`);
    });
  }

  alterTopicConfigs(name: string, ops: readonly ConfigOp[], replace: boolean, validateOnly: boolean): Promise<void> {
    return this.serial(async () => {
      const { record } = await this.topicRecord(name);
      const current = this.image.topic(name)?.configs ?? record.configs ?? {};
      const effective = resolveTopicConfigStrings(this.opts.config.settings, this.image.brokerConfigs(), current);
      const rules: ConfigRules = {
        validate: validateTopicConfig,
        checkName: (n) => (TOPIC_CONFIGS.has(n) ? null : `Unknown topic config name: ${n}`),
        isList: isListConfig,
        effective: (n) => effective.get(n) ?? null,
      };
      const next = applyConfigOps(current, ops, replace, rules);
      if (validateOnly) return;
      const revision = await this.put(Keys.topicConfig(name), { topicId: record.topicId, configs: next });
      await this.image.waitForRevision(revision);
    });
  }

  alterBrokerConfigs(ops: readonly ConfigOp[], replace: boolean, validateOnly: boolean): Promise<void> {
    return this.serial(async () => {
      const current = this.image.brokerConfigs();
      const rules: ConfigRules = {
        validate: validateBrokerConfig,
        checkName: (n) => {
          const d = BROKER_CONFIGS.get(n);
          if (!d) return `Unknown broker config name: ${n}`;
          return d.dynamic ? null : `Cannot update these configs dynamically: [${n}]`;
        },
        isList: (n) => BROKER_CONFIGS.get(n)?.type === 'LIST',
        effective: (n) => BROKER_CONFIGS.get(n)?.valueOf(this.opts.config) ?? null,
      };
      const next = applyConfigOps(current, ops, replace, rules);
      if (validateOnly) return;
      const revision = await this.put(Keys.brokerConfig, { configs: next });
      await this.image.waitForRevision(revision);
    });
  }

  /** Unconditional write expressed as CAS: create, or update at the revision just read. */
  private async put(key: string, value: unknown): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const cur = await this.store.get(key);
      try {
        return cur ? await this.store.update(key, value, cur.revision) : await this.store.create(key, value);
      } catch (err) {
        if (!(err instanceof RevisionMismatchError) || attempt >= 5) throw err;
      }
    }
  }

  allocateProducerId(): Promise<number> {
    const run = this.pidTail.then(async () => {
      if (this.pidNext >= this.pidEnd) await this.claimProducerIdBlock();
      return this.pidNext++;
    });
    this.pidTail = run.catch(() => undefined);
    return run;
  }

  /** Claim the next block by CAS so ids stay unique across restarts and brokers (ids of an unused block are skipped). */
  private async claimProducerIdBlock(): Promise<void> {
    const size = this.opts.producerIdBlockSize ?? 1000;
    for (;;) {
      const cur = await this.store.get(Keys.producerIdBlock);
      const parsed = cur ? ProducerIdBlockRecordSchema.safeParse(cur.value) : null;
      const start = parsed?.success ? parsed.data.nextProducerId : 0;
      const value = { nextProducerId: start + size };
      try {
        if (cur) await this.store.update(Keys.producerIdBlock, value, cur.revision);
        else await this.store.create(Keys.producerIdBlock, value);
      } catch (err) {
        if (err instanceof RevisionMismatchError) continue;
        throw err;
      }
      this.pidNext = start;
      this.pidEnd = start + size;
      return;
    }
  }
}
