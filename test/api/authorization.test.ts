/**
 * The permission matrix, generated from the route table (switch/api/routes.ts): every route, called
 * over real HTTPS by every role (a bank by its client certificate, each person by a session) and
 * without credentials, is allowed or refused exactly as switch/api/permissions.ts declares. A route
 * added without an example here fails this test, so no route escapes it. Also: a route without a
 * permission stops the start.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildApi } from '../../switch/api/server.ts';
import { routes, type ApiRoute } from '../../switch/api/routes.ts';
import { permissionMatrix } from '../../switch/api/matrix.ts';
import { allows, GRANTS, ROLES, type Role } from '../../switch/api/permissions.ts';
import { bulkCreditTransfer, DEMO_BANKS } from '../../switch/demo/generate.ts';
import { build as buildPacs008 } from '../../switch/iso/messages/pacs.008.001.08/index.ts';
import { XsdValidator } from '../../switch/validation/xsd-pool.ts';
import { apiHarness, type ApiHarness, type Credentials } from './support.ts';

/** One request per route that the route accepts when permitted (the values need not exist: 404 is an answer too). */
const examples: Record<string, { path: string; body?: unknown; xml?: () => string }> = {
  'GET /console': { path: '/console' },
  'GET /console/console.js': { path: '/console/console.js' },
  'GET /console/console.css': { path: '/console/console.css' },
  'GET /healthz': { path: '/healthz' },
  'GET /readyz': { path: '/readyz' },
  'GET /messages/:id': { path: '/messages/1' },
  'GET /cycles/:id/settlement': { path: '/cycles/1/settlement' },
  'POST /login': { path: '/login', body: { name: 'nobody', password: 'x', totp: '000000' } },
  'POST /logout': { path: '/logout' },
  'GET /me': { path: '/me' },
  'POST /messages': { path: '/messages', xml: () => buildPacs008(bulkCreditTransfer({
    seed: 7, sender: DEMO_BANKS[0]!, receivers: [DEMO_BANKS[1]!], transactionCount: 2, settlementDate: '2026-11-26',
    createdAt: '2026-11-26T09:00:00Z', messageId: 'BANKDEFF-API-1' })) },
  'GET /payments': { path: '/payments?limit=10' },
  'GET /payments/:id': { path: '/payments/1' },
  'GET /positions': { path: '/positions' },
  'GET /cycles': { path: '/cycles' },
  'GET /cycles/:id/positions': { path: '/cycles/1/positions' },
  'POST /cycles/close': { path: '/cycles/close', body: { reason: 'authorization matrix test' } },
  'GET /dead-letters': { path: '/dead-letters' },
  'GET /operator-actions': { path: '/operator-actions' },
  'POST /participants/:bic/caps/:currency': { path: '/participants/BANKDEFFXXX/caps/EUR', body: { amount: '5000000.00', reason: 'matrix test' } },
  'GET /approvals': { path: '/approvals' },
  'POST /approvals/:id/approve': { path: '/approvals/999999/approve', body: { reason: 'matrix test' } },
  'POST /approvals/:id/reject': { path: '/approvals/999999/reject', body: { reason: 'matrix test' } },
  'GET /queue': { path: '/queue' },
  'GET /metrics': { path: '/metrics' },
  'GET /events': { path: '/events' },
  'GET /participants': { path: '/participants' },
  'POST /participants/:bic/suspend': { path: '/participants/ZZZZZZZZXXX/suspend', body: { reason: 'matrix test' } },
  'POST /participants/:bic/resume': { path: '/participants/ZZZZZZZZXXX/resume', body: { reason: 'matrix test' } },
  'POST /cycles/:id/settlement/resolve': { path: '/cycles/999999/settlement/resolve', body: { action: 'reinstruct', reason: 'matrix test' } },
  'POST /cycles/:id/settlement/query': { path: '/cycles/999999/settlement/query', body: { reason: 'matrix test' } },
  'GET /risk/holds': { path: '/risk/holds' },
  'POST /risk/holds/:id/release': { path: '/risk/holds/999999/release', body: { reason: 'matrix test' } },
  'POST /risk/holds/:id/reject': { path: '/risk/holds/999999/reject', body: { reason: 'matrix test' } },
  'GET /risk/freezes': { path: '/risk/freezes' },
  'POST /risk/freezes': { path: '/risk/freezes', body: { bic: 'ZZZZZZZZXXX', account: 'DE89370400440532013000', reason: 'matrix test' } },
  'POST /risk/freezes/unfreeze': { path: '/risk/freezes/unfreeze', body: { bic: 'ZZZZZZZZXXX', reason: 'matrix test' } },
  'GET /risk/events': { path: '/risk/events' },
  'GET /queues': { path: '/queues' },
  'GET /deliveries/failures': { path: '/deliveries/failures?limit=5' },
  'GET /reports/reconciliation': { path: '/reports/reconciliation?date=2026-11-26' },
  'GET /reports/statistics': { path: '/reports/statistics?month=2026-11&format=csv' },
  'GET /notifications/subscriptions': { path: '/notifications/subscriptions' },
  'POST /notifications/subscriptions': { path: '/notifications/subscriptions',
    body: { channel: 'email', target: 'ops@example.test', events: ['alert.risk'], reason: 'matrix test' } },
  'POST /notifications/subscriptions/:id/remove': { path: '/notifications/subscriptions/999999/remove', body: { reason: 'matrix test' } },
  // Refused by the handler when permitted (XML is not a profile file: 415; "x" is not a scheme list: 422), never loaded.
  'POST /risk/profiles/:bic': { path: '/risk/profiles/BANKDEFFXXX?reason=matrix%20test', xml: () => 'x' },
  'GET /risk/profiles/:bic': { path: '/risk/profiles/BANKDEFFXXX' },
  'GET /risk/lists': { path: '/risk/lists' },
  'POST /risk/lists/:name': { path: '/risk/lists/matrix-test?format=scheme&reason=matrix%20test', xml: () => 'x' },
};

const key = (route: ApiRoute) => `${route.method} ${route.url}`;
const PERSON_OF: Record<Exclude<Role, 'participant'>, string> = { operator: 'olivia', supervisor: 'sam', regulator: 'rita', auditor: 'aaron' };

describe('permission matrix (every route × every role, over HTTPS)', () => {
  let a: ApiHarness;
  let xsd: XsdValidator;
  const tokens = new Map<Role, string>();
  before(async () => {
    xsd = new XsdValidator();
    a = await apiHarness('pglite', xsd);
    for (const [role, name] of Object.entries(PERSON_OF)) tokens.set(role as Role, await a.login(name));
  });
  after(async () => {
    await a.close();
    await xsd.close();
  });

  it('every route of the table has an example here', () => {
    const missing = routes.map(key).filter((k) => !(k in examples));
    assert.deepEqual(missing, [], 'routes without an authorization example');
  });

  it('GET /me lists, for every role, exactly the permissions the table grants it (the console shows what it lists)', async () => {
    for (const role of ROLES) {
      const me = await a.call('GET', '/me', role === 'participant' ? { bank: 'BANKDEFFXXX' } : { token: tokens.get(role)! });
      assert.equal(me.status, 200, me.text);
      assert.equal(me.json.role, role);
      const granted = Object.entries(GRANTS).filter(([, roles]) => (roles as readonly Role[]).includes(role)).map(([permission]) => permission);
      assert.deepEqual(me.json.permissions, granted, role);
    }
  });

  // Logging out ends the session the rest of the matrix uses: it goes last.
  const ordered = [...routes].sort((x, y) => Number(x.url === '/logout') - Number(y.url === '/logout'));
  for (const route of ordered) {
    it(`${key(route)} (${route.permission}): ${ROLES.map((r) => `${r} ${allows(route.permission, r) || route.permission === 'public' ? 'yes' : 'no'}`).join(', ')}`, async () => {
      const example = examples[key(route)]!;
      const send = (credentials: Credentials) => a.call(route.method, example.path, {
        ...credentials, ...(example.body !== undefined ? { body: example.body } : {}), ...(example.xml ? { xml: example.xml() } : {}),
      });
      const anonymous = await send({});
      if (route.permission === 'public') assert.notEqual(anonymous.status, 403, anonymous.text);
      else {
        assert.equal(anonymous.status, 401, `no credentials: ${anonymous.text}`);
        assert.equal(anonymous.headers['content-type'], 'application/problem+json; charset=utf-8');
      }
      for (const role of ROLES) {
        const credentials: Credentials = role === 'participant' ? { bank: 'BANKDEFFXXX' } : { token: tokens.get(role)! };
        const answer = await send(credentials);
        if (route.permission === 'public') {
          // A public route judges the request itself (a wrong login is 401): never a role refusal.
          assert.ok(answer.status !== 403 && answer.status < 500, `${role}: ${answer.status} ${answer.text}`);
        } else if (allows(route.permission, role)) {
          assert.ok(answer.status !== 401 && answer.status !== 403, `${role} must be allowed: ${answer.status} ${answer.text}`);
          assert.ok(answer.status < 500, `${role}: ${answer.status} ${answer.text}`);
        } else {
          assert.equal(answer.status, 403, `${role} must be refused: ${answer.status} ${answer.text}`);
          assert.equal(answer.json.status, 403);
        }
      }
    });
  }

  it('docs/api.md prints this matrix', () => {
    const docs = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const printed = /<!-- permission matrix[^\n]*-->\n([\s\S]*?)\n<!-- end of permission matrix -->/.exec(docs)?.[1];
    // Regenerate with `node --import tsx tools/api-matrix.ts`.
    assert.equal(printed, permissionMatrix(routes));
    assert.match(printed, /\| `GET \/healthz` \| public \|/);
  });

  it('a route declaring no permission stops the start', () => {
    const unguarded = { ...routes[0]!, url: '/unguarded', permission: undefined } as unknown as ApiRoute;
    assert.throws(() => buildApi(a.h.engine, { host: '127.0.0.1', port: 0, tls: { keyPem: '', certPem: '' }, trust: () => undefined,
      routes: [...routes, unguarded] }), /GET \/unguarded declares no permission/);
  });

  it('the OpenAPI document describes every route of the table, with its permission', async () => {
    const answer = await a.call('GET', '/openapi.json');
    assert.equal(answer.status, 200);
    assert.equal(answer.json.openapi, '3.1.0');
    assert.deepEqual(Object.keys(answer.json.components.securitySchemes).sort(), ['clientCertificate', 'session']);
    for (const route of routes.filter((r) => !r.url.startsWith('/console'))) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const operation = answer.json.paths[path]?.[route.method.toLowerCase()];
      assert.ok(operation, `${key(route)} missing from /openapi.json`);
      assert.equal(operation.description, `Permission: ${route.permission}`);
    }
    const docs = await a.call('GET', '/docs/');
    assert.equal(docs.status, 200);
    assert.match(docs.text, /swagger/i);
  });
});
