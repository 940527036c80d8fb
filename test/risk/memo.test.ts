/** The screening memos' bound (switch/risk/screening/memo.ts): never more than `max` answers held. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedMemo } from '../../switch/risk/screening/memo.ts';

describe('BoundedMemo', () => {
  it('answers what was set, and forgets everything when one more than max would be held', () => {
    const memo = new BoundedMemo<number>(3);
    for (const [k, v] of [['a', 1], ['b', 2], ['c', 3]] as const) memo.set(k, v);
    assert.deepEqual(['a', 'b', 'c'].map((k) => memo.get(k)), [1, 2, 3]);
    memo.set('d', 4);
    assert.deepEqual(['a', 'b', 'c', 'd'].map((k) => memo.get(k)), [undefined, undefined, undefined, 4]);
  });
});
