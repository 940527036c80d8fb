/**
 * GET /events over real HTTPS: a text/event-stream of the engine's events (the engine's sink publishes
 * to the API's hub, as serve wires it) and positions snapshots, with heartbeats. A participant's stream
 * carries only what concerns it: its own positions, scheme-wide cycle steps, the events naming it;
 * never another participant's, never an alert. At most limits.api.eventStreamsPerPrincipalMax streams
 * per principal.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import { request } from 'node:https';
import { join } from 'node:path';
import { EventHub } from '../../switch/api/events.ts';
import { limits } from '../../switch/limits.ts';
import { apiHarness, type ApiHarness } from './support.ts';

interface Received { readonly name: string; readonly data: Record<string, unknown> }

/** An open event stream: what it received so far, comments counted. */
interface Stream {
  readonly status: number;
  readonly contentType: string;
  readonly events: Received[];
  comments: number;
  waitFor(predicate: (e: Received) => boolean, what: string): Promise<Received>;
  close(): void;
}

function openStream(a: ApiHarness, credentials: { bank?: string; token?: string }): Promise<Stream> {
  const caPem = readFileSync(join(a.pki.ca, 'ca.cert.pem'), 'utf8');
  return new Promise((resolve, reject) => {
    const events: Received[] = [];
    const waiters: (() => boolean)[] = [];
    const req: ClientRequest = request(`${a.api.url}/events`, {
      ca: caPem, servername: 'localhost', agent: false,
      ...(credentials.bank ? { key: readFileSync(a.pki.keyOf(credentials.bank)), cert: readFileSync(a.pki.certOf(credentials.bank)) } : {}),
      headers: { accept: 'text/event-stream', ...(credentials.token ? { authorization: `Bearer ${credentials.token}` } : {}) },
    }, (res) => {
      let buffer = '';
      const stream: Stream = {
        status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), events, comments: 0,
        waitFor: (predicate, what) => new Promise((found, fail) => {
          const timer = setTimeout(() => fail(new Error(`no ${what} within 10 s; got ${JSON.stringify(events.map((e) => e.name))}`)), 10_000);
          const check = (): boolean => {
            const hit = events.find(predicate);
            if (hit) {
              clearTimeout(timer);
              found(hit);
            }
            return hit !== undefined;
          };
          if (!check()) waiters.push(check);
        }),
        close: () => req.destroy(),
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n');
          if (lines.every((l) => l.startsWith(':') || l.startsWith('retry:'))) stream.comments++;
          const name = lines.find((l) => l.startsWith('event: '))?.slice(7);
          const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
          if (name && data) events.push({ name, data: JSON.parse(data) as Record<string, unknown> });
        }
        for (const waiter of [...waiters]) if (waiter()) waiters.splice(waiters.indexOf(waiter), 1);
      });
      res.on('error', () => undefined);
      resolve(stream);
    });
    req.on('error', (error: NodeJS.ErrnoException) => { if (error.code !== 'ECONNRESET') reject(error); });
    req.end();
  });
}

describe('GET /events', () => {
  let a: ApiHarness;
  const hub = new EventHub();
  const open: Stream[] = [];
  before(async () => {
    a = await apiHarness('pglite', undefined, { events: (e) => hub.publish(e), api: { events: hub, eventTiming: { positionsMs: 300, heartbeatMs: 200 } } });
  });
  after(async () => {
    for (const s of open) s.close();
    await a.close();
  });
  const stream = async (credentials: { bank?: string; token?: string }) => {
    const s = await openStream(a, credentials);
    open.push(s);
    return s;
  };

  it('streams positions, engine events and heartbeats; a participant gets only what concerns it', async () => {
    const olivia = await a.login('olivia');
    const staff = await stream({ token: olivia });
    const deff = await stream({ bank: 'BANKDEFFXXX' });
    assert.equal(staff.status, 200);
    assert.equal(staff.contentType, 'text/event-stream; charset=utf-8');

    const allPositions = await staff.waitFor((e) => e.name === 'positions', 'positions');
    assert.equal((allPositions.data.exposures as unknown[]).length, 5);
    const own = await deff.waitFor((e) => e.name === 'positions', 'positions');
    assert.deepEqual((own.data.exposures as { bic: string }[]).map((x) => x.bic), ['BANKDEFFXXX']);

    // A real cut-off: its steps reach both (they are scheme-wide).
    const cycle = await a.h.engine.closeCycle();
    for (const s of [staff, deff]) {
      const cut = await s.waitFor((e) => e.name === 'cycle' && e.data.type === 'cycle.cut-off', 'cut-off');
      assert.equal(cut.data.cycle, String(cycle));
    }

    // Events naming one participant: the others never see them; alerts are for people only.
    hub.publish({ event: 'settlement.rejected', cycle: cycle!, participants: ['BANKNL2AXXX', 'BANKDEFFXXX'] });
    hub.publish({ event: 'delivery.failed', outboxId: 7n, recipient: 'BANKFRPPXXX', messageId: 'M-7', attempt: 5, final: true, reason: 'refused' });
    hub.publish({ event: 'settlement.overdue', cycle: cycle!, attempt: 1, sentAt: new Date(0), unanswered: 2 });
    await staff.waitFor((e) => e.name === 'alert' && e.data.type === 'settlement.overdue', 'overdue alert');
    assert.ok(staff.events.some((e) => e.name === 'delivery' && e.data.recipient === 'BANKFRPPXXX'));
    assert.ok(staff.events.some((e) => e.name === 'alert' && e.data.type === 'delivery.failed'));
    const rejected = await deff.waitFor((e) => e.name === 'settlement' && e.data.type === 'settlement.rejected', 'its rejected settlement');
    assert.deepEqual(rejected.data.participants, ['BANKDEFFXXX'], 'the other defaulter is not named to it');
    // A snapshot after the events: everything published before it has been through the stream.
    await deff.waitFor((e) => e.name === 'positions' && deff.events.indexOf(e) > deff.events.indexOf(rejected), 'a later snapshot');
    assert.ok(!deff.events.some((e) => e.name === 'alert' || e.name === 'delivery' || e.data.type === 'settlement.overdue'),
      JSON.stringify(deff.events.map((e) => [e.name, e.data.type])));
    for (const e of deff.events.filter((x) => x.name === 'positions')) {
      assert.deepEqual((e.data.exposures as { bic: string }[]).map((x) => x.bic), ['BANKDEFFXXX']);
    }
    assert.ok(staff.comments >= 2, 'heartbeat comments');
  });

  it(`at most ${limits.api.eventStreamsPerPrincipalMax} streams per principal; closing one frees its place`, async () => {
    const streams: Stream[] = [];
    for (let i = 0; i < limits.api.eventStreamsPerPrincipalMax; i++) {
      const s = await stream({ bank: 'BANKFRPPXXX' });
      assert.equal(s.status, 200);
      await s.waitFor((e) => e.name === 'positions', 'positions');
      streams.push(s);
    }
    const refused = await a.call('GET', '/events', { bank: 'BANKFRPPXXX' });
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.json.title, 'Too many event streams');
    assert.equal((await stream({ bank: 'BANKITMMXXX' })).status, 200, 'another principal is not held back');
    streams[0]!.close();
    let again = await a.call('GET', '/events', { bank: 'BANKFRPPXXX' });
    for (let i = 0; i < 50 && again.status === 429; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      again = await a.call('GET', '/events', { bank: 'BANKFRPPXXX' });
    }
    assert.equal(again.status, 200);
  });
});
