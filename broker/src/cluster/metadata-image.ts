/**
 * The in-memory metadata image every broker serves Metadata (and every other read) from.
 * It watches the whole metadata store in revision order and turns each change into a
 * MetadataDelta for listeners (replica manager, coordinators).
 *
 * A topic becomes visible when its `topics.<name>` key appears (the controller writes it
 * after the partitions) and disappears when that key is deleted (written first on delete),
 * so readers never see a half-created topic.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { BrokerSettings } from '../config.js';
import {
  BrokerConfigRecordSchema,
  BrokerRegistrationSchema,
  ClusterIdRecordSchema,
  Keys,
  PartitionStateSchema,
  TopicConfigRecordSchema,
  TopicRecordSchema,
  parsePartitionKey,
  type TopicRecord,
} from './keys.js';
import { effectiveTopicConfig, type TopicConfig } from './topic-config.js';
import type { BrokerRegistration, KvEntry, MetadataDelta, MetadataImage, MetadataStore, PartitionState, TopicImage } from './types.js';

/** Where broker registrations come from; a cluster swaps in the `C_brokers` bucket. */
export interface BrokerRegistry {
  brokers(): readonly BrokerRegistration[];
  onChange(listener: () => void): () => void;
}

export interface MetadataImageOptions {
  readonly nodeId: number;
  /** Needed only for effectiveTopicConfig(). */
  readonly settings?: BrokerSettings;
  /** The active controller; a single broker is its own controller. */
  readonly controllerId?: () => number;
  /** When absent, registrations are read from `brokers.<id>` keys in the store. */
  readonly registry?: BrokerRegistry;
  readonly logger?: Logger;
}

interface Waiter {
  ready(): boolean;
  resolve(): void;
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

export class MetadataImageImpl implements MetadataImage {
  private readonly topicRecords = new Map<string, TopicRecord>();
  private readonly partitionStates = new Map<string, Map<number, PartitionState>>();
  /** Store revision of each partition key, for CAS writers (PartitionStateWriter, controller). */
  private readonly partitionRevisions = new Map<string, Map<number, number>>();
  private readonly topicConfigRecords = new Map<string, { topicId: string; configs: Record<string, string> }>();
  private readonly images = new Map<string, TopicImage>();
  private readonly idToName = new Map<string, string>();
  private readonly localBrokers = new Map<number, BrokerRegistration>();
  private brokerOverrides: Readonly<Record<string, string>> = EMPTY;
  private cluster = '';
  private appliedRevision = 0;
  private readonly listeners = new Set<(delta: MetadataDelta) => void>();
  private waiters: Waiter[] = [];
  private stopWatch: (() => void) | null = null;
  private stopRegistry: (() => void) | null = null;

  constructor(
    private readonly store: MetadataStore,
    private readonly opts: MetadataImageOptions,
  ) {}

  /** Load the current state (resolves once it is applied) and follow changes. */
  async start(): Promise<void> {
    const w = await this.store.watch('', (e) => this.apply(e));
    this.stopWatch = () => w.stop();
    if (this.opts.registry) {
      this.stopRegistry = this.opts.registry.onChange(() => this.emit({ ...emptyDelta(), brokersChanged: true }));
    }
  }

  stop(): void {
    this.stopWatch?.();
    this.stopRegistry?.();
    this.stopWatch = this.stopRegistry = null;
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }

  get clusterId(): string {
    return this.cluster;
  }

  get controllerId(): number {
    return this.opts.controllerId ? this.opts.controllerId() : this.opts.nodeId;
  }

  /** Revision of the last store change applied. */
  get revision(): number {
    return this.appliedRevision;
  }

  /** Resolves once the image has applied `revision` (or was stopped). */
  waitForRevision(revision: number, timeoutMs = 30_000): Promise<void> {
    return this.waitUntil(() => this.appliedRevision >= revision, timeoutMs, `revision ${revision}`);
  }

  /** Resolves once `condition` holds after some applied change (or the image was stopped). */
  waitUntil(condition: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`metadata image did not reach ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        ready: condition,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  topic(name: string): TopicImage | undefined {
    return this.images.get(name);
  }

  topicById(topicId: string): TopicImage | undefined {
    const name = this.idToName.get(topicId);
    return name === undefined ? undefined : this.images.get(name);
  }

  topics(): Iterable<TopicImage> {
    return this.images.values();
  }

  brokers(): readonly BrokerRegistration[] {
    const list = this.opts.registry ? [...this.opts.registry.brokers()] : [...this.localBrokers.values()];
    return list.sort((a, b) => a.id - b.id);
  }

  broker(id: number): BrokerRegistration | undefined {
    return this.brokers().find((b) => b.id === id);
  }

  brokerConfigs(): Readonly<Record<string, string>> {
    return this.brokerOverrides;
  }

  partitionRevision(topic: string, partition: number): number | undefined {
    return this.partitionRevisions.get(topic)?.get(partition);
  }

  /** The latest applied state of a partition, even of a topic not (or no longer) visible. */
  partitionState(topic: string, partition: number): PartitionState | undefined {
    return this.partitionStates.get(topic)?.get(partition);
  }

  /** The resolved config of a topic (topic overrides > dynamic broker > static settings > default). */
  effectiveTopicConfig(name: string): TopicConfig | undefined {
    const t = this.images.get(name);
    if (!t || !this.opts.settings) return undefined;
    return effectiveTopicConfig(this.opts.settings, this.brokerOverrides, t.configs);
  }

  onChange(listener: (delta: MetadataDelta) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private parse<T>(schema: z.ZodType<T>, e: KvEntry): T | null {
    const r = schema.safeParse(e.value);
    if (r.success) return r.data;
    this.opts.logger?.warn({ key: e.key, revision: e.revision }, 'ignoring malformed metadata entry');
    return null;
  }

  private apply(e: KvEntry): void {
    let delta: MetadataDelta | null = null;
    if (e.key.startsWith(Keys.topicPrefix)) delta = this.applyTopic(e.key.slice(Keys.topicPrefix.length), e);
    else if (e.key.startsWith(Keys.partitionPrefix)) delta = this.applyPartition(e);
    else if (e.key.startsWith(Keys.topicConfigPrefix)) delta = this.applyTopicConfig(e.key.slice(Keys.topicConfigPrefix.length), e);
    else if (e.key === Keys.brokerConfig) {
      const r = e.value === null ? null : this.parse(BrokerConfigRecordSchema, e);
      this.brokerOverrides = Object.freeze({ ...(r?.configs ?? {}) });
      delta = { ...emptyDelta(), brokerConfigsChanged: true };
    } else if (e.key === Keys.clusterId) {
      const r = e.value === null ? null : this.parse(ClusterIdRecordSchema, e);
      if (r) this.cluster = r.clusterId;
    } else if (e.key.startsWith(Keys.brokerPrefix) && !this.opts.registry) {
      const id = Number(e.key.slice(Keys.brokerPrefix.length));
      const r = e.value === null ? null : this.parse(BrokerRegistrationSchema, e);
      if (r) this.localBrokers.set(r.id, r);
      else this.localBrokers.delete(id);
      delta = { ...emptyDelta(), brokersChanged: true };
    }
    this.appliedRevision = Math.max(this.appliedRevision, e.revision);
    if (delta) this.emit(delta);
    if (this.waiters.length > 0) {
      const ready = this.waiters.filter((w) => w.ready());
      this.waiters = this.waiters.filter((w) => !ready.includes(w));
      for (const w of ready) w.resolve();
    }
  }

  private applyTopic(name: string, e: KvEntry): MetadataDelta | null {
    const before = this.images.get(name);
    const record = e.value === null ? null : this.parse(TopicRecordSchema, e);
    if (!record) {
      this.topicRecords.delete(name);
      this.images.delete(name);
      if (before) this.idToName.delete(before.topicId);
      return before ? { ...emptyDelta(), topicsDeleted: [before] } : null;
    }
    this.topicRecords.set(name, record);
    if (before && before.topicId !== record.topicId) this.idToName.delete(before.topicId);
    this.idToName.set(record.topicId, name);
    const image = this.rebuild(name);
    if (!before || before.topicId !== record.topicId) {
      return {
        ...emptyDelta(),
        topicsCreated: [name],
        topicsDeleted: before ? [before] : [],
        partitionsChanged: image?.partitions ?? [],
      };
    }
    return { ...emptyDelta(), topicConfigsChanged: [name] };
  }

  private applyPartition(e: KvEntry): MetadataDelta | null {
    const id = parsePartitionKey(e.key);
    if (!id) return null;
    const state = e.value === null ? null : this.parse(PartitionStateSchema, e);
    let parts = this.partitionStates.get(id.topic);
    let revs = this.partitionRevisions.get(id.topic);
    if (state) {
      if (!parts) this.partitionStates.set(id.topic, (parts = new Map()));
      if (!revs) this.partitionRevisions.set(id.topic, (revs = new Map()));
      parts.set(id.partition, state);
      revs.set(id.partition, e.revision);
    } else {
      parts?.delete(id.partition);
      revs?.delete(id.partition);
      if (parts?.size === 0) this.partitionStates.delete(id.topic);
      if (revs?.size === 0) this.partitionRevisions.delete(id.topic);
    }
    if (!this.topicRecords.has(id.topic)) return null; // not visible yet, or being deleted
    this.rebuild(id.topic);
    return state ? { ...emptyDelta(), partitionsChanged: [state] } : null;
  }

  private applyTopicConfig(name: string, e: KvEntry): MetadataDelta | null {
    const r = e.value === null ? null : this.parse(TopicConfigRecordSchema, e);
    if (r) this.topicConfigRecords.set(name, r);
    else this.topicConfigRecords.delete(name);
    if (!this.topicRecords.has(name)) return null;
    this.rebuild(name);
    return { ...emptyDelta(), topicConfigsChanged: [name] };
  }

  private rebuild(name: string): TopicImage | undefined {
    const record = this.topicRecords.get(name);
    if (!record) return undefined;
    const parts = this.partitionStates.get(name);
    const partitions: PartitionState[] = [];
    for (let p = 0; parts?.has(p); p++) {
      const s = parts.get(p);
      if (s) partitions.push(s);
    }
    // A config record left over from a previous incarnation of the name does not apply.
    const cfg = this.topicConfigRecords.get(name);
    const configs = cfg && cfg.topicId === record.topicId ? cfg.configs : (record.configs ?? {});
    const image: TopicImage = { name, topicId: record.topicId, internal: record.internal, partitions, configs: Object.freeze({ ...configs }) };
    this.images.set(name, image);
    return image;
  }

  private emit(delta: MetadataDelta): void {
    for (const l of this.listeners) {
      try {
        l(delta);
      } catch (err) {
        this.opts.logger?.error({ err }, 'metadata listener failed');
      }
    }
  }
}

function emptyDelta(): MetadataDelta {
  return { topicsCreated: [], topicsDeleted: [], partitionsChanged: [], topicConfigsChanged: [] };
}
