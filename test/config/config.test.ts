import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CONFIG_DEFAULTS, ConfigError, checkConfig, clearingConfig, loadConfig, netDebitCapMinor, perPaymentMaximumMinor, serviceFor,
} from '../../switch/config.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const minimal = {
  name: 'two-bank scheme', currencies: ['EUR'],
  participants: [
    { bic: 'BANKDEFFXXX', name: 'Bank A', status: 'active', currencies: ['EUR'] },
    { bic: 'BANKFRPPXXX', name: 'Bank B', status: 'active', currencies: ['EUR'] },
  ],
};

function problemsOf(raw: unknown): string[] {
  try {
    checkConfig(raw);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.problems];
  }
  assert.fail('the configuration was accepted');
}

describe('scheme configuration', () => {
  it('the demo scheme loads, with typed accessors', () => {
    const config = clearingConfig(loadConfig(join(root, 'config', 'demo-scheme.json')));
    assert.equal(config.participants.length, 5);
    assert.equal(config.switchBic, 'CLHSDEFFXXX');
    assert.equal(config.settlementAgent.bic, 'MARKDEFFXXX');
    assert.deepEqual(config.cycles, ['10:00', '13:00', '16:00']);
    assert.equal(config.calendar.timeZone, 'Europe/Berlin');
    assert.equal(netDebitCapMinor(config, 'BANKDEFFXXX', 'EUR'), 500_000_000n);
    assert.equal(netDebitCapMinor(config, 'BANKBEBB', 'EUR'), 5_000_000n, 'a BIC8 finds its BIC11');
    assert.throws(() => netDebitCapMinor(config, 'BANKXXXXXXX', 'EUR'), /no net debit cap/);
    const realtime = serviceFor(config, 'pacs.008', 'realtime');
    assert.equal(realtime?.mode, 'realtime');
    assert.equal(realtime?.mode === 'realtime' && realtime.confirmationTimeoutMs, 20_000);
    assert.equal(serviceFor(config, 'pacs.008')?.mode, 'batch', 'without a mode: the first configured');
    assert.equal(serviceFor(config, 'pacs.009'), undefined);
    assert.equal(perPaymentMaximumMinor(config, 'EUR', realtime), 10_000_000n, 'the service maximum is lower');
    assert.equal(perPaymentMaximumMinor(config, 'EUR', serviceFor(config, 'pacs.008', 'batch')), 100_000_000n);
  });

  it('a validator-only file still loads, with the documented defaults filled in', () => {
    const config = checkConfig(minimal);
    assert.deepEqual(config.calendar, CONFIG_DEFAULTS.calendar);
    assert.deepEqual(config.cycles, ['24:00']);
    assert.deepEqual(config.services, [{ messageType: 'pacs.008', mode: 'batch' }]);
    assert.equal(config.dataDirectory, '.clearhouse');
    assert.deepEqual(config.participants[0]!.netDebitCap, { EUR: '0.00' }, 'no cap given: zero, fail-safe');
    assert.deepEqual(config.participants[0]!.connector, { type: 'directory', path: join('.clearhouse', 'mailboxes', 'BANKDEFFXXX') });
    assert.equal(config.settlementAgent, undefined);
    assert.equal(perPaymentMaximumMinor(config, 'EUR'), undefined);
    assert.throws(() => clearingConfig(config), (e: ConfigError) => e.problems.length === 2 && /switchBic/.test(e.message) && /settlementAgent/.test(e.message));
  });

  it('futureDatedHorizonBusinessDays: default 5, 0 … limits.futureDatedHorizonBusinessDaysMax, else a problem naming the key', () => {
    assert.equal(checkConfig(minimal).futureDatedHorizonBusinessDays, CONFIG_DEFAULTS.futureDatedHorizonBusinessDays);
    assert.equal(CONFIG_DEFAULTS.futureDatedHorizonBusinessDays, 5);
    assert.equal(checkConfig({ ...minimal, futureDatedHorizonBusinessDays: 0 }).futureDatedHorizonBusinessDays, 0);
    for (const bad of [-1, 2.5, '3', 61]) {
      const problems = problemsOf({ ...minimal, futureDatedHorizonBusinessDays: bad });
      assert.ok(problems.some((p) => p.startsWith('futureDatedHorizonBusinessDays:') && p.includes('0 to 60')), `${JSON.stringify(bad)}: ${problems.join('; ')}`);
    }
  });

  it('a realtime service gets its defaults', () => {
    const config = checkConfig({ ...minimal, services: [{ messageType: 'pacs.008', mode: 'realtime' }] });
    assert.deepEqual(config.services[0], { messageType: 'pacs.008', mode: 'realtime', receiverConfirmation: true, confirmationTimeoutMs: 20_000, overCap: 'reject' });
  });

  const bad: Array<[string, Record<string, unknown>, RegExp[]]> = [
    ['unknown time zone, bad roll time, bad holiday, bad weekend days',
      { calendar: { timeZone: 'Europe/Atlantis', cycleDayRollTime: '25:00', holidays: ['2026-02-30', 'x'], weekendDays: [7] } },
      [/^calendar\.timeZone: "Europe\/Atlantis"/, /^calendar\.cycleDayRollTime: "25:00"/, /^calendar\.holidays\[0\]: "2026-02-30"/, /^calendar\.holidays\[1\]/, /^calendar\.weekendDays/]],
    ['cycles not increasing, after the roll, malformed',
      { calendar: { timeZone: 'Europe/Berlin', cycleDayRollTime: '16:00' }, cycles: ['10:00', '10:00', '9:00', '17:00'] },
      [/^cycles\[1\]: 10:00 must be after 10:00/, /^cycles\[2\]: "9:00" is not a local time/, /^cycles\[3\]: 17:00 is after the cycle-day roll time 16:00/]],
    ['services: duplicate, bad mode, realtime-only fields on batch, bad timeout, unknown message type',
      { services: [
        { messageType: 'pacs.008', mode: 'batch', overCap: 'queue' },
        { messageType: 'pacs.008', mode: 'batch' },
        { messageType: 'pacs.008', mode: 'realtime', confirmationTimeoutMs: 90_000, overCap: 'drop', perPaymentMaximum: { EUR: 100 } },
        { messageType: 'camt.053', mode: 'instant' },
      ] },
      [/^services\[0\]\.overCap: only for realtime/, /^services\[1\]: a second batch service for pacs\.008/, /^services\[2\]\.confirmationTimeoutMs: an integer 1\.\.60000/,
        /^services\[2\]\.overCap/, /^services\[2\]\.perPaymentMaximum\.EUR: 100 is not a valid EUR amount/, /^services\[3\]\.messageType/, /^services\[3\]\.mode/]],
    ['empty services', { services: [] }, [/^services: a non-empty list/]],
    ['caps: missing currency, bad amount, foreign currency; bad connectors',
      { currencies: ['EUR', 'USD'], participants: [
        { bic: 'BANKDEFFXXX', name: 'A', status: 'active', currencies: ['EUR', 'USD'], netDebitCap: { EUR: '5000000.00' }, connector: { type: 'ftp' } },
        { bic: 'BANKFRPPXXX', name: 'B', status: 'active', currencies: ['EUR'], netDebitCap: { EUR: 5000000, GBP: '1.00' },
          connector: { type: 'sftp', host: 'sftp.bank-b.example', port: 70000, username: 'clhs', privateKeyPath: 'keys/b', hostKeySha256: 'abc' } },
      ] },
      [/^participants\[0\]\.netDebitCap\.USD: missing/, /^participants\[0\]\.connector\.type/, /^participants\[1\]\.netDebitCap\.EUR: 5000000 is not a valid EUR amount/,
        /^participants\[1\]\.netDebitCap\.GBP: not a scheme currency/, /^participants\[1\]\.connector\.port/, /^participants\[1\]\.connector\.hostKeySha256/]],
    ['settlement agent, switch BIC, typos',
      { switchBic: 'BANKDEFFXXX', settlementAgent: { bic: 'central', settlementAccount: '' }, cylces: ['10:00'] },
      [/^switchBic: BANKDEFFXXX is also a participant/, /^settlementAgent\.settlementAccount/, /^settlementAgent\.bic: "central" is not a BIC/, /^settlementAgent\.name/, /^cylces: unknown field/]],
    ['one institution twice (BIC8 and BIC11), the switch and the settlement agent as participants by their other form',
      { switchBic: 'BANKDEFF', settlementAgent: { bic: 'BANKFRPP', name: 'Agent', settlementAccount: 'X' }, participants: [
        ...minimal.participants, { bic: 'BANKFRPP', name: 'B again', status: 'active', currencies: ['EUR'] }] },
      [/^participants\[2\]\.bic: BANKFRPP is listed twice/, /^switchBic: BANKDEFF is also a participant/, /^settlementAgent\.bic: BANKFRPP is also a participant/]],
    ['amounts above the switch\'s ceilings (switch/limits.ts)',
      { perPaymentMaximum: { EUR: '100000000000.01' }, participants: [
        { ...minimal.participants[0], netDebitCap: { EUR: '800000000000.01' } }, { ...minimal.participants[1], netDebitCap: { EUR: '800000000000.00' } }] },
      [/^perPaymentMaximum\.EUR: 100000000000\.01 is above the switch's ceiling of 100000000000\.00 EUR/,
        /^participants\[0\]\.netDebitCap\.EUR: 800000000000\.01 is above the switch's ceiling of 800000000000\.00 EUR/]],
  ];
  for (const [what, change, expected] of bad) {
    it(`every problem is reported with its path: ${what}`, () => {
      const problems = problemsOf({ ...minimal, ...change });
      for (const pattern of expected) assert.ok(problems.some((p) => pattern.test(p)), `${pattern} in\n${problems.join('\n')}`);
      assert.equal(problems.length, expected.length, problems.join('\n'));
    });
  }

  it('a complete SFTP connector and comment keys are accepted', () => {
    const config = checkConfig({
      ...minimal, _comment: 'ignored', participants: [{
        ...minimal.participants[0], netDebitCap: { EUR: '1000000.00' },
        connector: { type: 'sftp', host: '127.0.0.1', port: 2222, username: 'sftpuser', privateKeyPath: 'keys/client', hostKeySha256: `SHA256:${'A'.repeat(43)}` },
      }],
    });
    assert.deepEqual(config.participants[0]!.connector, {
      type: 'sftp', host: '127.0.0.1', port: 2222, username: 'sftpuser', privateKeyPath: 'keys/client', hostKeySha256: `SHA256:${'A'.repeat(43)}`,
      inbound: 'inbound', outbound: 'outbound',
    });
  });
});
