import { ErrorCode, KafkaError, errorName, isRetriable } from './errors.js';

describe('errors', () => {
  it('uses Kafka names and codes', () => {
    expect(ErrorCode.UNSUPPORTED_VERSION).toBe(35);
    expect(ErrorCode.INVALID_RECORD).toBe(87);
    expect(errorName(6)).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(errorName(-1)).toBe('UNKNOWN_SERVER_ERROR');
    expect(errorName(9999)).toBe('UNKNOWN_ERROR_9999');
    expect(new Set(Object.values(ErrorCode)).size).toBe(Object.keys(ErrorCode).length);
    expect(isRetriable(ErrorCode.NOT_LEADER_OR_FOLLOWER)).toBe(true);
    expect(isRetriable(ErrorCode.INVALID_CONFIG)).toBe(false);
  });

  it('KafkaError carries its code', () => {
    const e = new KafkaError(ErrorCode.CORRUPT_MESSAGE);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe(2);
    expect(e.message).toBe('CORRUPT_MESSAGE');
  });
});
