/** The payment state machine: every legal transition, every illegal pair, and the doc kept in step. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  isFinal, nextState, paymentEvents, paymentStates, toMarkdownTable, toMermaid, transitionRules, transitions,
  type PaymentEvent, type PaymentState,
} from '../../switch/clearing/payment-state.ts';

/** The machine written out again by hand, from the brief, as an independent check of the table. */
const legal: [PaymentState, PaymentEvent, PaymentState][] = [
  ['RECEIVED', 'REJECT', 'REJECTED'],
  ['RECEIVED', 'ACCEPT_BATCH', 'ACCEPTED'],
  ['RECEIVED', 'RESERVE', 'RESERVED'],
  ['RECEIVED', 'QUEUE', 'QUEUED'],
  ['QUEUED', 'DEQUEUE_RESERVE', 'RESERVED'],
  ['QUEUED', 'EXPIRE', 'RELEASED'],
  ['RESERVED', 'CREDITOR_ACCEPTED', 'COMMITTED'],
  ['RESERVED', 'CREDITOR_REJECTED', 'RELEASED'],
  ['RESERVED', 'TIMEOUT', 'RELEASED'],
  ['ACCEPTED', 'NET', 'NETTED'],
  ['NETTED', 'UNWIND', 'UNWOUND'],
  // Only by an operator resolving a PARTIALLY_SETTLED cycle (unwind-defaulter; docs/decisions.md record 20).
  ['COMMITTED', 'UNWIND', 'UNWOUND'],
  ['NETTED', 'SETTLE', 'SETTLED'],
  ['UNWOUND', 'REJECT', 'REJECTED'],
  ['COMMITTED', 'SETTLE', 'SETTLED'],
  ['SETTLED', 'RETURN', 'RETURNED'],
  ['ACCEPTED', 'CANCEL', 'CANCELLED'],
  ['QUEUED', 'CANCEL', 'CANCELLED'],
  // The risk stage's review queue (docs/risk.md): held, then released or rejected.
  ['RECEIVED', 'HOLD', 'HELD'],
  ['HELD', 'ACCEPT_BATCH', 'ACCEPTED'],
  ['HELD', 'RESERVE', 'RESERVED'],
  ['HELD', 'QUEUE', 'QUEUED'],
  ['HELD', 'REJECT', 'REJECTED'],
];

for (const [from, event, to] of legal) {
  test(`nextState: ${from} --${event}--> ${to}`, () => assert.deepEqual(nextState(from, event), { ok: true, state: to }));
}

test('nextState: every other state and event pair is refused as a value', () => {
  const allowed = new Set(legal.map(([from, event]) => `${from} ${event}`));
  let refused = 0;
  for (const from of paymentStates) {
    for (const event of paymentEvents) {
      if (allowed.has(`${from} ${event}`)) continue;
      const result = nextState(from, event);
      assert.equal(result.ok, false, `${from} ${event}`);
      if (!result.ok) assert.equal(result.reason, isFinal(from) ? 'FINAL_STATE' : 'NOT_ALLOWED');
      refused += 1;
    }
  }
  assert.equal(refused, paymentStates.length * paymentEvents.length - legal.length);
});

const illegalSamples: [PaymentState, PaymentEvent, string][] = [
  ['SETTLED', 'TIMEOUT', 'FINAL_STATE'],
  ['RELEASED', 'CREDITOR_ACCEPTED', 'FINAL_STATE'],
  ['RETURNED', 'RETURN', 'FINAL_STATE'],
  ['REJECTED', 'ACCEPT_BATCH', 'FINAL_STATE'],
  ['COMMITTED', 'RETURN', 'NOT_ALLOWED'],
  ['ACCEPTED', 'SETTLE', 'NOT_ALLOWED'],
  ['QUEUED', 'CREDITOR_ACCEPTED', 'NOT_ALLOWED'],
  ['RECEIVED', 'NET', 'NOT_ALLOWED'],
];
for (const [from, event, reason] of illegalSamples) {
  test(`nextState refuses ${event} in ${from}: ${reason}`, () => {
    const result = nextState(from, event);
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.reason, reason);
  });
}

test('nextState: states and events read from storage may be unknown', () => {
  assert.equal(nextState('LOST' as PaymentState, 'NET').ok, false);
  const result = nextState('RECEIVED', 'FLY' as PaymentEvent);
  assert.ok(!result.ok && result.reason === 'UNKNOWN_EVENT');
});

test('transitions map equals the hand-written machine', () => {
  const expected = new Map(paymentStates.map((s) => [s, new Set(legal.filter(([f]) => f === s).map(([, , t]) => t))]));
  assert.deepEqual(transitions, expected);
  assert.equal(transitionRules.length, legal.length);
});

test('isFinal: REJECTED, RELEASED, SETTLED, RETURNED, CANCELLED', () => {
  assert.deepEqual(paymentStates.filter(isFinal), ['REJECTED', 'RELEASED', 'SETTLED', 'RETURNED', 'CANCELLED']);
});

test('the transitions table in docs/payment-states.md, read row by row, is the machine of payment-state.ts', () => {
  const docPath = join(fileURLToPath(import.meta.url), '..', '..', '..', 'docs', 'payment-states.md');
  const doc = readFileSync(docPath, 'utf8');
  const section = doc.slice(doc.indexOf('## Transitions'));
  const rows = section.split('\n').filter((l) => /^\| [A-Z_]+ \| [A-Z]+ → [A-Z]+ \|/.test(l)).map((l) => {
    const [event, fromTo, cause, emits] = l.split(' | ').map((c) => c.replace(/^\| /, '').replace(/ \|$/, ''));
    const [from, to] = fromTo!.split(' → ');
    return { event, from, to, cause, emits };
  });
  assert.deepEqual(rows, transitionRules.map((r) => ({ event: r.event, from: r.from, to: r.to, cause: r.cause, emits: r.emits })));
  // And the hand-written machine above agrees with the doc (state, event, state).
  assert.deepEqual(rows.map((r) => `${r.from} ${r.event} ${r.to}`).sort(), legal.map(([f, e, t]) => `${f} ${e} ${t}`).sort());
});

test('docs/payment-states.md holds the current diagram and table', () => {
  const docPath = join(fileURLToPath(import.meta.url), '..', '..', '..', 'docs', 'payment-states.md');
  const doc = readFileSync(docPath, 'utf8');
  const diagram = `\`\`\`mermaid\n${toMermaid()}\`\`\``;
  assert.ok(doc.includes(diagram), `docs/payment-states.md is out of date; its diagram must be:\n${diagram}`);
  assert.ok(doc.includes(toMarkdownTable()), `docs/payment-states.md is out of date; its table must be:\n${toMarkdownTable()}`);
  for (const [from, event, to] of legal) assert.ok(toMermaid().includes(`${from} --> ${to} : ${event}`));
});
