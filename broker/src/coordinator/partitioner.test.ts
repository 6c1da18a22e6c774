import fc from 'fast-check';
import { javaStringHashCode, kafkaAbs, partitionFor } from './partitioner.js';
import { encodeSubscription, parseSubscriptionTopics } from './consumer-protocol.js';

/** Reference: Java's String#hashCode with BigInt arithmetic, truncated to int32 at the end. */
function referenceHash(s: string): number {
  let h = 0n;
  for (let i = 0; i < s.length; i++) h = (h * 31n + BigInt(s.charCodeAt(i))) & 0xffffffffn;
  return Number(BigInt.asIntN(32, h));
}

describe('partitionFor (Kafka coordinator placement)', () => {
  it('matches Java String#hashCode on known values', () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('a')).toBe(97);
    expect(javaStringHashCode('hello')).toBe(99162322);
    // A classic string whose hashCode is Integer.MIN_VALUE.
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
  });

  it('uses Utils.abs semantics: Integer.MIN_VALUE maps to 0', () => {
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(kafkaAbs(-5)).toBe(5);
    expect(partitionFor('polygenelubricants', 50)).toBe(0);
    expect(partitionFor('hello', 50)).toBe(99162322 % 50);
  });

  it('agrees with the reference hash for any string (incl. surrogate pairs) and stays in range', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 1, max: 200 }), (s, n) => {
        expect(javaStringHashCode(s)).toBe(referenceHash(s));
        const p = partitionFor(s, n);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(n);
      }),
    );
  });

  it('rejects a non-positive partition count', () => {
    expect(() => partitionFor('g', 0)).toThrow(RangeError);
  });
});

describe('consumer protocol subscription', () => {
  it('parses the topic list of a subscription', () => {
    expect(parseSubscriptionTopics(encodeSubscription(['a', 'bé'], Buffer.from('x')))).toEqual(['a', 'bé']);
  });

  it('returns null for garbage instead of throwing', () => {
    expect(parseSubscriptionTopics(Buffer.from([0, 0, 0x7f, 0xff, 0xff, 0xff]))).toBeNull();
    expect(parseSubscriptionTopics(Buffer.alloc(3))).toBeNull();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      parseSubscriptionTopics(Buffer.from(b));
    }));
  });
});
