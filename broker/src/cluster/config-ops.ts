/**
 * Applying AlterConfigs (replace every override) and IncrementalAlterConfigs (set / delete /
 * append / subtract) to a map of overrides, with Kafka's validation rules. Used for topic
 * and broker resources alike; the caller supplies the per-name rules.
 */
import type { ParseResult } from './config-values.js';
import { splitList } from './config-values.js';
import { ControllerError, type ConfigOp } from './types.js';

export interface ConfigRules {
  /** Validate a name/value pair (unknown names, read-only names and bad values fail). */
  validate(name: string, value: string | null): ParseResult;
  /** Error message when `name` may not be changed at all, else null (used for delete). */
  checkName(name: string): string | null;
  isList(name: string): boolean;
  /** The value in effect now, used as the base for APPEND/SUBTRACT when no override exists. */
  effective(name: string): string | null;
}

function invalid(message: string): ControllerError {
  return new ControllerError('INVALID_CONFIG', message);
}

export function applyConfigOps(
  current: Readonly<Record<string, string>>,
  ops: readonly ConfigOp[],
  replace: boolean,
  rules: ConfigRules,
): Record<string, string> {
  const seen = new Set<string>();
  for (const op of ops) {
    if (seen.has(op.name)) throw new ControllerError('INVALID_REQUEST', `Error due to duplicate config keys: ${op.name}`);
    seen.add(op.name);
  }

  if (replace) {
    // AlterConfigs: the request's entries become the whole override set; null values are dropped.
    const next: Record<string, string> = {};
    for (const op of ops) {
      if (op.op !== 'set') throw new ControllerError('INVALID_REQUEST', `Unexpected ${op.op} in a full config replacement`);
      if (op.value === null) continue;
      const r = rules.validate(op.name, op.value);
      if (!r.ok) throw invalid(r.message);
      next[op.name] = op.value;
    }
    return next;
  }

  const next: Record<string, string> = { ...current };
  for (const op of ops) {
    switch (op.op) {
      case 'set': {
        const r = rules.validate(op.name, op.value);
        if (!r.ok) throw invalid(r.message);
        next[op.name] = op.value ?? '';
        break;
      }
      case 'delete': {
        const why = rules.checkName(op.name);
        if (why !== null) throw invalid(why);
        delete next[op.name];
        break;
      }
      case 'append':
      case 'subtract': {
        const why = rules.checkName(op.name);
        if (why !== null) throw invalid(why);
        if (!rules.isList(op.name)) throw invalid(`Config value ${op.op} is not allowed for config key: ${op.name}`);
        if (op.value === null) throw invalid(`Null value not supported for ${op.op} on ${op.name}`);
        const base = splitList(next[op.name] ?? rules.effective(op.name) ?? '');
        const items = splitList(op.value);
        const result = op.op === 'append' ? [...base, ...items.filter((i) => !base.includes(i))] : base.filter((i) => !items.includes(i));
        const value = result.join(',');
        const r = rules.validate(op.name, value);
        if (!r.ok) throw invalid(r.message);
        next[op.name] = value;
        break;
      }
    }
  }
  return next;
}
