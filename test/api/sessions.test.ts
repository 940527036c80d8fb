/**
 * Browser sessions and the API's bounds, over real HTTPS: POST /login also sets the session cookie
 * (HttpOnly, Secure, SameSite=Strict) and gives a CSRF token; a change made with the cookie needs the
 * token in X-CSRF-Token (a read does not), a bearer request needs none; logout clears the cookie and
 * ends the session. Bodies beyond a route's limit are 413, requests beyond the per-address and
 * per-principal rates 429, all as problem+json; every answer carries the security headers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { limits } from '../../switch/limits.ts';
import { apiHarness, type Answer, type ApiHarness } from './support.ts';

/** The `clearhouse_session=...` pair of a Set-Cookie header, and its attributes. */
function sessionCookie(answer: Answer): { pair: string; attributes: string[] } {
  const header = ([] as string[]).concat(answer.headers['set-cookie'] ?? []).find((c) => c.startsWith('clearhouse_session='));
  assert.ok(header, `a session cookie is set: ${JSON.stringify(answer.headers['set-cookie'])}`);
  const [pair, ...attributes] = header.split(/;\s*/);
  return { pair: pair!, attributes: attributes.map((a) => a.toLowerCase()) };
}

describe('cookie sessions and CSRF', () => {
  let a: ApiHarness;
  before(async () => { a = await apiHarness('pglite'); });
  after(async () => { await a.close(); });

  it('login sets an HttpOnly, Secure, SameSite=Strict cookie on / and returns a CSRF token', async () => {
    const answer = await a.loginAnswer('olivia');
    const { pair, attributes } = sessionCookie(answer);
    assert.equal(pair, `clearhouse_session=${answer.json.token}`);
    for (const attribute of ['httponly', 'secure', 'samesite=strict', 'path=/']) assert.ok(attributes.includes(attribute), `${attribute} in ${attributes}`);
    assert.ok(attributes.some((x) => x.startsWith('expires=')), 'the cookie ends with the session');
    assert.match(answer.json.csrfToken, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(answer.json.csrfToken, answer.json.token);
  });

  it('the cookie reads without a CSRF token; a change needs the right one; a bearer change needs none', async () => {
    const login = await a.loginAnswer('olivia');
    const cookie = sessionCookie(login).pair;
    const me = await a.call('GET', '/me', { headers: { cookie } });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.name, 'olivia');

    const close = { body: { reason: 'CSRF test' } };
    const without = await a.call('POST', '/cycles/close', { ...close, headers: { cookie } });
    assert.equal(without.status, 403, without.text);
    assert.equal(without.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.match(without.json.detail, /x-csrf-token/i);
    const other = await a.loginAnswer('olivia');
    const wrong = await a.call('POST', '/cycles/close', { ...close, headers: { cookie, 'x-csrf-token': other.json.csrfToken } });
    assert.equal(wrong.status, 403, 'another session\'s token does not do');
    const garbage = await a.call('POST', '/cycles/close', { ...close, headers: { cookie, 'x-csrf-token': 'x' } });
    assert.equal(garbage.status, 403);
    const actionsBefore = (await a.h.engine.operatorActions({ limit: 1000 })).filter((x) => x.action === 'cycle.close').length;
    assert.equal(actionsBefore, 0, 'nothing refused was recorded or done');

    const right = await a.call('POST', '/cycles/close', { ...close, headers: { cookie, 'x-csrf-token': login.json.csrfToken } });
    assert.equal(right.status, 200, right.text);
    const bearer = await a.call('POST', '/cycles/close', { ...close, token: login.json.token });
    assert.equal(bearer.status, 200, bearer.text);
    assert.equal((await a.h.engine.operatorActions({ limit: 1000 })).filter((x) => x.action === 'cycle.close').length, 2);
  });

  it('a bearer header wins over a cookie, and a bad cookie is 401', async () => {
    const rita = await a.loginAnswer('rita');
    const olivia = await a.loginAnswer('olivia');
    const me = await a.call('GET', '/me', { token: rita.json.token, headers: { cookie: sessionCookie(olivia).pair } });
    assert.equal(me.json.name, 'rita');
    const bad = await a.call('GET', '/me', { headers: { cookie: 'clearhouse_session=not-a-session-token-at-all-0123456789' } });
    assert.equal(bad.status, 401);
  });

  it('logout (with the CSRF token) clears the cookie and ends the session', async () => {
    const login = await a.loginAnswer('sam');
    const cookie = sessionCookie(login).pair;
    assert.equal((await a.call('POST', '/logout', { headers: { cookie } })).status, 403, 'logout is a change: CSRF token needed');
    const out = await a.call('POST', '/logout', { headers: { cookie, 'x-csrf-token': login.json.csrfToken } });
    assert.equal(out.status, 204, out.text);
    const cleared = sessionCookie(out);
    assert.equal(cleared.pair, 'clearhouse_session=');
    assert.ok(cleared.attributes.some((x) => x.startsWith('expires=thu, 01 jan 1970')), cleared.attributes.join('; '));
    assert.equal((await a.call('GET', '/me', { headers: { cookie } })).status, 401);
  });

  it('every answer carries the security headers', async () => {
    for (const path of ['/healthz', '/nowhere', '/me']) {
      const answer = await a.call('GET', path);
      assert.match(String(answer.headers['strict-transport-security']), /max-age=\d+; includeSubDomains/);
      assert.equal(answer.headers['x-content-type-options'], 'nosniff');
      assert.equal(answer.headers['referrer-policy'], 'no-referrer');
      assert.equal(answer.headers['x-frame-options'], 'DENY');
      assert.match(String(answer.headers['content-security-policy']), /default-src 'none'.*frame-ancestors 'none'/);
    }
    const page = await a.call('GET', '/console');
    const policy = String(page.headers['content-security-policy']);
    assert.match(policy, /script-src 'self'/);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/);
    assert.match(policy, /frame-ancestors 'none'/);
    // The console's script is a file of its own: the page has no inline script for the policy to block.
    assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/i);
  });

  it('a body larger than the route takes is 413 problem+json; /messages takes the message limit', async () => {
    const token = await a.login('olivia');
    const big = { reason: 'x'.repeat(limits.api.jsonBytesMax) };
    const answer = await a.call('POST', '/cycles/close', { token, body: big });
    assert.equal(answer.status, 413, answer.text);
    assert.equal(answer.json.title, 'Body too large');
    // An XML body above the JSON limit but within the message limit reaches /messages (and is judged as a message).
    const xml = `<?xml version="1.0"?><Document>${' '.repeat(limits.api.jsonBytesMax * 2)}</Document>`;
    const submitted = await a.call('POST', '/messages', { bank: 'BANKDEFFXXX', xml });
    assert.equal(submitted.status, 200, submitted.text);
    assert.equal(submitted.json.status, 'RJCT');
    const tooBig = await a.call('POST', '/login', { xml });
    assert.equal(tooBig.status, 413, 'an XML body to a JSON route is bounded by the JSON limit');
  });
});

describe('request rates', () => {
  let a: ApiHarness;
  before(async () => { a = await apiHarness('pglite', undefined, { api: { rates: { perAddress: 40, perPrincipal: 5 } } }); });
  after(async () => { await a.close(); });

  it('a principal past its rate gets 429 with Retry-After; another principal from the same address does not', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await a.call('GET', '/positions', { bank: 'BANKDEFFXXX' })).status);
    assert.deepEqual(codes, [200, 200, 200, 200, 200, 429, 429]);
    const refused = await a.call('GET', '/positions', { bank: 'BANKDEFFXXX' });
    assert.equal(refused.json.status, 429);
    assert.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.equal((await a.call('GET', '/positions', { bank: 'BANKFRPPXXX' })).status, 200);
  });

  it('an address past its rate gets 429 even without credentials', async () => {
    let last: Answer | undefined;
    for (let i = 0; i < 40; i++) {
      last = await a.call('GET', '/healthz');
      if (last.status === 429) break;
    }
    assert.equal(last?.status, 429);
    assert.match(last.json.detail, /per address/);
  });
});
