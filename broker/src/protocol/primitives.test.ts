import { ProtocolError, Reader, Writer, sizeOfUnsignedVarInt, sizeOfVarInt, sizeOfVarLong } from './primitives.js';

function roundTrip(write: (w: Writer) => void, read: (r: Reader) => unknown): unknown {
  const w = new Writer(16);
  write(w);
  const r = new Reader(w.toBuffer());
  const v = read(r);
  expect(r.remaining).toBe(0);
  return v;
}

describe('varints', () => {
  const ints = [0, 1, -1, 63, -64, 64, -65, 127, 128, 300, -300, 2 ** 31 - 1, -(2 ** 31), 12345678, -12345678];
  it.each(ints)('varint %d round-trips with the predicted size', (v) => {
    const w = new Writer();
    w.writeVarInt(v);
    expect(w.size).toBe(sizeOfVarInt(v));
    expect(new Reader(w.toBuffer()).readVarInt()).toBe(v);
  });

  const longs = [...ints, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1700000000000];
  it.each(longs)('varlong %d round-trips with the predicted size', (v) => {
    const w = new Writer();
    w.writeVarLong(v);
    expect(w.size).toBe(sizeOfVarLong(v));
    expect(new Reader(w.toBuffer()).readVarLong()).toBe(v);
  });

  it('zigzag encodes like Kafka', () => {
    const enc = (v: number): number[] => [...new Writer().writeVarInt(v).toBuffer()];
    expect(enc(0)).toEqual([0]);
    expect(enc(-1)).toEqual([1]);
    expect(enc(1)).toEqual([2]);
    expect(enc(-64)).toEqual([127]);
    expect(enc(64)).toEqual([0x80, 0x01]);
    expect([...new Writer().writeVarLong(-(2n ** 63n)).toBuffer()]).toEqual([...Array(9).fill(0xff), 0x01]);
  });

  it.each([0, 1, 127, 128, 16383, 16384, 2 ** 32 - 1])('unsigned varint %d', (v) => {
    const w = new Writer().writeUnsignedVarInt(v);
    expect(w.size).toBe(sizeOfUnsignedVarInt(v));
    expect(new Reader(w.toBuffer()).readUnsignedVarInt()).toBe(v);
  });

  it('rejects overlong and overflowing varints', () => {
    expect(() => new Reader(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).readUnsignedVarInt()).toThrow(ProtocolError);
    expect(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x1f])).readUnsignedVarInt()).toThrow(ProtocolError);
    expect(() => new Reader(Buffer.from(Array(11).fill(0x80))).readVarLong()).toThrow(ProtocolError);
  });
});

describe('fixed-width and strings', () => {
  it('int64 covers the safe range and clamps on encode', () => {
    for (const v of [0, -1, 1, 2 ** 32, -(2 ** 32) - 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      expect(roundTrip((w) => w.writeInt64(v), (r) => r.readInt64())).toBe(v);
    }
    const big = new Writer().writeInt64(1e30).toBuffer();
    expect(big.readBigInt64BE(0)).toBe(2n ** 63n - 1n);
    const small = new Writer().writeInt64(-1e30).toBuffer();
    expect(small.readBigInt64BE(0)).toBe(-(2n ** 63n));
    expect(new Writer().writeInt64(2n ** 70n).toBuffer().readBigInt64BE(0)).toBe(2n ** 63n - 1n);
  });

  it('strings, nullable and compact', () => {
    expect(roundTrip((w) => w.writeString('héllo'), (r) => r.readString())).toBe('héllo');
    expect(roundTrip((w) => w.writeNullableString(null), (r) => r.readNullableString())).toBeNull();
    expect(roundTrip((w) => w.writeCompactString(''), (r) => r.readCompactString())).toBe('');
    expect(roundTrip((w) => w.writeCompactNullableString(null), (r) => r.readCompactNullableString())).toBeNull();
    expect([...new Writer().writeCompactString('ab').toBuffer()]).toEqual([3, 97, 98]);
  });

  it('bytes are zero-copy views', () => {
    const buf = new Writer().writeBytes(Buffer.from([1, 2, 3])).toBuffer();
    const got = new Reader(buf).readBytes();
    expect([...got]).toEqual([1, 2, 3]);
    expect(got.buffer).toBe(buf.buffer);
    expect(roundTrip((w) => w.writeCompactNullableBytes(null), (r) => r.readCompactNullableBytes())).toBeNull();
  });

  it('uuid, float64, arrays', () => {
    const id = '0123456789abcdef0123456789abcdef';
    expect(roundTrip((w) => w.writeUuid(id), (r) => r.readUuid())).toBe(id);
    expect(roundTrip((w) => w.writeFloat64(1.5), (r) => r.readFloat64())).toBe(1.5);
    expect(
      roundTrip((w) => w.writeCompactArray([1, 2], (ww, x) => ww.writeInt32(x)), (r) => r.readCompactArray((rr) => rr.readInt32())),
    ).toEqual([1, 2]);
    expect(roundTrip((w) => w.writeArray(null, (ww, x: number) => ww.writeInt32(x)), (r) => r.readNullableArray((rr) => rr.readInt32()))).toBeNull();
  });
});

describe('truncation', () => {
  const cases: [string, Buffer, (r: Reader) => unknown][] = [
    ['int8', Buffer.alloc(0), (r) => r.readInt8()],
    ['int16', Buffer.alloc(1), (r) => r.readInt16()],
    ['int32', Buffer.alloc(3), (r) => r.readInt32()],
    ['int64', Buffer.alloc(7), (r) => r.readInt64()],
    ['uuid', Buffer.alloc(15), (r) => r.readUuid()],
    ['string', Buffer.from([0, 5, 97]), (r) => r.readString()],
    ['compact string', Buffer.from([6, 97]), (r) => r.readCompactString()],
    ['bytes', Buffer.from([0, 0, 0, 9, 1]), (r) => r.readBytes()],
    ['varint', Buffer.from([0x80]), (r) => r.readVarInt()],
    ['array', Buffer.from([0x7f, 0xff, 0xff, 0xff]), (r) => r.readArray((rr) => rr.readInt32())],
    ['negative-length bytes', Buffer.from([0xff, 0xff, 0xff, 0xfe]), (r) => r.readBytes()],
    ['null string', Buffer.from([0xff, 0xff]), (r) => r.readString()],
  ];
  it.each(cases)('%s throws ProtocolError', (_name, buf, read) => {
    expect(() => read(new Reader(buf))).toThrow(ProtocolError);
  });

  it('respects the end bound', () => {
    const r = new Reader(Buffer.from([0, 0, 0, 1, 0, 0, 0, 2]), 0, 4);
    expect(r.readInt32()).toBe(1);
    expect(() => r.readInt32()).toThrow(ProtocolError);
  });
});

describe('Writer chunks', () => {
  it('appends large buffers without copying and grows the scratch buffer', () => {
    const big = Buffer.alloc(10000, 7);
    const w = new Writer(16);
    w.writeInt32(1);
    w.writeChunk(big);
    for (let i = 0; i < 1000; i++) w.writeInt32(i);
    const { chunks, size } = w.finish();
    expect(size).toBe(4 + 10000 + 4000);
    expect(chunks).toContain(big);
    const flat = Buffer.concat(chunks);
    expect(flat.readInt32BE(0)).toBe(1);
    expect(flat.readInt32BE(10004 + 999 * 4)).toBe(999);
  });
});
