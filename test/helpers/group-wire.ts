/**
 * Hand-written group API requests for raw-socket tests (bad input, v4/v8 batched forms no
 * client here sends), independent of broker/src like wire.ts.
 */
import { Reader, Writer, requestFrame, requestFrameV2, type RawConnection } from './wire.js';

export const API = { OffsetFetch: 9, FindCoordinator: 10, JoinGroup: 11, Heartbeat: 12, LeaveGroup: 13, SyncGroup: 14, ListGroups: 16, OffsetDelete: 47 } as const;

class FlexReader extends Reader {
  uvarint(): number {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.buf.readUInt8(this.pos++);
      v |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v >>> 0;
    }
  }
  compactString(): string {
    const n = this.uvarint() - 1;
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  compactNullableString(): string | null {
    const n = this.uvarint() - 1;
    if (n < 0) return null;
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  skipTags(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      this.pos += this.uvarint();
    }
  }
}

let correlation = 1000;

/** One request on `conn`; returns a reader past the response header (v1 when flexible). */
async function call(conn: RawConnection, apiKey: number, version: number, body: Buffer, flexible: boolean): Promise<FlexReader> {
  const id = ++correlation;
  const frame = flexible ? requestFrameV2(apiKey, version, id, body) : requestFrame(apiKey, version, id, body);
  const r = new FlexReader(await conn.roundTrip(frame, 15_000));
  const got = r.int32();
  if (got !== id) throw new Error(`correlation id ${got} != ${id}`);
  if (flexible) r.skipTags();
  return r;
}

/** ConsumerProtocolSubscription v0 for `topics`. */
export function subscription(topics: readonly string[]): Buffer {
  const w = new Writer().int16(0).int32(topics.length);
  for (const t of topics) w.string(t);
  return w.int32(-1).build();
}

/** ConsumerProtocolAssignment v0. */
export function assignment(topic: string, partitions: readonly number[]): Buffer {
  const w = new Writer().int16(0).int32(1).string(topic).int32(partitions.length);
  for (const p of partitions) w.int32(p);
  return w.int32(-1).build();
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: string[];
}

/** JoinGroup v5. */
export async function joinGroup(
  conn: RawConnection,
  o: { groupId: string; memberId?: string; sessionTimeoutMs?: number; rebalanceTimeoutMs?: number; instanceId?: string | null; topics: readonly string[] },
): Promise<JoinResult> {
  const w = new Writer()
    .string(o.groupId)
    .int32(o.sessionTimeoutMs ?? 10_000)
    .int32(o.rebalanceTimeoutMs ?? 10_000)
    .string(o.memberId ?? '')
    .nullableString(o.instanceId ?? null)
    .string('consumer')
    .int32(1)
    .string('range')
    .bytes(subscription(o.topics));
  const r = await call(conn, API.JoinGroup, 5, w.build(), false);
  r.int32();
  const errorCode = r.int16();
  const generationId = r.int32();
  const protocolName = r.string();
  const leader = r.string();
  const memberId = r.string();
  const members: string[] = [];
  const n = r.int32();
  for (let i = 0; i < n; i++) {
    members.push(r.string());
    r.nullableString();
    r.pos += 4 + r.buf.readInt32BE(r.pos);
  }
  return { errorCode, generationId, protocolName, leader, memberId, members };
}

/** JoinGroup v5 the way clients do it: take the MEMBER_ID_REQUIRED id, then join with it. */
export async function joinAsNewMember(conn: RawConnection, o: { groupId: string; topics: readonly string[] }): Promise<JoinResult> {
  const first = await joinGroup(conn, o);
  if (first.errorCode !== 79) return first;
  return joinGroup(conn, { ...o, memberId: first.memberId });
}

/** SyncGroup v3; returns the error code and the member's assignment bytes. */
export async function syncGroup(
  conn: RawConnection,
  o: { groupId: string; generationId: number; memberId: string; assignments: ReadonlyArray<{ memberId: string; assignment: Buffer }> },
): Promise<{ errorCode: number; assignment: Buffer }> {
  const w = new Writer().string(o.groupId).int32(o.generationId).string(o.memberId).nullableString(null).int32(o.assignments.length);
  for (const a of o.assignments) w.string(a.memberId).bytes(a.assignment);
  const r = await call(conn, API.SyncGroup, 3, w.build(), false);
  r.int32();
  const errorCode = r.int16();
  const len = r.int32();
  return { errorCode, assignment: r.buf.subarray(r.pos, r.pos + Math.max(0, len)) };
}

/** Heartbeat v3. */
export async function heartbeat(conn: RawConnection, o: { groupId: string; generationId: number; memberId: string }): Promise<number> {
  const r = await call(conn, API.Heartbeat, 3, new Writer().string(o.groupId).int32(o.generationId).string(o.memberId).nullableString(null).build(), false);
  r.int32();
  return r.int16();
}

/** LeaveGroup v3 (batched members). */
export async function leaveGroup(conn: RawConnection, groupId: string, memberIds: readonly string[]): Promise<{ errorCode: number; members: Array<{ memberId: string; errorCode: number }> }> {
  const w = new Writer().string(groupId).int32(memberIds.length);
  for (const m of memberIds) w.string(m).nullableString(null);
  const r = await call(conn, API.LeaveGroup, 3, w.build(), false);
  r.int32();
  const errorCode = r.int16();
  const members: Array<{ memberId: string; errorCode: number }> = [];
  const n = r.int32();
  for (let i = 0; i < n; i++) {
    const memberId = r.string();
    r.nullableString();
    members.push({ memberId, errorCode: r.int16() });
  }
  return { errorCode, members };
}

/** FindCoordinator v4 (batched keys). */
export async function findCoordinators(conn: RawConnection, keyType: number, keys: readonly string[]): Promise<Array<{ key: string; nodeId: number; host: string; port: number; errorCode: number }>> {
  const w = new Writer().int8(keyType).uvarint(keys.length + 1);
  for (const k of keys) w.compactString(k);
  const r = await call(conn, API.FindCoordinator, 4, w.uvarint(0).build(), true);
  r.int32();
  const out: Array<{ key: string; nodeId: number; host: string; port: number; errorCode: number }> = [];
  const n = r.uvarint() - 1;
  for (let i = 0; i < n; i++) {
    const key = r.compactString();
    const nodeId = r.int32();
    const host = r.compactString();
    const port = r.int32();
    const errorCode = r.int16();
    r.compactNullableString();
    r.skipTags();
    out.push({ key, nodeId, host, port, errorCode });
  }
  return out;
}

/** ListGroups v4 with a state filter. */
export async function listGroups(conn: RawConnection, states: readonly string[]): Promise<{ errorCode: number; groups: Array<{ groupId: string; state: string }> }> {
  const w = new Writer().uvarint(states.length + 1);
  for (const s of states) w.compactString(s);
  const r = await call(conn, API.ListGroups, 4, w.uvarint(0).build(), true);
  r.int32();
  const errorCode = r.int16();
  const groups: Array<{ groupId: string; state: string }> = [];
  const n = r.uvarint() - 1;
  for (let i = 0; i < n; i++) {
    const groupId = r.compactString();
    r.compactString();
    const state = r.compactString();
    r.skipTags();
    groups.push({ groupId, state });
  }
  return { errorCode, groups };
}

/** OffsetDelete v0 for some partitions of one topic. */
export async function offsetDelete(conn: RawConnection, groupId: string, topic: string, partitions: readonly number[]): Promise<{ errorCode: number; partitions: Record<number, number> }> {
  const w = new Writer().string(groupId).int32(1).string(topic).int32(partitions.length);
  for (const p of partitions) w.int32(p);
  const r = await call(conn, API.OffsetDelete, 0, w.build(), false);
  const errorCode = r.int16();
  r.int32();
  const out: Record<number, number> = {};
  const nt = r.int32();
  for (let t = 0; t < nt; t++) {
    r.string();
    const np = r.int32();
    for (let i = 0; i < np; i++) out[r.int32()] = r.int16();
  }
  return { errorCode, partitions: out };
}

/** OffsetFetch v8 (several groups in one request); all topics of each group. */
export async function offsetFetchGroups(conn: RawConnection, groupIds: readonly string[]): Promise<Record<string, { errorCode: number; offsets: Record<string, number> }>> {
  const w = new Writer().uvarint(groupIds.length + 1);
  for (const g of groupIds) w.compactString(g).uvarint(0).uvarint(0); // topics null, no tags
  const r = await call(conn, API.OffsetFetch, 8, w.int8(0).uvarint(0).build(), true);
  r.int32();
  const out: Record<string, { errorCode: number; offsets: Record<string, number> }> = {};
  const ng = r.uvarint() - 1;
  for (let g = 0; g < ng; g++) {
    const groupId = r.compactString();
    const offsets: Record<string, number> = {};
    const nt = r.uvarint() - 1;
    for (let t = 0; t < nt; t++) {
      const name = r.compactString();
      const np = r.uvarint() - 1;
      for (let i = 0; i < np; i++) {
        const p = r.int32();
        const offset = Number(r.int64());
        r.int32();
        r.compactNullableString();
        r.int16();
        r.skipTags();
        offsets[`${name}:${p}`] = offset;
      }
      r.skipTags();
    }
    out[groupId] = { errorCode: r.int16(), offsets };
    r.skipTags();
  }
  return out;
}
