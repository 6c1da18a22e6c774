import { describe, expect, it } from '@jest/globals';
import { FrameDecoder, FrameTooLargeError } from './frame-decoder.js';

const frame = (payload: string): Buffer => {
  const b = Buffer.alloc(4 + payload.length);
  b.writeInt32BE(payload.length, 0);
  b.write(payload, 4);
  return b;
};

describe('FrameDecoder', () => {
  it('returns frames within one chunk as slices of it', () => {
    const d = new FrameDecoder(1000);
    const chunk = Buffer.concat([frame('hello'), frame('world')]);
    d.push(chunk);
    const a = d.next();
    expect(a?.toString()).toBe('hello');
    expect(a?.buffer).toBe(chunk.buffer);
    expect(d.next()?.toString()).toBe('world');
    expect(d.next()).toBeNull();
    expect(d.bufferedBytes).toBe(0);
  });

  it('joins frames split across chunks at every byte boundary', () => {
    const all = Buffer.concat([frame('abcdef'), frame(''), frame('xyz')]);
    for (let cut = 0; cut <= all.length; cut++) {
      const d = new FrameDecoder(1000);
      const out: string[] = [];
      for (const part of [all.subarray(0, cut), all.subarray(cut)]) {
        d.push(part);
        for (let f = d.next(); f !== null; f = d.next()) out.push(f.toString());
      }
      expect(out).toEqual(['abcdef', '', 'xyz']);
    }
  });

  it('handles one byte at a time', () => {
    const all = Buffer.concat([frame('one'), frame('two')]);
    const d = new FrameDecoder(1000);
    const out: string[] = [];
    for (const byte of all) {
      d.push(Buffer.from([byte]));
      for (let f = d.next(); f !== null; f = d.next()) out.push(f.toString());
    }
    expect(out).toEqual(['one', 'two']);
  });

  it('rejects oversized and negative sizes before buffering the body', () => {
    const d = new FrameDecoder(10);
    d.push(frame('x'.repeat(11)).subarray(0, 4));
    expect(() => d.next()).toThrow(FrameTooLargeError);
    const n = new FrameDecoder(10);
    n.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(() => n.next()).toThrow(/negative/);
  });
});
