/**
 * /healthz and /readyz of a real broker process. /healthz turns 503 when the data directory
 * really stops taking writes (made immutable with `chattr +i`, which stops root too; checked
 * by writing to it from here first) and 200 again after. /readyz is 200 on a healthy broker
 * and 503, naming the partitions, while a restarted broker replays a large
 * __consumer_offsets. (The follower-catch-up 503 comes with the cluster suites.)
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupBrokers, startBroker, type BrokerProcess } from '../helpers/broker.js';
import { httpJson } from '../helpers/http.js';
import { RawConnection, requestFrame, Writer } from '../helpers/wire.js';
import { sleep, waitFor } from '../helpers/wait.js';

afterAll(async () => {
  await cleanupBrokers();
});

/** Whether this process can create a file in `dir` right now. */
function canWrite(dir: string): boolean {
  const probe = join(dir, `.writable-${process.pid}`);
  try {
    writeFileSync(probe, 'x');
    rmSync(probe, { force: true });
    return true;
  } catch {
    return false;
  }
}

function chattr(flag: '+i' | '-i', dir: string): string | null {
  const r = spawnSync('chattr', [flag, dir], { encoding: 'utf8' });
  if (r.error !== undefined) return r.error.message;
  return r.status === 0 ? null : `${r.stdout}${r.stderr}`.trim();
}

describe('/healthz', () => {
  test('200 while the data dir takes writes; 503 with a reason when it does not; 200 again after', async () => {
    const broker = await startBroker();
    expect(await httpJson(broker, '/healthz')).toEqual({ status: 200, json: { status: 'ok' } });

    // chmod does not stop root, and tests run as root here: the immutable flag does (ext4/xfs).
    const failure = chattr('+i', broker.dataDir);
    try {
      if (failure !== null) throw new Error(`cannot make ${broker.dataDir} unwritable: chattr +i failed (${failure}); needs root on ext4/xfs (e2fsprogs)`);
      expect(canWrite(broker.dataDir)).toBe(false);
      const r = await httpJson<{ status: string; reason: string }>(broker, '/healthz');
      expect(r.status).toBe(503);
      expect(r.json.status).toBe('unhealthy');
      expect(r.json.reason).toMatch(/data dir not writable: EPERM/);
    } finally {
      chattr('-i', broker.dataDir);
    }
    expect(canWrite(broker.dataDir)).toBe(true);
    expect(await httpJson(broker, '/healthz')).toEqual({ status: 200, json: { status: 'ok' } });
    await broker.stop();
  });
});

// ---- raw group requests (enough commit records that replaying them takes a while) -------

let correlation = 0;

async function findCoordinator(conn: RawConnection, groupId: string): Promise<number> {
  const frame = requestFrame(10, 0, ++correlation, new Writer().string(groupId).build());
  const payload = await conn.roundTrip(frame, 10_000);
  return payload.readInt16BE(4); // after the correlation id
}

/** OffsetCommit v2, a "simple" commit (generation -1, no member) of `partitions` offsets. */
async function commitMany(conn: RawConnection, groupId: string, topic: string, partitions: number, offset: number): Promise<void> {
  const w = new Writer().string(groupId).int32(-1).string('').int64(-1).int32(1).string(topic).int32(partitions);
  for (let p = 0; p < partitions; p++) w.int32(p).int64(offset).nullableString(null);
  const payload = await conn.roundTrip(requestFrame(8, 2, ++correlation, w.build()), 15_000);
  // correlation id, topics[1]: name, partitions count, then (index, error) pairs: check the first.
  const nameLen = payload.readInt16BE(8);
  const firstError = payload.readInt16BE(4 + 4 + 2 + nameLen + 4 + 4);
  if (firstError !== 0) throw new Error(`OffsetCommit error ${firstError}`);
}

describe('/readyz', () => {
  test('200 when ready; 503 naming __consumer_offsets while a restarted broker is still loading it; 200 once loaded', async () => {
    const broker = await startBroker({ settings: { 'offsets.topic.num.partitions': 1, 'offsets.topic.replication.factor': 1 } });
    expect(await httpJson(broker, '/readyz')).toEqual({ status: 200, json: { status: 'ready' } });

    const conn = await RawConnection.open(broker.host, broker.port);
    try {
      await waitFor('FindCoordinator to create __consumer_offsets', async () => (await findCoordinator(conn, 'g')) === 0, { timeoutMs: 10_000, intervalMs: 100 });
      // 300,000 commit records: replaying them takes long enough (~1 s here) to be seen loading.
      for (let i = 0; i < 60; i++) await commitMany(conn, `g${i % 10}`, 'some-topic', 5000, i);
    } finally {
      conn.destroy();
    }
    await broker.stop();

    // Poll /readyz from before the restart until it is ready: the port is the same after a restart.
    const seen: { status: number; missing?: string[] }[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        try {
          const r = await httpJson<{ status: string; missing?: string[] }>(broker, '/readyz');
          seen.push({ status: r.status, ...(r.json.missing === undefined ? {} : { missing: r.json.missing }) });
          if (r.status === 200) return;
        } catch {
          // Not listening yet.
        }
        await sleep(5);
      }
    })();
    await broker.restart();
    await waitFor('/readyz 200 after the restart', async () => (await httpJson(broker, '/readyz')).status === 200, { timeoutMs: 30_000 });
    polling = false;
    await poller;
    const notReady = seen.filter((s) => s.status === 503);
    expect(notReady.length).toBeGreaterThan(0);
    expect(notReady[0]?.missing).toEqual(['coordinator partitions still loading (1): __consumer_offsets-0']);
    expect(seen[seen.length - 1]?.status).toBe(200);
  });
});
