import { FrameReader, FrameSizeError } from './frame-reader.js';

function frame(payload: number[]): Buffer {
  const b = Buffer.alloc(4 + payload.length);
  b.writeInt32BE(payload.length, 0);
  Buffer.from(payload).copy(b, 4);
  return b;
}

describe('FrameReader', () => {
  it('splits several frames in one chunk without copying', () => {
    const chunk = Buffer.concat([frame([0, 0, 0, 1, 9]), frame([0, 0, 0, 2])]);
    const out = new FrameReader(100).push(chunk);
    expect(out.map((f) => [...f])).toEqual([[0, 0, 0, 1, 9], [0, 0, 0, 2]]);
    expect(out[0]?.buffer).toBe(chunk.buffer);
  });

  it('reassembles a frame fed one byte at a time, size prefix included', () => {
    const r = new FrameReader(100);
    const bytes = Buffer.concat([frame([0, 0, 0, 7, 1, 2, 3]), frame([0, 0, 0, 8])]);
    const out: Buffer[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...r.push(bytes.subarray(i, i + 1)));
    expect(out.map((f) => [...f])).toEqual([[0, 0, 0, 7, 1, 2, 3], [0, 0, 0, 8]]);
  });

  it('rejects sizes below a correlation id or above the limit', () => {
    expect(() => new FrameReader(100).push(frame([1, 2]))).toThrow(FrameSizeError);
    expect(() => new FrameReader(3 + 1).push(frame([1, 2, 3, 4, 5]))).toThrow(FrameSizeError);
  });
});
