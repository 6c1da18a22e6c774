import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalMetadataStore } from './local-store.js';
import { describeMetadataStoreContract } from './metadata-store-contract.js';

describeMetadataStoreContract('LocalMetadataStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strand-contract-'));
  const store = await LocalMetadataStore.open(dir);
  return {
    store,
    dispose: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
