import fc from 'fast-check';
import { Group } from './group.js';
import { ALL_GROUP_STATES, canTransition, GroupInvariantError, GroupState } from './group-state.js';
import { Member } from './member.js';
import { encodeSubscription } from './consumer-protocol.js';

function member(id: string, protocols: string[], topics: string[] = ['t']): Member {
  return new Member(id, null, 'c', 'h', 1000, 6000, 'consumer', protocols.map((name) => ({ name, metadata: encodeSubscription(topics) })));
}

describe('group state machine', () => {
  it('allows exactly Kafka’s transitions', () => {
    const allowed = ALL_GROUP_STATES.flatMap((from) => ALL_GROUP_STATES.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`));
    expect(allowed.sort()).toEqual(
      [
        'Empty->PreparingRebalance',
        'Stable->PreparingRebalance',
        'CompletingRebalance->PreparingRebalance',
        'PreparingRebalance->CompletingRebalance',
        'CompletingRebalance->Stable',
        'PreparingRebalance->Empty',
        ...ALL_GROUP_STATES.map((s) => `${s}->Dead`),
      ].sort(),
    );
  });

  it('refuses an illegal transition loudly', () => {
    const g = new Group('g', 0);
    expect(() => g.transitionTo(GroupState.Stable, 1)).toThrow(GroupInvariantError);
  });

  it('generation only increases and a Stable/CompletingRebalance group has a leader that is a member', () => {
    const g = new Group('g', 0);
    g.add(member('a', ['range']));
    g.transitionTo(GroupState.PreparingRebalance, 1);
    g.initNextGeneration(2);
    expect(g.generationId).toBe(1);
    expect(g.leaderId).toBe('a');
    g.transitionTo(GroupState.Stable, 3);
    expect(() => g.restore(GroupState.Stable, 0, 4)).toThrow(GroupInvariantError);
    // Removing the only member while Stable breaks the invariant the next check asserts.
    g.remove('a');
    expect(() => g.checkInvariants()).toThrow(GroupInvariantError);
  });

  it('leadership passes to a remaining member when the leader is removed', () => {
    const g = new Group('g', 0);
    g.add(member('a', ['range']));
    g.add(member('b', ['range']));
    expect(g.leaderId).toBe('a');
    g.remove('a');
    expect(g.leaderId).toBe('b');
    g.remove('b');
    expect(g.leaderId).toBeNull();
  });

  it('protocol selection: always a protocol every member supports, the most voted one', () => {
    const names = ['range', 'roundrobin', 'sticky', 'coop'];
    fc.assert(
      fc.property(
        fc.array(fc.shuffledSubarray(names, { minLength: 1 }), { minLength: 1, maxLength: 8 }),
        (prefs) => {
          const common = names.filter((n) => prefs.every((p) => p.includes(n)));
          fc.pre(common.length > 0);
          const g = new Group('g', 0);
          prefs.forEach((p, i) => g.add(member(`m${i}`, p)));
          const chosen = g.selectProtocol();
          expect(common).toContain(chosen);
          const votes = (n: string) => prefs.filter((p) => p.find((x) => common.includes(x)) === n).length;
          for (const c of common) expect(votes(chosen)).toBeGreaterThanOrEqual(votes(c));
        },
      ),
    );
  });

  it('knows the subscribed topics of a consumer group from its members’ subscriptions', () => {
    const g = new Group('g', 0);
    g.add(member('a', ['range'], ['x', 'y']));
    g.add(member('b', ['range'], ['z']));
    g.transitionTo(GroupState.PreparingRebalance, 1);
    g.initNextGeneration(2);
    expect([...(g.subscribedTopics ?? [])].sort()).toEqual(['x', 'y', 'z']);
    expect(g.isSubscribedToTopic('z')).toBe(true);
    expect(g.isSubscribedToTopic('w')).toBe(false);
  });
});
