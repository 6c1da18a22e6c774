/**
 * SessionGate: after a registry-session lapse the broker leads again only once the session is
 * valid AND the image has applied the store revision read after the recovery.
 */
import { describe, expect, it } from '@jest/globals';
import { imageCurrent, SessionGate } from './session-gate.js';
import type { ClusterMembership } from './types.js';

class FakeSession implements ClusterMembership {
  valid = true;
  private readonly listeners = new Set<(v: boolean) => void>();
  isSessionValid(): boolean {
    return this.valid;
  }
  onSessionChange(cb: (v: boolean) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
  set(v: boolean): void {
    this.valid = v;
    for (const l of this.listeners) l(v);
  }
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('imageCurrent', () => {
  it('needs the target revision applied after a lapse, nothing otherwise', () => {
    expect(imageCurrent(false, null, 0)).toBe(true);
    expect(imageCurrent(true, null, 100)).toBe(false); // revision not read yet
    expect(imageCurrent(true, 10, 9)).toBe(false);
    expect(imageCurrent(true, 10, 10)).toBe(true);
  });
});

describe('SessionGate', () => {
  it('stays invalid after the session returns until the image reaches the store revision', async () => {
    const session = new FakeSession();
    let storeRev = 5;
    let applied = 5;
    const gate = new SessionGate({ session, storeRevision: async () => storeRev, appliedRevision: () => applied, pollMs: 5 });
    const events: boolean[] = [];
    gate.onSessionChange((v) => events.push(v));
    expect(gate.isSessionValid()).toBe(true);

    session.set(false);
    expect(gate.isSessionValid()).toBe(false);
    storeRev = 9; // the controller moved our leaderships meanwhile
    session.set(true);
    await tick(20);
    expect(gate.isSessionValid()).toBe(false); // session fine, image still at 5
    applied = 8;
    await tick(20);
    expect(gate.isSessionValid()).toBe(false);
    applied = 9;
    await tick(20);
    expect(gate.isSessionValid()).toBe(true);
    expect(events).toEqual([false, true]);
    gate.close();
  });

  it('a lapse noticed only by asking also requires the catch-up', async () => {
    const session = new FakeSession();
    let applied = 1;
    const gate = new SessionGate({ session, storeRevision: async () => 3, appliedRevision: () => applied, pollMs: 5 });
    session.valid = false; // no event yet
    expect(gate.isSessionValid()).toBe(false);
    session.set(true);
    await tick(20);
    expect(gate.isSessionValid()).toBe(false);
    applied = 3;
    await tick(20);
    expect(gate.isSessionValid()).toBe(true);
    gate.close();
  });

  it('a second lapse during the catch-up starts over', async () => {
    const session = new FakeSession();
    let storeRev = 2;
    let applied = 2;
    const gate = new SessionGate({ session, storeRevision: async () => storeRev, appliedRevision: () => applied, pollMs: 5 });
    session.set(false);
    storeRev = 4;
    session.set(true);
    await tick(10);
    session.set(false);
    storeRev = 7;
    applied = 4; // caught up with the first target only
    session.set(true);
    await tick(20);
    expect(gate.isSessionValid()).toBe(false);
    applied = 7;
    await tick(20);
    expect(gate.isSessionValid()).toBe(true);
    gate.close();
  });

  it('retries a failed revision read', async () => {
    const session = new FakeSession();
    let fail = 2;
    const gate = new SessionGate({
      session,
      storeRevision: async () => {
        if (fail-- > 0) throw new Error('nats not ready');
        return 1;
      },
      appliedRevision: () => 1,
      pollMs: 5,
    });
    session.set(false);
    session.set(true);
    expect(gate.isSessionValid()).toBe(false);
    await tick(100);
    expect(gate.isSessionValid()).toBe(true);
    gate.close();
  });
});
