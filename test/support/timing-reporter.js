// A node:test reporter run beside the usual one by bin/run-tests.js: one JSON line per test file with its
// wall time (the runner's file-level "test:complete" event, named by the file's absolute path), for the
// per-file timing table at the end of a run. Plain JavaScript: the runner loads reporters without tsx.

export default async function* timingReporter(source) {
  for await (const event of source) {
    const { name, file, details } = event.data;
    if (event.type === 'test:complete' && typeof name === 'string' && name === file && typeof details?.duration_ms === 'number') {
      yield `${JSON.stringify({ file: name, ms: Math.round(details.duration_ms), passed: details.passed !== false && !details.error })}\n`;
    }
  }
}
