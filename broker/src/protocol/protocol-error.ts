/** Malformed or truncated wire data (maps to INVALID_REQUEST or a closed connection). */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}
