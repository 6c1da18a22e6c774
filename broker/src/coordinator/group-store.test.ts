/**
 * GroupStore.load bounds the replay by the LEO, not the HW: after a failover the new
 * coordinator's HW lags its LEO until followers fetch, yet everything it holds is what will be
 * committed, and stopping at the HW would lose offset commits the old leader acknowledged.
 */
import { describe, expect, it } from '@jest/globals';
import { offsetKey } from './group.js';
import { GroupStore } from './group-store.js';
import { InMemoryOffsetsLog, InMemoryOffsetsTopic } from './in-memory-offsets-log.js';
import { systemScheduler } from './scheduler.js';

/** A replica whose HW lags its LEO, as a newly elected leader's does. */
class LaggingHwLog extends InMemoryOffsetsLog {
  hw = 0;
  override get highWatermark(): number {
    return this.hw;
  }
}

describe('GroupStore.load', () => {
  it('replays up to the LEO even when the HW lags behind', async () => {
    const topic = new InMemoryOffsetsTopic();
    await topic.ensureTopic();
    const log = new LaggingHwLog();
    topic.logs.set(0, log);
    const store = new GroupStore(topic, systemScheduler);
    const commit = (offset: number) =>
      store.offsetRecord('g', { topic: 't', partition: 0, value: { offset, leaderEpoch: -1, metadata: '', commitTimestamp: 1, expireTimestamp: -1, recordOffset: -1 } });
    await store.append(0, [commit(5)]);
    await store.append(0, [commit(9)]);
    expect(log.logEndOffset).toBe(2);
    log.hw = 1; // only the first commit is known to be replicated so far

    const groups = await store.load(0);
    expect(groups.get('g')?.offsets.get(offsetKey('t', 0))?.offset).toBe(9);
  });
});
