/** Test-only helpers for cluster and admin-handler tests (a config and a temp data dir). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SETTING_DEFAULTS, type BrokerConfig, type BrokerSettings } from '../config.js';

export function testBrokerConfig(dataDir: string, settings: Partial<BrokerSettings> = {}, nodeId = 0): BrokerConfig {
  return {
    nodeId,
    listen: { host: '127.0.0.1', port: 9092 },
    advertised: { host: '127.0.0.1', port: 9092 },
    dataDir,
    http: { host: '127.0.0.1', port: 9644 },
    metadata: 'local',
    cluster: 'test',
    rack: null,
    settings: { ...SETTING_DEFAULTS, ...settings },
  };
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'strand-cluster-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
