/**
 * What a test needs from outside the repository and may not find: the official ISO 20022 XSDs, root
 * and an OpenSSH server for the SFTP tests, openssl. Under CI (CI=true) a missing prerequisite FAILS
 * the test: CI provides everything, so there it is a broken set-up, never a reason to check less.
 * Elsewhere the test is skipped with the reason (or checks less and says so), and bin/run-tests.js
 * counts those at the end of `npm test`. Every such path in test/ goes through this module.
 */
import type { TestContext } from 'node:test';

/** Diagnostics that start with this are counted as checks left out (prerequisite-reporter.js has the same text). */
export const MISSING_PREFIX = 'prerequisite missing: ';

export function underCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

function fail(reason: string): never {
  throw new Error(`${reason} (CI is set: a missing prerequisite fails the test instead of skipping it)`);
}

/**
 * When `reason` names a missing prerequisite: skip `t` with it and return true (the caller returns),
 * or under CI throw. Without a reason, false: the test goes on.
 */
export function requireOrSkip(t: TestContext, reason: string | false | undefined): boolean {
  if (!reason) return false;
  if (underCi()) fail(reason);
  t.skip(reason);
  return true;
}

/**
 * For a test that checks less without the prerequisite: true when it is there; otherwise under CI
 * throw, elsewhere note it (counted as a check left out) and return false.
 */
export function requireOrNote(t: TestContext, reason: string | false | undefined): boolean {
  if (!reason) return true;
  if (underCi()) fail(reason);
  t.diagnostic(`${MISSING_PREFIX}${reason}`);
  return false;
}

/** For the `skip` option of describe/it: the reason to skip, or under CI an error when loading the file. */
export function skipOption(reason: string | false | undefined): string | false {
  if (!reason) return false;
  if (underCi()) fail(reason);
  return reason;
}
