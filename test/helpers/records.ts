/** Generating test records, parsing kcat output, and comparing what was sent with what was read. */

export interface SentRecord {
  readonly key: string;
  readonly value: string;
}

export interface ReadRecord {
  readonly offset: number;
  readonly key: string;
  readonly value: string;
  readonly headers: string;
  readonly timestamp: number;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.';

/**
 * `count` records with keys `<prefix>k<i>` and values of varying length (8..~200 bytes) made
 * of a deterministic mix of repeated and pseudo-random characters (so compression has both
 * something to do and something it cannot shrink). Never contains ':', '\t' or '\n'.
 */
export function makeRecords(count: number, prefix: string, seed = 1): SentRecord[] {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
  const out: SentRecord[] = [];
  for (let i = 0; i < count; i++) {
    const len = 8 + (rnd() % 190);
    let v = `${prefix}v${i}=`;
    while (v.length < len) {
      const r = rnd();
      v += r % 3 === 0 ? 'aaaa' : ALPHABET[r % ALPHABET.length];
    }
    out.push({ key: `${prefix}k${i}`, value: v });
  }
  return out;
}

/** kcat -P -K: input for the records. */
export function kcatInput(records: readonly SentRecord[]): Buffer {
  return Buffer.from(records.map((r) => `${r.key}:${r.value}\n`).join(''), 'utf8');
}

/** kcat -C -f format matching parseKcatOutput. */
export const KCAT_FORMAT = '%o\\t%T\\t%k\\t%h\\t%s\\n';

export function parseKcatOutput(stdout: Buffer | string): ReadRecord[] {
  const text = typeof stdout === 'string' ? stdout : stdout.toString('utf8');
  const out: ReadRecord[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split('\t');
    if (f.length !== 5) throw new Error(`unparseable kcat output line: ${JSON.stringify(line.slice(0, 300))}`);
    out.push({ offset: Number(f[0]), timestamp: Number(f[1]), key: f[2] ?? '', headers: f[3] ?? '', value: f[4] ?? '' });
  }
  return out;
}

/**
 * Null if `read` is exactly `sent` (same keys and values, in order) at dense offsets starting
 * at `firstOffset`, with headers equal to `headers` (kcat %h form) when given; otherwise a
 * description of the first difference.
 */
export function compareRead(
  sent: readonly SentRecord[],
  read: readonly ReadRecord[],
  firstOffset: number,
  headers?: string,
): string | null {
  const n = Math.min(sent.length, read.length);
  for (let i = 0; i < n; i++) {
    const s = sent[i] as SentRecord;
    const r = read[i] as ReadRecord;
    if (r.offset !== firstOffset + i) return `record #${i}: offset ${r.offset}, expected ${firstOffset + i} (offsets not dense)`;
    if (r.key !== s.key || r.value !== s.value) {
      return `record #${i} at offset ${r.offset}: read key=${JSON.stringify(r.key)} value=${JSON.stringify(r.value.slice(0, 80))}, sent key=${JSON.stringify(s.key)} value=${JSON.stringify(s.value.slice(0, 80))}`;
    }
    if (headers !== undefined && r.headers !== headers) return `record #${i} at offset ${r.offset}: headers ${JSON.stringify(r.headers)}, sent ${JSON.stringify(headers)}`;
  }
  if (read.length !== sent.length) return `read ${read.length} records, sent ${sent.length}`;
  return null;
}
