/**
 * Responses leave a connection in request order (Kafka clients match them by position as
 * much as by correlation id), even when handlers finish out of order, e.g. a long-poll
 * fetch followed by a metadata request. Each request reserves a slot; completing a slot
 * releases the run of finished slots at the head.
 */

export class ResponseQueue<T> {
  private nextSeq = 0;
  private headSeq = 0;
  /** Finished slots not yet released; null = finished with nothing to send (acks=0). */
  private readonly done = new Map<number, T | null>();

  /** Requests reserved and not yet released. */
  get pending(): number {
    return this.nextSeq - this.headSeq;
  }

  /** The oldest slot not yet released (every earlier response has been handed out). */
  get head(): number {
    return this.headSeq;
  }

  reserve(): number {
    return this.nextSeq++;
  }

  /** Mark a slot finished; returns the values now releasable, in order (nulls skipped). */
  complete(seq: number, value: T | null): T[] {
    if (seq < this.headSeq || seq >= this.nextSeq || this.done.has(seq)) {
      throw new Error(`response slot ${seq} is not pending`);
    }
    this.done.set(seq, value);
    const out: T[] = [];
    while (this.done.has(this.headSeq)) {
      const v = this.done.get(this.headSeq);
      this.done.delete(this.headSeq);
      this.headSeq++;
      if (v !== null && v !== undefined) out.push(v);
    }
    return out;
  }
}
