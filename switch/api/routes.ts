/**
 * Every route of the HTTP API, as data: method, path, the permission it needs, its JSON schemas (which
 * validate the request and make the OpenAPI document) and its handler. switch/api/server.ts registers
 * them and refuses to start when one lacks a permission; test/api/authorization.test.ts walks this table.
 */
import { readFileSync } from 'node:fs';
import type { FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { RegisterChangeError, type Engine } from '../engine/engine.ts';
import { SETTLEMENT_RESOLUTIONS, SettlementResolutionError } from '../engine/cycles/index.ts';
import { formatAmount, parseAmount } from '../iso/amount.ts';
import { isReasonCode } from '../iso/reason-codes.ts';
import { RISK_EVENT_KINDS, RiskDecisionError } from '../engine/risk-holds.ts';
import type { PendingKind } from '../engine/approvals.ts';
import { limits } from '../limits.ts';
import type { Clock } from '../clock.ts';
import { login, SESSION_COOKIE, type IdentityOptions, type Principal } from './identity.ts';
import { allows, permissionsOf, type Permission } from './permissions.ts';
import type { ApiMetrics } from './metrics.ts';
import type { EventStreams } from './events.ts';
import { problem } from './problem.ts';
import { fileRefused, hasBody, tooLarge, uploadChunks, UploadTooLargeError } from './uploads.ts';
import { ProfileFileError } from '../risk/profiles.ts';
import { OperatorActionError } from '../engine/operator-actions.ts';
import { hashed, LIST_NAME, ScreeningListError } from '../engine/screening-lists.ts';
import { LIST_FORMATS, ListFormatError, type ListFormat } from '../risk/screening/list.ts';
import { parseOfacList } from '../risk/screening/parse-ofac.ts';
import { parseSchemeList } from '../risk/screening/parse-scheme.ts';
import { parseUnList } from '../risk/screening/parse-un.ts';
import { normalizeBic } from '../../connectors/signing/pki.ts';
import {
  PdfRendererMissingError, REPORT_FORMATS, reconciliationReport, renderReport, ReportRequestError, statisticsReport,
  type Report, type ReportFormat,
} from '../reports/index.ts';
import { isoDateTime } from '../engine/context.ts';
import { CHANNELS, SubscriptionError } from '../notify/events.ts';

export interface RouteContext {
  readonly engine: Engine;
  readonly identity: IdentityOptions;
  readonly clock: Clock;
  readonly metrics: ApiMetrics;
  readonly streams: EventStreams;
  /** The authenticated principal (absent on public routes). */
  readonly principal: Principal | undefined;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

export interface ApiRoute {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly permission: Permission;
  readonly summary: string;
  readonly schema?: FastifySchema;
  /** Largest request body (default limits.api.jsonBytesMax): 413 beyond it. */
  readonly bodyLimit?: number;
  handler(context: RouteContext): Promise<unknown>;
}

const BIC = { type: 'string', pattern: '^[A-Z0-9]{8}([A-Z0-9]{3})?$' } as const;
const ID = { type: 'string', pattern: '^[0-9]{1,18}$' } as const;
const REASON = { type: 'string', minLength: 1, maxLength: 1000 } as const;
const AMOUNT = { type: 'string', pattern: '^[0-9]{1,18}(\\.[0-9]{1,5})?$' } as const;
const bicParams = { type: 'object', required: ['bic'], properties: { bic: BIC }, additionalProperties: false } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: ID }, additionalProperties: false } as const;
const reasonBody = { type: 'object', required: ['reason'], properties: { reason: REASON }, additionalProperties: false } as const;

/** An account as the risk stage keys it: the IBAN (or other identification) as the payment carries it. */
const ACCOUNT = { type: 'string', pattern: '^[A-Za-z0-9]{1,34}$' } as const;
const freezeBody = { type: 'object', required: ['bic', 'reason'], additionalProperties: false, properties: { bic: BIC, account: ACCOUNT, reason: REASON } } as const;

/** Whether a proposal of `kind` on `subject` already waits for its checker (a second one is refused 409). */
async function alreadyProposed(context: RouteContext, kind: PendingKind, subject: string): Promise<boolean> {
  return (await context.engine.pendingActions('PENDING')).some((p) => p.action === kind && p.subject === subject);
}

/** A risk decision the engine refused: 404 when the payment does not exist, else 409 (not held, past its deadline, already frozen). */
function riskRefusal(context: RouteContext, error: unknown): unknown {
  if (!(error instanceof RiskDecisionError)) throw error;
  return problem(context.reply, /does not exist/.test(error.message) ? 404 : 409, 'Not applicable', error.message);
}

/** The request's URL query parameters, validated by the route's schema. */
function searchParameters(context: RouteContext): unknown {
  // eslint-disable-next-line no-restricted-properties -- Fastify's parsed URL query string, not SQL
  return context.request.query;
}

/** Who did it and from where, for the journal (docs/api.md "Audit"). */
function source(context: RouteContext): Record<string, unknown> {
  return { via: 'api', address: context.request.ip, role: context.principal?.role };
}

function actor(context: RouteContext): string {
  return context.principal!.name;
}

/** A participant's own BIC: its reads are restricted to it. */
function visibleTo(context: RouteContext): string | undefined {
  return context.principal?.kind === 'participant' ? context.principal.bic : undefined;
}

/** The session cookie: out of scripts' reach, over HTTPS only, never sent with another site's requests. */
const SESSION_COOKIE_OPTIONS = { httpOnly: true, secure: true, sameSite: 'strict', path: '/' } as const;

/** The console's files (switch/api/console/), read once at start. */
const CONSOLE_FILES = {
  '/console': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
} as const;
/** The console runs its own script and styles, talks to this origin only and frames only its reports (GET /reports/*?format=html). */
const CONSOLE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function consoleRoute(url: keyof typeof CONSOLE_FILES): ApiRoute {
  const { file, type } = CONSOLE_FILES[url];
  const bytes = readFileSync(new URL(`./console/${file}`, import.meta.url));
  return {
    method: 'GET', url, permission: 'public', summary: `The web console: ${file}`, schema: { hide: true } as FastifySchema,
    handler: async (context) => {
      context.reply.type(type).header('content-security-policy', CONSOLE_POLICY);
      return bytes;
    },
  };
}

/** What each report format is answered as; csv and pdf are downloads (Content-Disposition: attachment). */
const REPORT_TYPES: Record<ReportFormat, string> = {
  json: 'application/json; charset=utf-8', csv: 'text/csv; charset=utf-8', html: 'text/html; charset=utf-8', pdf: 'application/pdf',
};
/**
 * A report's HTML page is self-contained (its styles inline, its charts inline SVG, no script): it may
 * use its own <style> and nothing else, and only the console (same origin) may frame it.
 */
const REPORT_HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";
/** PDFs being printed now (each by its own Chromium): at most limits.api.reportPdfConcurrentMax. */
let pdfsPrinting = 0;

/**
 * GET /reports/<kind>: the same report as `clearhouse report <kind>`, by the same functions
 * (switch/reports/). Reading only. A participant's is forced to its own data: asking for another
 * BIC is refused 403 rather than silently narrowed, so a wrong request is visible.
 */
function reportRoute(kind: 'reconciliation' | 'statistics'): ApiRoute {
  return {
    method: 'GET', url: `/reports/${kind}`, permission: 'report.read',
    summary: kind === 'reconciliation'
      ? 'The reconciliation of a business day (`date`) or month (`month`): figures per participant and currency checked against the ledger and the agent\'s confirmations; json, csv, html or pdf (a participant: its own)'
      : 'The regulator statistics of a business day (`date`) or month (`month`): volumes, values, series, rejections, unwinds, cap use, bilateral flows, with charts in html and pdf (a participant: its own)',
    schema: { querystring: { type: 'object', additionalProperties: false, properties: {
      date: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }, month: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}$' },
      participant: BIC, format: { type: 'string', enum: [...REPORT_FORMATS], default: 'json' } } } },
    handler: async (context) => {
      const q = searchParameters(context) as { date?: string; month?: string; participant?: string; format?: ReportFormat };
      if ((q.date === undefined) === (q.month === undefined)) return problem(context.reply, 400, 'Bad request', 'give exactly one of date (YYYY-MM-DD) and month (YYYY-MM)');
      const own = visibleTo(context);
      if (own !== undefined && q.participant !== undefined && normalizeBic(q.participant) !== normalizeBic(own)) {
        return problem(context.reply, 403, 'Forbidden', `a participant reads its own reports only (${own}), not ${q.participant}'s`);
      }
      const participant = own ?? q.participant;
      const format = q.format ?? 'json';
      const period = q.date !== undefined ? { date: q.date } : { month: q.month! };
      let report: Report;
      try {
        const request = { period, ...(participant !== undefined ? { participant: normalizeBic(participant) } : {}) };
        report = kind === 'reconciliation' ? await reconciliationReport(context.engine, request) : await statisticsReport(context.engine, request);
      } catch (error) {
        if (error instanceof ReportRequestError) return problem(context.reply, 400, 'Bad request', error.message.replace(/--/g, ''));
        throw error;
      }
      if (format === 'pdf' && pdfsPrinting >= limits.api.reportPdfConcurrentMax) {
        return problem(context.reply.header('retry-after', '5'), 503, 'Busy printing',
          `at most ${limits.api.reportPdfConcurrentMax} PDF reports are printed at once: try again in a few seconds`);
      }
      let bytes: Uint8Array;
      if (format === 'pdf') pdfsPrinting++;
      try {
        bytes = await renderReport(report, format, { generatedAt: isoDateTime(context.engine.clock.now()) });
      } catch (error) {
        if (error instanceof PdfRendererMissingError) return problem(context.reply, 503, 'No PDF renderer', error.message);
        throw error;
      } finally {
        if (format === 'pdf') pdfsPrinting--;
      }
      const name = `${kind}-${q.date ?? q.month}${participant !== undefined ? `-${normalizeBic(participant)}` : ''}.${format}`;
      context.reply.type(REPORT_TYPES[format]);
      if (format === 'csv' || format === 'pdf') context.reply.header('content-disposition', `attachment; filename="${name}"`);
      if (format === 'html') context.reply.header('content-security-policy', REPORT_HTML_POLICY).header('x-frame-options', 'SAMEORIGIN');
      return Buffer.from(bytes);
    },
  };
}

export const routes: readonly ApiRoute[] = [
  consoleRoute('/console'), consoleRoute('/console/console.js'), consoleRoute('/console/console.css'),
  {
    method: 'GET', url: '/healthz', permission: 'public', summary: 'The process answers',
    handler: async () => ({ status: 'ok' }),
  },
  {
    method: 'GET', url: '/readyz', permission: 'public', summary: 'The store answers (503 when it does not)',
    handler: async (context) => ((await context.engine.ready()) ? { status: 'ready' }
      : problem(context.reply, 503, 'Not ready', 'the database does not answer; serve keeps trying')),
  },
  {
    method: 'POST', url: '/login', permission: 'public', summary: 'Open a session with password and TOTP code',
    schema: {
      body: {
        type: 'object', required: ['name', 'password', 'totp'], additionalProperties: false,
        properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: 200 },
          totp: { type: 'string', pattern: '^[0-9]{6}$' } },
      },
    },
    handler: async (context) => {
      const body = context.request.body as { name: string; password: string; totp: string };
      const result = await login(context.identity, body.name, body.password, body.totp, context.request.ip);
      if (!result.ok) {
        context.request.log.warn({ user: body.name, address: context.request.ip, locked: result.locked }, 'login refused');
        return problem(context.reply, 401, result.locked ? 'Locked out' : 'Login failed',
          result.locked ? 'too many failed logins: try again later' : 'name, password or code is wrong');
      }
      context.request.log.info({ user: body.name, address: context.request.ip }, 'login');
      // The same session as a cookie for a browser: its changes must carry csrfToken (docs/api.md "Cookie sessions and CSRF").
      context.reply.setCookie(SESSION_COOKIE, result.token, { ...SESSION_COOKIE_OPTIONS, expires: result.expiresAt });
      return { token: result.token, csrfToken: result.csrfToken, role: result.role, expiresAt: result.expiresAt };
    },
  },
  {
    method: 'POST', url: '/logout', permission: 'session', summary: 'End the session',
    handler: async (context) => {
      if (context.principal?.kind === 'person') await context.engine.access().endSession(context.principal.tokenSha256);
      context.reply.clearCookie(SESSION_COOKIE, SESSION_COOKIE_OPTIONS).code(204);
      return null;
    },
  },
  {
    method: 'GET', url: '/me', permission: 'session', summary: 'Who the credentials identify, and the permissions their role holds',
    handler: async (context) => ({ name: context.principal!.name, role: context.principal!.role, permissions: permissionsOf(context.principal!.role) }),
  },
  {
    method: 'POST', url: '/messages', permission: 'message.submit', bodyLimit: limits.api.submitBytesMax,
    summary: 'Submit an ISO 20022 message as the certificate\'s participant (body: the XML); the answer the connectors give',
    schema: { querystring: { type: 'object', properties: { fileName: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,200}$' } }, additionalProperties: false } },
    handler: async (context) => {
      const body = context.request.body;
      if (!Buffer.isBuffer(body) || body.length === 0) return problem(context.reply, 400, 'Empty message', 'the body must be the XML message');
      const { fileName } = searchParameters(context) as { fileName?: string };
      const started = performance.now();
      const result = await context.engine.submitReceived({ bytes: body, sender: visibleTo(context)!, ...(fileName ? { fileName } : {}) });
      context.metrics.observeIntake(result.status, (performance.now() - started) / 1000);
      return { messageRowId: result.messageRowId, status: result.status, replay: result.replay, answer: result.answerXml ?? null,
        findings: result.report.findings.slice(0, 100) };
    },
  },
  {
    method: 'GET', url: '/payments', permission: 'payment.read', summary: 'Search payments (newest first, keyset paging with `before`)',
    schema: {
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          state: { type: 'string', pattern: '^[A-Z_]{1,30}$' }, debtor: BIC, creditor: BIC, bic: BIC, currency: { type: 'string', pattern: '^[A-Z]{3}$' },
          kind: { type: 'string', enum: ['CREDIT', 'RETURN'] }, mode: { type: 'string', enum: ['batch', 'realtime'] },
          minAmount: AMOUNT, maxAmount: AMOUNT, from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' },
          cycle: ID, uetr: { type: 'string', maxLength: 36 }, endToEndId: { type: 'string', maxLength: 35 }, before: ID,
          limit: { type: 'integer', minimum: 1, maximum: limits.api.pageSizeMax, default: 100 },
        },
      },
    },
    handler: async (context) => {
      const q = searchParameters(context) as Record<string, string | number | undefined>;
      const text = (key: string) => (q[key] === undefined ? {} : { [key]: String(q[key]) });
      const amounts: Record<string, bigint> = {};
      for (const [key, to] of [['minAmount', 'amountMinorMin'], ['maxAmount', 'amountMinorMax']] as const) {
        if (q[key] === undefined) continue;
        if (q.currency === undefined) return problem(context.reply, 400, 'Bad request', `${key} needs currency (amounts are in a currency's minor units)`);
        const parsed = parseAmount(String(q[key]), String(q.currency));
        if (!parsed.ok) return problem(context.reply, 400, 'Not an amount', `${key} ${q[key]} is not an amount in ${q.currency}`);
        amounts[to] = parsed.minor;
      }
      return context.engine.searchPayments({
        ...text('state'), ...text('debtor'), ...text('creditor'), ...text('bic'), ...text('currency'), ...text('uetr'), ...text('endToEndId'),
        ...text('kind'), ...text('mode'), ...amounts,
        ...(q.from === undefined ? {} : { from: new Date(String(q.from)) }), ...(q.to === undefined ? {} : { to: new Date(String(q.to)) }),
        ...(q.cycle === undefined ? {} : { cycleId: BigInt(q.cycle) }), ...(q.before === undefined ? {} : { before: BigInt(q.before) }),
        ...(visibleTo(context) ? { visibleTo: visibleTo(context)! } : {}), limit: Number(q.limit ?? 100),
      });
    },
  },
  {
    method: 'GET', url: '/payments/:id', permission: 'payment.read', summary: 'One payment: its state history and messages',
    schema: { params: idParams },
    handler: async (context) => {
      const { id } = context.request.params as { id: string };
      const detail = await context.engine.paymentDetail(BigInt(id), visibleTo(context));
      return detail ?? problem(context.reply, 404, 'No such payment', `no payment ${id} visible to you`);
    },
  },
  {
    method: 'GET', url: '/messages/:id', permission: 'payment.read', summary: 'A stored message as received or sent (XML); a participant: only its own',
    schema: { params: idParams },
    handler: async (context) => {
      const { id } = context.request.params as { id: string };
      const message = await context.engine.messageBytes(BigInt(id), visibleTo(context));
      if (!message) return problem(context.reply, 404, 'No such message', `no message ${id} visible to you`);
      context.reply.type('application/xml').header('content-disposition', `attachment; filename="message-${id}.xml"`);
      return Buffer.from(message.bytes);
    },
  },
  {
    method: 'GET', url: '/positions', permission: 'position.read', summary: 'Live positions, caps and headroom per participant and currency',
    handler: async (context) => ({ exposures: await context.engine.exposures(visibleTo(context)) }),
  },
  {
    method: 'GET', url: '/cycles', permission: 'cycle.read', summary: 'Cycles, newest first, with their states; the next scheduled cut-off and the switch\'s time now',
    // nextCutOff and now (the engine's clock, which a simulation may run at another time) give the console its time to cut-off.
    handler: async (context) => ({ cycles: await context.engine.cycles(), nextCutOff: context.engine.nextCutOff(), now: context.engine.clock.now() }),
  },
  {
    method: 'GET', url: '/cycles/:id/positions', permission: 'position.read', summary: 'Net positions and bilateral grosses of a netted cycle',
    schema: { params: idParams },
    handler: async (context) => {
      const { id } = context.request.params as { id: string };
      const found = await context.engine.positions(BigInt(id));
      if (!found) return problem(context.reply, 404, 'No such cycle', `no cycle ${id}`);
      const own = visibleTo(context);
      if (own === undefined) return found;
      return { cycle: found.cycle, positions: found.positions.filter((p) => p.bic === own),
        bilateral: found.bilateral.filter((b) => b.debtor === own || b.creditor === own) };
    },
  },
  {
    method: 'GET', url: '/cycles/:id/settlement', permission: 'position.read', summary: 'A cycle\'s settlement instructions (pacs.009), every attempt, and their answers',
    schema: { params: idParams },
    handler: async (context) => {
      const { id } = context.request.params as { id: string };
      return { instructions: await context.engine.settlementInstructions(BigInt(id), visibleTo(context)) };
    },
  },
  {
    method: 'POST', url: '/cycles/close', permission: 'cycle.operate', summary: 'Cut off the open cycle (a new one opens); recorded with the reason',
    schema: { body: reasonBody },
    handler: async (context) => {
      const { reason } = context.request.body as { reason: string };
      await context.engine.recordOperatorAction({ actor: actor(context), action: 'cycle.close', subject: 'open cycle', reason, details: source(context) });
      const closed = await context.engine.closeCycle();
      return { closedCycle: closed ?? null };
    },
  },
  {
    method: 'GET', url: '/dead-letters', permission: 'deadletter.read', summary: 'Queue jobs given up on, newest first',
    handler: async (context) => ({ deadLetters: await context.engine.deadLetters() }),
  },
  {
    method: 'GET', url: '/operator-actions', permission: 'audit.read', summary: 'The audit trail: every recorded action, newest first',
    schema: { querystring: { type: 'object', additionalProperties: false,
      properties: { subject: { type: 'string', maxLength: 100 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } } },
    handler: async (context) => {
      const q = searchParameters(context) as { subject?: string; limit?: number };
      return { actions: await context.engine.operatorActions({ ...(q.subject ? { subject: q.subject } : {}), limit: q.limit ?? 100 }) };
    },
  },
  {
    method: 'POST', url: '/participants/:bic/caps/:currency', permission: 'change.propose',
    summary: 'Propose a new net debit cap (maker); applied when a different supervisor approves it',
    schema: {
      params: { type: 'object', required: ['bic', 'currency'], properties: { bic: BIC, currency: { type: 'string', pattern: '^[A-Z]{3}$' } } },
      body: { type: 'object', required: ['amount', 'reason'], additionalProperties: false,
        properties: { amount: AMOUNT, reason: REASON } },
    },
    handler: async (context) => {
      const { bic, currency } = context.request.params as { bic: string; currency: string };
      const { amount, reason } = context.request.body as { amount: string; reason: string };
      const parsed = parseAmount(amount, currency);
      if (!parsed.ok) return problem(context.reply, 400, 'Not an amount', `${amount} is not an amount in ${currency}`);
      if (!(await context.engine.hasCap(bic, currency))) return problem(context.reply, 404, 'No such cap', `${bic} does not clear ${currency}`);
      const id = await context.engine.proposeAction('participant.cap.set', bic, { bic, currency, amountMinor: parsed.minor.toString() },
        actor(context), reason, source(context));
      context.reply.code(202);
      return { pendingActionId: id, state: 'PENDING' };
    },
  },
  {
    method: 'GET', url: '/approvals', permission: 'change.read', summary: 'Proposed changes and their decisions, newest first',
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { state: { type: 'string', enum: ['PENDING', 'APPROVED', 'REJECTED'] } } } },
    handler: async (context) => ({ approvals: await context.engine.pendingActions((searchParameters(context) as { state?: string }).state) }),
  },
  ...(['approve', 'reject'] as const).map((verb): ApiRoute => ({
    method: 'POST', url: `/approvals/:id/${verb}`, permission: 'change.decide',
    summary: verb === 'approve' ? 'Approve (and apply) another person\'s proposal (checker)' : 'Reject another person\'s proposal (checker)',
    schema: { params: idParams, body: reasonBody },
    handler: async (context) => {
      const { id } = context.request.params as { id: string };
      const { reason } = context.request.body as { reason: string };
      const decided = await context.engine.decideAction(BigInt(id), actor(context), verb === 'approve', reason, source(context));
      if (decided.ok) return { pendingActionId: id, state: verb === 'approve' ? 'APPROVED' : 'REJECTED' };
      const [status, detail] = {
        'not-found': [404, `no pending action ${id}`],
        'decided': [409, `action ${id} was already decided`],
        'same-person': [403, 'the maker of a change cannot be its checker'],
        'not-applicable': [409, `action ${id} no longer applies (the participant or currency is gone, the cycle, hold or freeze moved on)`],
      }[decided.refusal] as [number, string];
      return problem(context.reply, status, 'Decision refused', detail);
    },
  })),
  {
    method: 'GET', url: '/metrics', permission: 'metrics.read',
    summary: 'Prometheus metrics (text exposition): payments by service and reason, cycles, positions and headroom, outbox, HTTP and intake latency',
    handler: async (context) => {
      context.reply.type(context.metrics.contentType);
      return context.metrics.scrape();
    },
  },
  {
    method: 'GET', url: '/events', permission: 'events.read',
    summary: 'Server-sent events for live views (text/event-stream): cycle, settlement, alert, delivery, positions (a participant: what concerns it)',
    handler: async (context) => {
      const principal = context.principal!;
      if (!context.streams.mayOpen(principal)) {
        return problem(context.reply.header('retry-after', '30'), 429, 'Too many event streams',
          `at most ${limits.api.eventStreamsPerPrincipalMax} open event streams per ${principal.kind}: close one first`);
      }
      const reply = context.reply;
      reply.hijack();
      reply.raw.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store',
        'x-accel-buffering': 'no' });
      context.streams.open(principal, reply.raw);
      return reply;
    },
  },
  {
    method: 'GET', url: '/queue', permission: 'payment.read',
    summary: 'Real-time payments queued over their debtor\'s headroom (answered PDNG), per debtor and currency, in release order (a participant: its own)',
    schema: { querystring: { type: 'object', additionalProperties: false,
      properties: { perLane: { type: 'integer', minimum: 0, maximum: limits.api.pageSizeMax, default: 100 } } } },
    handler: async (context) => {
      const { perLane } = searchParameters(context) as { perLane?: number };
      return { lanes: await context.engine.queuedPayments(visibleTo(context), perLane ?? 100) };
    },
  },
  {
    method: 'GET', url: '/participants', permission: 'participant.read',
    summary: 'Participants with their state (active, suspended, retired), caps and live headroom per currency (a participant: itself)',
    handler: async (context) => ({ participants: await context.engine.participantViews(visibleTo(context)) }),
  },
  ...(['suspend', 'resume'] as const).map((verb): ApiRoute => ({
    method: 'POST', url: `/participants/:bic/${verb}`, permission: 'participant.operate',
    summary: verb === 'suspend' ? 'Suspend a participant (admi.004 to all; its traffic refused AG10); recorded with the reason'
      : 'Resume a suspended participant (admi.004 to all); recorded with the reason',
    schema: { params: bicParams, body: reasonBody },
    handler: async (context) => {
      const { bic } = context.request.params as { bic: string };
      const { reason } = context.request.body as { reason: string };
      const who = { actor: actor(context), reason, details: source(context) };
      try {
        const update = await (verb === 'suspend' ? context.engine.suspendParticipant(bic, who) : context.engine.resumeParticipant(bic, who));
        return { bic, state: verb === 'suspend' ? 'suspended' : 'active', registerVersion: update.version, operatorActionId: update.actionId ?? null };
      } catch (error) {
        if (!(error instanceof RegisterChangeError)) throw error;
        const known = (await context.engine.participantViews(bic)).some((p) => p.state !== 'retired');
        return problem(context.reply, known ? 409 : 404, known ? 'Not applicable' : 'No such participant', error.message);
      }
    },
  })),
  {
    method: 'POST', url: '/cycles/:id/settlement/resolve', permission: 'change.propose',
    summary: 'Propose how to resolve a PARTIALLY_SETTLED cycle (maker); applied when a different supervisor approves it',
    schema: { params: idParams, body: { type: 'object', required: ['action', 'reason'], additionalProperties: false,
      properties: { action: { type: 'string', enum: [...SETTLEMENT_RESOLUTIONS] }, reason: REASON } } },
    handler: async (context) => {
      const { id } = context.request.params as { id: string };
      const { action, reason } = context.request.body as { action: string; reason: string };
      const state = await context.engine.cycleState(BigInt(id));
      if (state === undefined) return problem(context.reply, 404, 'No such cycle', `no cycle ${id}`);
      if (state !== 'PARTIALLY_SETTLED') return problem(context.reply, 409, 'Nothing to resolve', `cycle ${id} is ${state}, not PARTIALLY_SETTLED`);
      const pending = await context.engine.proposeAction('settlement.resolve', `cycle ${id}`, { cycleId: id, resolution: action },
        actor(context), reason, source(context));
      context.reply.code(202);
      return { pendingActionId: pending, state: 'PENDING' };
    },
  },
  {
    method: 'POST', url: '/cycles/:id/settlement/query', permission: 'cycle.operate',
    summary: 'Query the settlement agent (pacs.028) about a cycle\'s unanswered instructions; recorded with the reason',
    schema: { params: idParams, body: reasonBody },
    handler: async (context) => {
      const { id } = context.request.params as { id: string };
      const { reason } = context.request.body as { reason: string };
      try {
        const done = await context.engine.querySettlement(BigInt(id), { actor: actor(context), reason, details: source(context) });
        return { cycle: id, queried: done.queried, operatorActionId: done.actionId };
      } catch (error) {
        if (!(error instanceof SettlementResolutionError)) throw error;
        return problem(context.reply, /does not exist/.test(error.message) ? 404 : 409, 'Not applicable', error.message);
      }
    },
  },
  {
    method: 'GET', url: '/risk/holds', permission: 'risk.read',
    summary: 'The risk review queue: payments held, oldest first, with why (the hold\'s reasons) and, real-time, the time to decide by',
    handler: async (context) => ({ holds: await context.engine.riskHolds(), releaseWithoutCheckerMaxMinor: limits.api.releaseWithoutCheckerMaxMinor }),
  },
  {
    method: 'POST', url: '/risk/holds/:id/release', permission: 'risk.operate',
    summary: 'Release a held payment (recorded with the reason); above limits.api.releaseWithoutCheckerMaxMinor a pending action a supervisor approves (202)',
    schema: { params: idParams, body: reasonBody },
    handler: async (context) => {
      const { id } = context.request.params as { id: string };
      const { reason } = context.request.body as { reason: string };
      const held = (await context.engine.riskHolds()).find((h) => h.id === BigInt(id));
      if (!held) {
        const exists = (await context.engine.paymentDetail(BigInt(id))) !== undefined;
        return problem(context.reply, exists ? 409 : 404, exists ? 'Not held' : 'No such payment', exists ? `payment ${id} is not held` : `no payment ${id}`);
      }
      if (held.amountMinor > limits.api.releaseWithoutCheckerMaxMinor) {
        const subject = `payment ${id}`;
        if (await alreadyProposed(context, 'risk.release', subject)) {
          return problem(context.reply, 409, 'Already proposed', `the release of payment ${id} already waits for a checker`);
        }
        const pending = await context.engine.proposeAction('risk.release', subject, { paymentId: id }, actor(context), reason,
          { ...source(context), amount: `${formatAmount(held.amountMinor, held.currency)} ${held.currency}` });
        context.reply.code(202);
        return { pendingActionId: pending, state: 'PENDING' };
      }
      try {
        const released = await context.engine.releaseHeldPayment(BigInt(id), { actor: actor(context), reason, details: source(context) });
        return { paymentId: id, state: released.state };
      } catch (error) {
        return riskRefusal(context, error);
      }
    },
  },
  {
    method: 'POST', url: '/risk/holds/:id/reject', permission: 'risk.operate',
    summary: 'Reject a held payment (pacs.002 RJCT to its sender, RR04 unless `code` names another ISO reason code); recorded with the reason',
    schema: { params: idParams, body: { type: 'object', required: ['reason'], additionalProperties: false,
      properties: { reason: REASON, code: { type: 'string', pattern: '^[A-Z0-9]{4}$' } } } },
    handler: async (context) => {
      const { id } = context.request.params as { id: string };
      const { reason, code } = context.request.body as { reason: string; code?: string };
      if (code !== undefined && !isReasonCode(code)) return problem(context.reply, 400, 'Not a reason code', `${code} is not an ISO status reason code`);
      try {
        await context.engine.rejectHeldPayment(BigInt(id), { actor: actor(context), reason, details: source(context) }, code);
        return { paymentId: id, state: 'REJECTED' };
      } catch (error) {
        return riskRefusal(context, error);
      }
    },
  },
  {
    method: 'GET', url: '/risk/freezes', permission: 'risk.read', summary: 'The freezes in force (an absent account: the participant itself), newest first',
    handler: async (context) => ({ freezes: (await context.engine.riskFreezes()).map((f) => ({ bic: f.participant, ...(f.account === '' ? {} : { account: f.account }),
      frozenAt: f.frozenAt, frozenBy: f.frozenBy, reason: f.reason })) }),
  },
  {
    method: 'POST', url: '/risk/freezes', permission: 'risk.operate',
    summary: 'Freeze an account (payments from or to it refused AC06) or, without `account`, a participant (also suspended); recorded with the reason',
    schema: { body: freezeBody },
    handler: async (context) => {
      const { bic, account, reason } = context.request.body as { bic: string; account?: string; reason: string };
      if (!(await context.engine.participantViews(bic)).some((p) => p.state !== 'retired')) {
        return problem(context.reply, 404, 'No such participant', `${bic} is not a participant`);
      }
      const who = { actor: actor(context), reason, details: source(context) };
      try {
        if (account === undefined) await context.engine.freezeParticipant(bic, who);
        else await context.engine.freezeAccount(bic, account, who);
        return { bic, ...(account === undefined ? {} : { account }), frozen: true };
      } catch (error) {
        if (error instanceof RegisterChangeError) return problem(context.reply, 409, 'Not applicable', error.message);
        return riskRefusal(context, error);
      }
    },
  },
  {
    method: 'POST', url: '/risk/freezes/unfreeze', permission: 'risk.operate',
    summary: 'Propose lifting a freeze (maker; money at stake): applied when a supervisor other than the maker approves it (a participant is also resumed)',
    schema: { body: freezeBody },
    handler: async (context) => {
      const { bic, account, reason } = context.request.body as { bic: string; account?: string; reason: string };
      const subject = account === undefined ? bic : `${bic}/${account}`;
      if (!(await context.engine.riskFreezes()).some((f) => f.participant === bic && f.account === (account ?? ''))) {
        return problem(context.reply, 404, 'Not frozen', `${account === undefined ? 'participant' : 'account'} ${subject} is not frozen`);
      }
      if (await alreadyProposed(context, 'risk.unfreeze', subject)) {
        return problem(context.reply, 409, 'Already proposed', `lifting the freeze of ${subject} already waits for a checker`);
      }
      const pending = await context.engine.proposeAction('risk.unfreeze', subject, { bic, account: account ?? '' }, actor(context), reason, source(context));
      context.reply.code(202);
      return { pendingActionId: pending, state: 'PENDING' };
    },
  },
  {
    method: 'GET', url: '/risk/events', permission: 'risk.events',
    summary: 'Risk events, newest first (screening hits, scores, holds, decisions, freezes); filters: `payment` (one payment\'s), `kind`, `participant`',
    schema: { querystring: { type: 'object', additionalProperties: false,
      properties: { payment: ID, kind: { type: 'string', enum: [...RISK_EVENT_KINDS] }, participant: BIC,
        limit: { type: 'integer', minimum: 1, maximum: limits.api.pageSizeMax, default: 100 } } } },
    handler: async (context) => {
      const q = searchParameters(context) as { payment?: string; kind?: string; participant?: string; limit?: number };
      const events = await context.engine.riskEvents({ ...(q.payment ? { paymentId: BigInt(q.payment) } : {}), ...(q.kind ? { kind: q.kind } : {}),
        ...(q.participant ? { participant: normalizeBic(q.participant) } : {}), limit: q.limit ?? 100 });
      return { events: events.map((e) => ({ id: e.id, at: e.at, kind: e.kind, actor: e.actor, reason: e.reason, paymentId: e.payment_id,
        participant: e.participant, details: e.details })) };
    },
  },
  {
    method: 'GET', url: '/queues', permission: 'payment.read',
    summary: 'The dashboard\'s queue depth per participant and currency (zeros included): queued real-time payments (count, amount, oldest) and, for people who may read the review queue, held ones; a participant: its own queue, never holds',
    handler: async (context) => ({ queues: await context.engine.queueDepths(visibleTo(context), allows('risk.read', context.principal!.role)) }),
  },
  {
    method: 'GET', url: '/deliveries/failures', permission: 'deadletter.read',
    summary: 'Deliveries given up on, newest first: outbox messages past their attempts (FAILED) and dead queue jobs, with the last error',
    schema: { querystring: { type: 'object', additionalProperties: false,
      properties: { limit: { type: 'integer', minimum: 1, maximum: limits.api.pageSizeMax, default: 100 } } } },
    handler: async (context) => ({ failures: await context.engine.failedDeliveries({ limit: (searchParameters(context) as { limit?: number }).limit ?? 100 }) }),
  },
  reportRoute('reconciliation'),
  reportRoute('statistics'),
  {
    method: 'GET', url: '/notifications/subscriptions', permission: 'notify.read',
    summary: 'Notification subscriptions with their pending, delivered and dead counts (a participant: its own); secrets are never shown',
    handler: async (context) => {
      const own = visibleTo(context);
      return { subscriptions: await context.engine.notifications().subscriptions(own ? { participant: own } : {}) };
    },
  },
  {
    method: 'POST', url: '/notifications/subscriptions', permission: 'notify.manage',
    summary: 'Subscribe to payment events (a participant: for itself) or, as an operator, the operators to alerts (no `participant`); ' +
      'a webhook secret not given is generated and returned once; recorded with the reason',
    schema: { body: { type: 'object', required: ['channel', 'target', 'events', 'reason'], additionalProperties: false, properties: {
      participant: BIC, channel: { type: 'string', enum: [...CHANNELS] }, target: { type: 'string', minLength: 1, maxLength: 2000 },
      events: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'string', maxLength: 64 } }, secret: { type: 'string', minLength: 16, maxLength: 200 },
      reason: REASON } } },
    handler: async (context) => {
      const body = context.request.body as { participant?: string; channel: 'webhook' | 'email'; target: string; events: string[]; secret?: string; reason: string };
      const own = visibleTo(context);
      if (own !== undefined && body.participant !== undefined && body.participant !== own) {
        return problem(context.reply, 403, 'Forbidden', 'a participant subscribes only for itself');
      }
      const participant = own ?? body.participant;
      if (participant !== undefined && !(await context.engine.participantViews(participant)).some((p) => p.state !== 'retired')) {
        return problem(context.reply, 404, 'No such participant', `${participant} is not a participant`);
      }
      try {
        const made = await context.engine.notifications().subscribe({ ...(participant === undefined ? {} : { participant }), channel: body.channel,
          target: body.target, events: body.events, ...(body.secret === undefined ? {} : { secret: body.secret }) }, { actor: actor(context), reason: body.reason });
        context.reply.code(201);
        return { id: made.id, ...(body.secret === undefined && made.secret !== null ? { secret: made.secret } : {}) };
      } catch (error) {
        if (error instanceof SubscriptionError) return problem(context.reply, 400, 'Not a subscription', error.message);
        throw error;
      }
    },
  },
  {
    method: 'POST', url: '/notifications/subscriptions/:id/remove', permission: 'notify.manage',
    summary: 'Remove a subscription (a participant: its own); what it still had pending is not sent; recorded with the reason',
    schema: { params: idParams, body: reasonBody },
    handler: async (context) => {
      const { id } = context.request.params as { id: string };
      const { reason } = context.request.body as { reason: string };
      try {
        await context.engine.notifications().remove(BigInt(id), { actor: actor(context), reason }, visibleTo(context));
        return { id, removed: true };
      } catch (error) {
        if (error instanceof SubscriptionError) return problem(context.reply, 404, 'No such subscription', error.message);
        throw error;
      }
    },
  },
  {
    method: 'POST', url: '/risk/profiles/:bic', permission: 'risk.profiles.load', bodyLimit: limits.api.uploadBytesMax,
    summary: 'Load the risk profiles of the certificate\'s participant (body streamed: CSV as text/csv, JSON Lines as application/x-ndjson); ' +
      'a new whole version, in force from `effectiveFrom`; a bad line refuses the file whole (422 with the line)',
    schema: {
      params: bicParams,
      querystring: { type: 'object', required: ['reason'], additionalProperties: false, properties: {
        reason: REASON, effectiveFrom: { type: 'string', format: 'date-time' }, fileName: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,200}$' } } },
    },
    handler: async (context) => {
      const { bic } = context.request.params as { bic: string };
      // Only one's own: the BIC bound to the client certificate.
      if (bic !== visibleTo(context)) {
        context.reply.header('connection', 'close');
        return problem(context.reply, 403, 'Forbidden', `a participant loads its own profiles only (${visibleTo(context)}), not ${bic}'s`);
      }
      const q = searchParameters(context) as { reason: string; effectiveFrom?: string; fileName?: string };
      const type = String(context.request.headers['content-type'] ?? '').split(';')[0]!.trim();
      const format = type === 'text/csv' ? 'csv' : type === 'application/x-ndjson' || type === 'application/jsonl' ? 'jsonl' : undefined;
      if (format === undefined || !hasBody(context.request.body)) {
        context.reply.header('connection', 'close');
        return problem(context.reply, 415, 'Unsupported file', 'send the profiles as text/csv or application/x-ndjson (JSON Lines) (docs/risk.md "Reference data")');
      }
      try {
        const version = await context.engine.loadRiskProfiles({ participant: bic, format, chunks: uploadChunks(context.request.body),
          effectiveFrom: q.effectiveFrom ? new Date(q.effectiveFrom) : context.engine.clock.now(), actor: bic, reason: q.reason,
          ...(q.fileName ? { fileName: q.fileName } : {}) });
        return { version: version.version, accounts: version.accounts, customers: version.customers, sha256: version.sha256 };
      } catch (error) {
        if (error instanceof ProfileFileError) return fileRefused(context.reply, error.line, error.reason);
        if (error instanceof UploadTooLargeError) return tooLarge(context.reply, error.message);
        if (error instanceof OperatorActionError) return problem(context.reply, 400, 'Bad request', error.message);
        throw error;
      }
    },
  },
  {
    method: 'GET', url: '/risk/profiles/:bic', permission: 'risk.profiles.read',
    summary: 'The complete risk profile versions loaded for a participant, newest first (a participant: its own; another\'s 404)',
    schema: { params: bicParams },
    handler: async (context) => {
      const { bic } = context.request.params as { bic: string };
      const own = visibleTo(context);
      if (own !== undefined && own !== bic) return problem(context.reply, 404, 'Not found', `no profile versions of ${bic} for you`);
      const versions = await context.engine.riskProfileVersions(bic);
      return { versions: versions.map((v) => ({ version: v.id, effectiveFrom: v.effective_from, loadedAt: v.loaded_at, loadedBy: v.loaded_by,
        accounts: v.accounts, customers: v.customers, sha256: v.sha256 })) };
    },
  },
  {
    method: 'GET', url: '/risk/lists', permission: 'risk.read',
    summary: 'Every stored screening list version, newest first; the version in force of each list marked',
    handler: async (context) => {
      const versions = await context.engine.screeningListVersions();
      const seen = new Set<string>();
      return { lists: versions.map((v) => {
        const inForce = !seen.has(v.name);
        seen.add(v.name);
        return { id: v.id, name: v.name, version: v.version, format: v.format, loadedAt: v.loadedAt, loadedBy: v.loadedBy, reason: v.reason,
          entries: v.entryCount, values: v.valueCount, sha256: v.sourceSha256, inForce };
      }) };
    },
  },
  {
    method: 'POST', url: '/risk/lists/:name', permission: 'risk.lists.load', bodyLimit: limits.api.uploadBytesMax,
    summary: 'Load the next version of a sanctions or negative list (`format` un: the UN consolidated XML, ofac: sdn.csv, scheme: the scheme list CSV; ' +
      'body streamed as application/octet-stream or text/csv); a bad line refuses the file whole (422 with the line); in force in every serve within seconds',
    schema: {
      params: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', pattern: LIST_NAME.source } } },
      querystring: { type: 'object', required: ['format', 'reason'], additionalProperties: false, properties: {
        format: { type: 'string', enum: [...LIST_FORMATS] }, reason: REASON } },
    },
    handler: async (context) => {
      const { name } = context.request.params as { name: string };
      const q = searchParameters(context) as { format: ListFormat; reason: string };
      if (!hasBody(context.request.body)) return problem(context.reply, 400, 'Empty file', 'the body must be the list file');
      const hash = hashed();
      const source = hash.wrap(uploadChunks(context.request.body));
      const records = q.format === 'un' ? parseUnList(source) : q.format === 'ofac' ? parseOfacList(source) : parseSchemeList(source);
      try {
        const version = await context.engine.loadScreeningList({ name, format: q.format, records, sha256: hash.sha256, files: ['(API upload)'] },
          { actor: actor(context), reason: q.reason });
        return { id: version.id, name: version.name, version: version.version, format: version.format, entries: version.entryCount,
          values: version.valueCount, sha256: version.sourceSha256, actionId: version.actionId };
      } catch (error) {
        if (error instanceof ListFormatError) return fileRefused(context.reply, error.line, error.reason);
        if (error instanceof UploadTooLargeError) return tooLarge(context.reply, error.message);
        if (error instanceof ScreeningListError || error instanceof OperatorActionError) return problem(context.reply, 400, 'Bad request', error.message);
        throw error;
      }
    },
  },
];
