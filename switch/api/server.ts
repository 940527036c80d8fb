/**
 * The HTTP API of the switch (docs/api.md): Fastify over HTTPS, every route from routes.ts with its
 * permission, JSON-schema-validated requests, the OpenAPI 3 document at GET /openapi.json and a docs
 * page at /docs, problem+json errors, bounded bodies and request rates, security headers.
 *
 * Deny by default: a route registered without a known permission stops the start (startApi throws),
 * and a request reaching a route without one is refused. Identification is in identity.ts.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { TrustAnchors } from '../../connectors/inbound.ts';
import { normalizeBic } from '../../connectors/signing/pki.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { Engine } from '../engine/engine.ts';
import { limits } from '../limits.ts';
import { silentLogger, type Logger } from '../log.ts';
import { csrfMatches, CSRF_HEADER, identify, SESSION_COOKIE, type IdentityOptions, type Principal } from './identity.ts';
import { allows, isPermission, type Permission } from './permissions.ts';
import { ApiMetrics } from './metrics.ts';
import { EventStreams, type EventHub } from './events.ts';
import { problem } from './problem.ts';
import { routes as defaultRoutes, type ApiRoute } from './routes.ts';
import { STREAMED_TYPES } from './uploads.ts';

export interface ApiOptions {
  readonly host: string;
  readonly port: number;
  /** The server's own TLS key and certificate (PEM). */
  readonly tls: { readonly keyPem: string; readonly certPem: string };
  /** The scheme trust material in force now (CA certificates and CRLs): participants' client certificates are judged with it. */
  readonly trust: () => TrustAnchors | undefined;
  /** Real time for sessions and TOTP (default the system clock). */
  readonly clock?: Clock;
  readonly log?: Logger;
  /** The route table (default routes.ts; tests pass others to check the start-up refusal). */
  readonly routes?: readonly ApiRoute[];
  /** A bearer token that may read GET /metrics without a session (a Prometheus scraper: the configuration's api.metricsToken). */
  readonly metricsToken?: string;
  /** The engine's events, fanned out (serve's event sink publishes to it): GET /events streams them, /metrics counts them. */
  readonly events?: EventHub;
  /** Intervals of the event streams (default limits.api; tests shorten them). */
  readonly eventTiming?: { readonly positionsMs?: number; readonly heartbeatMs?: number };
  /** Requests a minute per client address and per principal (default limits.api; tests lower them). */
  readonly rates?: { readonly perAddress?: number; readonly perPrincipal?: number };
}

export interface RunningApi {
  readonly url: string;
  readonly app: FastifyInstance;
  /** The API's metrics (serve feeds it the engine's events). */
  readonly metrics: ApiMetrics;
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: Permission;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Paths of the docs page's own files (HTML, scripts, styles): public, like the document they show. */
const DOCS_PREFIX = '/docs';

export async function startApi(engine: Engine, options: ApiOptions): Promise<RunningApi> {
  const app = buildApi(engine, options);
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `https://${host}:${address.port}`, app, metrics: metricsOf(app), close: () => app.close() };
}

export function buildApi(engine: Engine, options: ApiOptions): FastifyInstance {
  const clock = options.clock ?? systemClock;
  const log = (options.log ?? silentLogger).child({ component: 'api' });
  const table = options.routes ?? defaultRoutes;
  for (const route of table) {
    if (!isPermission(route.permission)) throw new Error(`API route ${route.method} ${route.url} declares no permission: refused (deny by default)`);
  }
  const trust = options.trust();
  const app = Fastify({
    https: {
      key: options.tls.keyPem, cert: options.tls.certPem, minVersion: 'TLSv1.2',
      // Ask for a client certificate, judge it per request (identity.ts): people come without one.
      requestCert: true, rejectUnauthorized: false, ...(trust ? { ca: [...trust.caCertPems] } : {}),
    },
    bodyLimit: limits.api.jsonBytesMax,
    trustProxy: false,
    logger: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  const metrics = new ApiMetrics(engine);
  app.decorate(METRICS, metrics);
  const scrapeToken = options.metricsToken === undefined ? undefined : createHash('sha256').update(`Bearer ${options.metricsToken}`).digest();
  /** Whether the request carries the scrape token (compared as SHA-256 digests, in constant time). */
  const scraper = (authorization: string | undefined) => scrapeToken !== undefined && authorization !== undefined &&
    timingSafeEqual(createHash('sha256').update(authorization).digest(), scrapeToken);
  const stopCounting = options.events?.listen((event) => metrics.observeEvent(event));
  const streams = new EventStreams(options.events, {
    positionsMs: options.eventTiming?.positionsMs ?? limits.api.eventsPositionsMs, heartbeatMs: options.eventTiming?.heartbeatMs ?? limits.api.eventsHeartbeatMs,
    perPrincipalMax: limits.api.eventStreamsPerPrincipalMax, bufferBytesMax: limits.api.eventStreamBufferBytesMax,
    exposures: () => engine.exposures(), onError: (error) => log.error({ err: error }, 'positions for the event streams could not be read'),
  });
  // Open streams would keep the server from closing: they end first.
  app.addHook('preClose', async () => {
    stopCounting?.();
    streams.closeAll();
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  const identity: IdentityOptions = { engine, trust: options.trust, participants: new Set(engine.participantBics().map(normalizeBic)), clock };

  app.addHook('onRoute', (route) => {
    if (route.url.startsWith(DOCS_PREFIX)) return;
    if (!isPermission(route.config?.permission)) throw new Error(`API route ${route.method} ${route.url} declares no permission: refused (deny by default)`);
  });

  // XML bodies are kept as bytes; how many a route takes is the route's bodyLimit (routes.ts).
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  // Reference-data uploads are streamed to the engine as they arrive, never held whole (uploads.ts).
  app.addContentTypeParser(STREAMED_TYPES, (_request, payload, done) => done(null, payload));
  app.setReplySerializer((payload) => JSON.stringify(payload, (_key, value) => (typeof value === 'bigint' ? value.toString() : value)));

  // Parses the session cookie (a browser's session: docs/api.md "Cookie sessions and CSRF").
  void app.register(cookie);
  // Counters only: the checks run in the guard below, by address before identification and by principal after it.
  void app.register(rateLimit, { global: false });
  // The guard runs after the cookie parser's hook (a plugin that skips encapsulation puts its hooks on the root, in order).
  void app.register(Object.assign(async (root: FastifyInstance) => {
    const perAddress = root.createRateLimit({ max: options.rates?.perAddress ?? limits.api.requestsPerMinuteMax, timeWindow: 60_000,
      keyGenerator: (request) => `address ${request.ip}` });
    const perPrincipal = root.createRateLimit({ max: options.rates?.perPrincipal ?? limits.api.principalRequestsPerMinuteMax, timeWindow: 60_000,
      keyGenerator: (request) => `${request.principal!.kind} ${request.principal!.name}` });
    const tooMany = (reply: FastifyReply, seconds: number, detail: string) =>
      reply.send(problem(reply.header('retry-after', String(Math.max(1, seconds))), 429, 'Too many requests', detail));
    root.addHook('onRequest', async (request, reply) => {
      setSecurityHeaders(reply, request.url.startsWith(DOCS_PREFIX));
      const byAddress = await perAddress(request);
      if (!byAddress.isAllowed && byAddress.isExceeded) {
        return tooMany(reply, byAddress.ttlInSeconds, `slow down: at most ${byAddress.max} requests a minute per address`);
      }
      // No route matched: the not-found handler answers 404 (the routes are public knowledge: /openapi.json).
      if (request.routeOptions.url === undefined) return undefined;
      const permission = permissionOf(request);
      if (permission === 'public') return undefined;
      if (permission === undefined) return reply.send(problem(reply, 403, 'Forbidden', 'this route grants no permission'));
      if (permission === 'metrics.read' && scraper(request.headers.authorization)) return undefined;
      const found = await identify(identity, request.headers.authorization, request.raw.socket as TLSSocket, request.cookies[SESSION_COOKIE]);
      if (!found) return reply.send(problem(reply.header('www-authenticate', 'Bearer'), 401, 'Unauthenticated',
        'present the client certificate the scheme issued you, or log in (POST /login) and send Authorization: Bearer <token>'));
      if (!found.ok) return reply.send(problem(reply.header('www-authenticate', 'Bearer'), 401, 'Unauthenticated', found.detail));
      request.principal = found.principal;
      const byPrincipal = await perPrincipal(request);
      if (!byPrincipal.isAllowed && byPrincipal.isExceeded) {
        return tooMany(reply, byPrincipal.ttlInSeconds, `slow down: at most ${byPrincipal.max} requests a minute per ${found.principal.kind}`);
      }
      // A browser sends the cookie with any request to this origin: a change must also prove it comes from our page.
      if (found.principal.kind === 'person' && found.principal.via === 'cookie' && !SAFE_METHODS.has(request.method) &&
        !csrfMatches(found.principal, request.headers[CSRF_HEADER])) {
        log.warn({ principal: found.principal.name, method: request.method, url: request.url }, 'cookie session change without its CSRF token');
        return reply.send(problem(reply, 403, 'CSRF token missing or wrong',
          `a change made with the session cookie must carry the session's CSRF token (from POST /login) in ${CSRF_HEADER}`));
      }
      if (!allows(permission, found.principal.role)) {
        log.warn({ principal: found.principal.name, role: found.principal.role, method: request.method, url: request.url }, 'forbidden');
        return reply.send(problem(reply, 403, 'Forbidden', `the ${found.principal.role} role may not ${permission}`));
      }
      return undefined;
    });
  }, { [Symbol.for('skip-override')]: true }));

  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) log.error({ err: error, method: request.method, url: request.url }, 'API request failed');
    const title = status === 500 ? 'Internal error' : status === 413 ? 'Body too large' : status === 415 ? 'Unsupported media type' : 'Bad request';
    return reply.send(problem(reply, status, title, status === 500 ? 'the switch could not answer; see its log'
      : status === 413 ? `the body is larger than this route takes (${request.routeOptions.bodyLimit ?? limits.api.jsonBytesMax} bytes)` : error.message));
  });
  app.setNotFoundHandler((request, reply) => reply.send(problem(reply, 404, 'Not found', `no route ${request.method} ${request.url.split('?')[0]}`)));

  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'clearhouse API', version: '1', description: 'The clearing house switch: participants by client certificate, people by session (docs/api.md).' },
      components: { securitySchemes: { session: { type: 'http', scheme: 'bearer' }, clientCertificate: { type: 'mutualTLS' } as never } },
    },
  });
  void app.register(swaggerUi, { routePrefix: DOCS_PREFIX, staticCSP: true });
  void app.register(async (scope) => {
    scope.get('/openapi.json', { config: { permission: 'public' }, schema: { hide: true } }, async () => scope.swagger());
    for (const route of table) {
      scope.route({
        method: route.method, url: route.url, config: { permission: route.permission }, bodyLimit: route.bodyLimit ?? limits.api.jsonBytesMax,
        schema: { ...route.schema, summary: route.summary, description: `Permission: ${route.permission}`,
          ...(route.permission === 'public' ? {} : { security: [{ session: [] }, { clientCertificate: [] }] }) } as never,
        handler: async (request, reply) => route.handler({ engine, identity, clock, metrics, streams, principal: request.principal, request, reply }),
      });
    }
  });
  return app;
}

const METRICS = 'clearhouseMetrics';

function metricsOf(app: FastifyInstance): ApiMetrics {
  return (app as unknown as Record<typeof METRICS, ApiMetrics>)[METRICS];
}

function permissionOf(request: FastifyRequest): Permission | undefined {
  if (request.url.startsWith(DOCS_PREFIX)) return 'public';
  const permission = request.routeOptions.config?.permission;
  return isPermission(permission) ? permission : undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Headers on every answer (docs/api.md "Answers and bounds"). API answers are data: a policy of
 * nothing at all; the console's pages set their own, allowing only their own origin's script and
 * styles (routes.ts); the docs page keeps the one @fastify/swagger-ui sets with its scripts' hashes.
 */
function setSecurityHeaders(reply: { header(name: string, value: string): unknown }, docs: boolean): void {
  reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cross-origin-resource-policy', 'same-origin');
  reply.header('cache-control', 'no-store');
  if (!docs) reply.header('content-security-policy', "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
}
