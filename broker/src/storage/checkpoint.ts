/**
 * The per-partition checkpoint file: log start offset (DeleteRecords/retention must survive
 * restarts) and recovery point (everything below it was fdatasync'd, so recovery after a crash
 * only re-checks segments from the one holding it). Kafka keeps these per data dir in
 * log-start-offset-checkpoint and recovery-point-offset-checkpoint; one small file per
 * partition keeps a partition's directory self-contained.
 *
 * Written atomically: temp file, fdatasync, rename.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CHECKPOINT_FILE = 'partition.checkpoint';
const VERSION = 0;

export interface PartitionCheckpoint {
  readonly logStartOffset: number;
  readonly recoveryPoint: number;
  /** The partition's high watermark when written (-1 unknown); an optional third number, older files lack it. */
  readonly highWatermark?: number;
}

export function readCheckpoint(dir: string): PartitionCheckpoint | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, CHECKPOINT_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const lines = text.split('\n');
  const nums = (lines[1] ?? '').trim().split(' ').map(Number);
  const [lso, rp, hw] = nums;
  if (lines[0] !== String(VERSION) || lso === undefined || rp === undefined || !Number.isSafeInteger(lso) || !Number.isSafeInteger(rp) || lso < 0 || rp < 0) {
    // A garbled checkpoint only costs a full recovery scan; never trust its numbers.
    return null;
  }
  return { logStartOffset: lso, recoveryPoint: rp, highWatermark: hw !== undefined && Number.isSafeInteger(hw) && hw >= 0 ? hw : -1 };
}

export function writeCheckpoint(dir: string, cp: PartitionCheckpoint): void {
  const file = path.join(dir, CHECKPOINT_FILE);
  const tmp = file + '.tmp';
  const fd = fs.openSync(tmp, 'w');
  try {
    const hw = cp.highWatermark !== undefined && cp.highWatermark >= 0 ? ` ${cp.highWatermark}` : '';
    fs.writeSync(fd, `${VERSION}\n${cp.logStartOffset} ${cp.recoveryPoint}${hw}\n`);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}
