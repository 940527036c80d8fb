/**
 * A second process on the store of test/engine/day-close-crash.test.ts (a program, not a test file).
 * `close`: opens the engine at the roll (2026-11-27 00:00:01 UTC), cuts the day's last (empty) cycle,
 * which closes the business day; `resume`: only opens the engine, as a restart does (Engine.open
 * finishes a close left incomplete). CLEARHOUSE_CRASH_AT / CLEARHOUSE_CRASH_AFTER kill it on the way.
 */
import { ManualClock } from '../../../switch/clock.ts';
import { Engine } from '../../../switch/engine/engine.ts';
import { schemeConfig } from '../support.ts';

const [databaseUrl, mode] = process.argv.slice(2);
const engine = await Engine.open({ config: schemeConfig(), databaseUrl: databaseUrl!, clock: new ManualClock('2026-11-27T00:00:01Z') });
try {
  if (mode === 'close') await engine.closeCycle();
  process.stdout.write(JSON.stringify(await engine.closedDays()) + '\n');
} finally {
  await engine.close();
}
