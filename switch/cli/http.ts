/**
 * `serve --http HOST:PORT`: the HTTP API (switch/api/, docs/api.md) in the serve process, on the same
 * engine, with the trust material serve keeps current (a revoked client certificate stops working as
 * soon as the new CRL is read). Its TLS key and certificate come from --http-key/--http-cert, else
 * from the scheme configuration's `api` section.
 */
import { readFileSync } from 'node:fs';
import type { TrustMaterialWatcher } from '../../connectors/signing/reload.ts';
import type { SchemeConfig } from '../config.ts';
import type { Engine } from '../engine/engine.ts';
import type { Logger } from '../log.ts';
import { startApi, type RunningApi } from '../api/server.ts';
import type { EventHub } from '../api/events.ts';

export interface HttpOptions {
  readonly http?: string;
  readonly httpKey?: string;
  readonly httpCert?: string;
}

/** A usage problem with --http and its TLS material: serve stops with exit code 2. */
export class HttpOptionError extends Error {
  override readonly name = 'HttpOptionError';
}

export function parseListen(text: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65_535) throw new HttpOptionError(`--http takes HOST:PORT (e.g. 127.0.0.1:8443), not ${JSON.stringify(text)}`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

export async function startHttp(engine: Engine, config: SchemeConfig, options: HttpOptions, watcher: TrustMaterialWatcher, logger: Logger,
  events?: EventHub): Promise<RunningApi | undefined> {
  if (options.http === undefined) return undefined;
  const listen = parseListen(options.http);
  const keyFile = options.httpKey ?? config.api?.tlsKey;
  const certFile = options.httpCert ?? config.api?.tlsCertificate;
  if (keyFile === undefined || certFile === undefined) {
    throw new HttpOptionError('--http needs the API\'s TLS key and certificate: --http-key and --http-cert, or the configuration\'s api section');
  }
  let tls: { keyPem: string; certPem: string };
  try {
    tls = { keyPem: readFileSync(keyFile, 'utf8'), certPem: readFileSync(certFile, 'utf8') };
  } catch (error) {
    throw new HttpOptionError(`the API's TLS material cannot be read: ${(error as Error).message}`);
  }
  const api = await startApi(engine, { ...listen, tls, trust: () => watcher.current().trust, log: logger, ...(events ? { events } : {}),
    ...(config.api?.metricsToken === undefined ? {} : { metricsToken: config.api.metricsToken }) });
  logger.child({ component: 'api' }).info({ url: api.url, participants: watcher.current().trust ? 'client certificate' : 'none (no scheme CA)' },
    'HTTP API listening');
  return api;
}
