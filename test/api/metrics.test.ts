/**
 * GET /metrics over real HTTPS: the Prometheus text exposition shows payments by service, outcome and
 * reason as the store holds them, positions and headroom per participant and currency as the engine
 * computes them, cycles, outbox depth, the API's intake latency and HTTP durations; operators,
 * supervisors and regulators read it, so does a scraper with the configured token (nobody with a wrong
 * one), participants and auditors do not; reading it writes nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { schemeConfig } from '../engine/support.ts';
import { apiHarness, type ApiHarness } from './support.ts';

function bulk(sender: number, receivers: number[], count: number, seed: number, localInstrument?: string) {
  return bulkCreditTransfer({
    seed, sender: DEMO_BANKS[sender]!, receivers: receivers.map((i) => DEMO_BANKS[i]!), transactionCount: count, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: `${DEMO_BANKS[sender]!.bic.slice(0, 8)}-MET${seed}`, localInstrument,
  });
}

function instant(sender: number, receiver: number, seed: number, value: string): string {
  const model = bulk(sender, [receiver], 1, seed, 'INST');
  return buildPacs008({ ...model, groupHeader: { ...model.groupHeader, controlSum: undefined, totalInterbankSettlementAmount: undefined },
    transactions: [{ ...model.transactions[0]!, interbankSettlementAmount: { currency: 'EUR', value } }] });
}

/** The samples of an exposition: `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('GET /metrics', () => {
  let a: ApiHarness;
  let xsd: XsdValidator;
  const scrapeToken = randomBytes(24).toString('base64url');
  before(async () => {
    xsd = new XsdValidator();
    a = await apiHarness('pglite', xsd, { config: schemeConfig({ caps: { BANKDEFFXXX: '100.00' } }), api: { metricsToken: scrapeToken } });
  });
  after(async () => {
    await a.close();
    await xsd.close();
  });

  it('shows payments by service, outcome and reason, positions and headroom, cycles, outbox and latencies', async () => {
    assert.equal((await a.call('POST', '/messages', { bank: 'BANKNL2AXXX', xml: buildPacs008(bulk(2, [1], 3, 1)) })).json.status, 'ACCP');
    assert.equal((await a.call('POST', '/messages', { bank: 'BANKDEFFXXX', xml: instant(0, 1, 2, '60.00') })).json.status, 'ACCP');
    // Over BANKDEFFXXX's headroom (100.00 - 60.00 reserved): refused AM04.
    await a.call('POST', '/messages', { bank: 'BANKDEFFXXX', xml: instant(0, 1, 3, '50.00') });
    const olivia = await a.login('olivia');
    assert.equal((await a.call('GET', '/positions', { token: olivia })).status, 200);

    const answer = await a.call('GET', '/metrics', { token: olivia });
    assert.equal(answer.status, 200, answer.text);
    assert.match(String(answer.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const m = samples(answer.text);
    assert.equal(m.get('clearhouse_payments{service="credit/batch",outcome="accepted",state="ACCEPTED",reason=""}'), 3);
    assert.equal(m.get('clearhouse_payments{service="credit/realtime",outcome="accepted",state="RESERVED",reason=""}'), 1);
    assert.equal(m.get('clearhouse_payments{service="credit/realtime",outcome="rejected",state="REJECTED",reason="AM04"}'), 1);
    for (const e of await a.h.engine.exposures()) {
      const labels = `{bic="${e.bic}",currency="${e.currency}"}`;
      assert.equal(m.get(`clearhouse_headroom_minor${labels}`), Number(e.headroomMinor), `headroom of ${e.bic}`);
      assert.equal(m.get(`clearhouse_net_debit_cap_minor${labels}`), Number(e.capMinor));
      assert.equal(m.get(`clearhouse_reserved_minor${labels}`), Number(e.reservedMinor));
    }
    assert.equal(m.get('clearhouse_headroom_minor{bic="BANKDEFFXXX",currency="EUR"}'), 4000);
    assert.equal(m.get('clearhouse_cycles{state="OPEN"}'), 1);
    assert.ok((m.get('clearhouse_outbox_messages{state="PENDING"}') ?? 0) >= 1, 'answers and the forwarded payment wait in the outbox');
    assert.equal(m.get('clearhouse_outbox_messages{state="FAILED"}'), 0);
    assert.equal(m.get('clearhouse_intake_duration_seconds_count{status="ACCP"}'), 3);
    assert.equal(m.get('clearhouse_http_request_duration_seconds_count{method="GET",route="/positions",status="200"}'), 1);
    assert.ok(m.get('clearhouse_next_cut_off_timestamp_seconds')! * 1000 > a.h.clock.now().getTime());
  });

  it('operators, supervisors, regulators and the scraper token read it; participants, auditors and wrong tokens do not', async () => {
    for (const name of ['olivia', 'sam', 'rita']) assert.equal((await a.call('GET', '/metrics', { token: await a.login(name) })).status, 200, name);
    assert.equal((await a.call('GET', '/metrics', { token: await a.login('aaron') })).status, 403);
    assert.equal((await a.call('GET', '/metrics', { bank: 'BANKDEFFXXX' })).status, 403);
    const scraped = await a.call('GET', '/metrics', { token: scrapeToken });
    assert.equal(scraped.status, 200, scraped.text);
    assert.match(scraped.text, /clearhouse_payments\{/);
    assert.equal((await a.call('GET', '/metrics', { token: `${scrapeToken}x` })).status, 401);
    assert.equal((await a.call('GET', '/metrics')).status, 401);
    assert.equal((await a.call('GET', '/positions', { token: scrapeToken })).status, 401, 'the scrape token opens /metrics only');
  });

  it('reading metrics writes nothing', async () => {
    const counts = async () => {
      const db = a.h.engine.storeForTests();
      const out: Record<string, number> = {};
      for (const table of ['payments', 'messages', 'outbox', 'operator_actions', 'cycles', 'exposures', 'payment_transitions']) {
        const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
        out[table] = row!.n;
      }
      const [sum] = await db.query<{ s: string }>('SELECT sum(reserved_minor + net_minor + debits_minor)::text AS s FROM exposures');
      out.exposureSum = Number(sum!.s);
      return out;
    };
    const before = await counts();
    for (let i = 0; i < 3; i++) assert.equal((await a.call('GET', '/metrics', { token: scrapeToken })).status, 200);
    assert.deepEqual(await counts(), before);
  });
});
