/**
 * The one piece of the "consumer" embedded protocol the broker must understand: the topic
 * list of a ConsumerProtocolSubscription (JoinGroup member metadata). Kafka parses it to know
 * which topics a group subscribes to (OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC, offset expiry
 * of unsubscribed topics). Layout, every version so far: int16 version, int32 topic count,
 * then int16-length UTF-8 names; what follows (user data, owned partitions, ...) is not needed.
 */

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** The subscribed topics, or null when the bytes are not a valid subscription. */
export function parseSubscriptionTopics(metadata: Buffer): string[] | null {
  if (metadata.length < 6) return null;
  const version = metadata.readInt16BE(0);
  if (version < 0) return null;
  const count = metadata.readInt32BE(2);
  // Each name needs at least its 2-byte length: a larger count is corrupt, not a huge list.
  if (count < 0 || count > (metadata.length - 6) / 2) return null;
  const topics: string[] = [];
  let pos = 6;
  for (let i = 0; i < count; i++) {
    if (pos + 2 > metadata.length) return null;
    const len = metadata.readInt16BE(pos);
    pos += 2;
    if (len < 0 || pos + len > metadata.length) return null;
    topics.push(metadata.toString('utf8', pos, pos + len));
    pos += len;
  }
  return topics;
}

/** Build a subscription (v0 layout, empty user data); used by tests and tools. */
export function encodeSubscription(topics: readonly string[], userData: Buffer | null = null): Buffer {
  const names = topics.map((t) => Buffer.from(t, 'utf8'));
  const size = 2 + 4 + names.reduce((n, b) => n + 2 + b.length, 0) + 4 + (userData?.length ?? 0);
  const out = Buffer.alloc(size);
  let pos = out.writeInt16BE(0, 0);
  pos = out.writeInt32BE(names.length, pos);
  for (const b of names) {
    pos = out.writeInt16BE(b.length, pos);
    pos += b.copy(out, pos);
  }
  pos = out.writeInt32BE(userData === null ? -1 : userData.length, pos);
  if (userData !== null) userData.copy(out, pos);
  return out;
}
