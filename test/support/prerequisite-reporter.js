// A node:test reporter run beside the usual one by bin/run-tests.js: one JSON line per skipped test and
// per check left out for a missing prerequisite (test/support/prerequisites.ts), for the summary at the
// end. Plain JavaScript: the runner loads reporters without the tsx loader.

/** The start of a "check left out" diagnostic: MISSING_PREFIX of test/support/prerequisites.ts. */
const MISSING_PREFIX = 'prerequisite missing: ';

export default async function* prerequisiteReporter(source) {
  for await (const event of source) {
    const { skip, message } = event.data;
    if (event.type === 'test:pass' && skip !== undefined && skip !== false) {
      yield `${JSON.stringify({ kind: 'skipped', name: event.data.name, reason: typeof skip === 'string' ? skip : '' })}\n`;
    } else if (event.type === 'test:diagnostic' && typeof message === 'string' && message.startsWith(MISSING_PREFIX)) {
      yield `${JSON.stringify({ kind: 'checked less', reason: message.slice(MISSING_PREFIX.length) })}\n`;
    }
  }
}
