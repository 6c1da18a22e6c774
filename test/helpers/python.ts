/** Typed wrappers around test/clients/*.py (run under /usr/bin/python3). */
import { clientScript, requirePythonModules, runPythonJson } from './tools.js';

export interface Delivered {
  readonly partition: number;
  readonly offset: number;
  readonly key?: string;
  readonly value: string;
}

export interface ProduceResult {
  readonly delivered: Delivered[];
  readonly errors: Array<{ value: string; error: string }>;
  readonly undelivered?: number;
}

export interface ConsumedRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Array<[string, string | null]>;
  readonly timestamp: number;
}

export interface ConsumeResult {
  readonly records: ConsumedRecord[];
  readonly errors?: string[];
  readonly low?: number;
  readonly high?: number;
  readonly begin?: number;
  readonly end?: number;
}

export const CONFLUENT = clientScript('confluent_client.py');
export const KAFKA_PYTHON = clientScript('kafka_python_client.py');

export function confluent<T>(command: string, args: Record<string, unknown>, timeoutMs = 60_000): Promise<T> {
  requirePythonModules('confluent_kafka');
  return runPythonJson<T>(CONFLUENT, [command, JSON.stringify(args)], { timeoutMs });
}

export function kafkaPython<T>(command: string, args: Record<string, unknown>, timeoutMs = 60_000): Promise<T> {
  requirePythonModules('kafka');
  return runPythonJson<T>(KAFKA_PYTHON, [command, JSON.stringify(args)], { timeoutMs });
}

/** Reads a whole partition (from `startOffset` to the high watermark) with confluent assign(). */
export function confluentReadAll(bootstrap: string, topic: string, partition = 0, startOffset = 0, timeout = 40): Promise<ConsumeResult> {
  return confluent<ConsumeResult>('consume', { bootstrap, topic, partition, start_offset: startOffset, timeout }, (timeout + 20) * 1000);
}
