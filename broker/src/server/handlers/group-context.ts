/** Small pieces the group handlers share: the member's host as Kafka reports it. */
import type { RequestContext } from './types.js';

/**
 * Kafka reports a member's host as the connection's InetAddress ("/127.0.0.1"); the
 * connection id is "<host>:<port>-<n>" (or "[v6]:<port>-<n>").
 */
export function clientHost(ctx: RequestContext): string {
  const id = ctx.connectionId;
  const v6 = /^\[([^\]]+)\]/.exec(id);
  if (v6?.[1] !== undefined) return `/${v6[1]}`;
  const colon = id.lastIndexOf(':');
  return `/${colon > 0 ? id.slice(0, colon) : id}`;
}
