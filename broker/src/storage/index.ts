/** Public surface of the storage layer. */
export * from './types.js';
export { Log, InvalidBatchError, LogClosedError } from './log.js';
export { openLog, defaultResources, type OpenLogOptions } from './open-log.js';
export { LogManager, CLEAN_SHUTDOWN_MARKER, parseLogDirName, logDirName, type LogManagerOptions, type ManagedLog } from './log-manager.js';
export { FileHandleCache, CachedFile } from './fd-cache.js';
export { IndexMemory } from './index-file.js';
export { segmentFileName, type StorageResources } from './segment.js';
