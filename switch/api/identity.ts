/**
 * Who a request comes from (docs/api.md "Authentication"):
 *
 *   participant  the TLS client certificate the scheme PKI issued it (`clearhouse pki issue`): judged
 *                like a signer's certificate (connectors/signing/cms.ts) against the trust material in
 *                force now (reloaded while serve runs), so a revoked certificate stops working within
 *                limits.trustMaterialReloadMs, also on a connection opened before; the BIC is its CN
 *                and must be a configured participant.
 *   person       `Authorization: Bearer <token>` of a session opened by POST /login (password + TOTP),
 *                or the same token in the session cookie `clearhouse_session` (a browser); a cookie
 *                session's changes must also carry its CSRF token (server.ts checks it).
 *
 * A request carrying a bearer token is judged by the token alone, and one carrying the session cookie
 * by the cookie alone, so a person's session never borrows the rights of a certificate on the same
 * connection.
 */
import { createHash, randomBytes, timingSafeEqual, type X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { TrustAnchors } from '../../connectors/inbound.ts';
import { normalizeBic } from '../../connectors/signing/pki.ts';
import { verifyParticipantCertificate } from '../../connectors/signing/cms.ts';
import type { Clock } from '../clock.ts';
import type { Engine } from '../engine/engine.ts';
import type { PersonRole } from '../engine/access.ts';
import { limits } from '../limits.ts';
import { matchTotp, base32Decode, verifyPassword } from './credentials.ts';
import type { Role } from './permissions.ts';

export type Principal =
  | { readonly kind: 'participant'; readonly role: 'participant'; readonly name: string; readonly bic: string }
  | { readonly kind: 'person'; readonly role: PersonRole; readonly name: string; readonly tokenSha256: string;
      /** How the session token came: a bearer header, or the session cookie (then changes need the CSRF token). */
      readonly via: 'bearer' | 'cookie'; readonly csrfSha256: string | null };

/** The cookie a browser session rides on (docs/api.md "Cookie sessions and CSRF"). */
export const SESSION_COOKIE = 'clearhouse_session';
/** The header a cookie session's changes carry its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

const TOKEN = /^[A-Za-z0-9_-]{20,200}$/;

export type Identification =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly detail: string };

export function tokenSha256(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface IdentityOptions {
  readonly engine: Engine;
  /** The trust material in force now (the serve process's watcher); absent: no participant can authenticate. */
  readonly trust: () => TrustAnchors | undefined;
  readonly participants: ReadonlySet<string>;
  /** Real time for sessions and TOTP codes (people's devices keep real time, even under a simulated business clock);
   * client certificates are judged at the engine's time, like the signatures on files. */
  readonly clock: Clock;
}

/** The principal of a request, or why there is none (undefined: no credentials at all). */
export async function identify(options: IdentityOptions, authorization: string | undefined, socket: TLSSocket | undefined,
  cookie?: string): Promise<Identification | undefined> {
  if (authorization !== undefined) {
    const match = /^Bearer (.*)$/.exec(authorization);
    if (!match || !TOKEN.test(match[1]!)) return { ok: false, detail: 'the Authorization header must be "Bearer <token>"' };
    return personOf(options, match[1]!, 'bearer');
  }
  if (cookie !== undefined) {
    if (!TOKEN.test(cookie)) return { ok: false, detail: `the ${SESSION_COOKIE} cookie is not a session: log in again` };
    return personOf(options, cookie, 'cookie');
  }
  const certificate = socket?.getPeerX509Certificate?.();
  if (!certificate) return undefined;
  return participantOf(options, certificate);
}

async function personOf(options: IdentityOptions, token: string, via: 'bearer' | 'cookie'): Promise<Identification> {
  const hash = tokenSha256(token);
  const session = await options.engine.access().session(hash, options.clock.now());
  if (!session) return { ok: false, detail: 'the session is unknown or has expired: log in again' };
  return { ok: true, principal: { kind: 'person', role: session.role, name: session.userName, tokenSha256: hash, via, csrfSha256: session.csrfSha256 } };
}

/** Whether `presented` (the X-CSRF-Token header) is the CSRF token of the cookie session `principal`, compared in constant time. */
export function csrfMatches(principal: Principal, presented: string | string[] | undefined): boolean {
  if (principal.kind !== 'person' || principal.csrfSha256 === null || typeof presented !== 'string' || !TOKEN.test(presented)) return false;
  return timingSafeEqual(Buffer.from(tokenSha256(presented), 'hex'), Buffer.from(principal.csrfSha256, 'hex'));
}

function participantOf(options: IdentityOptions, certificate: X509Certificate): Identification {
  const trust = options.trust();
  if (!trust) return { ok: false, detail: 'client certificates are not accepted: the switch has no scheme CA configured' };
  // Certificates are judged at the engine's time, as the signatures on the participant's files are.
  const verdict = verifyParticipantCertificate(certificate, { caCertPems: trust.caCertPems, crls: trust.crls, now: options.engine.clock.now() });
  if (!verdict.ok) return { ok: false, detail: `client certificate refused: ${verdict.message}` };
  const bic = normalizeBic(verdict.signer.bic);
  if (!options.participants.has(bic)) return { ok: false, detail: `${bic} is not a participant of the scheme` };
  return { ok: true, principal: { kind: 'participant', role: 'participant', name: bic, bic } };
}

export type LoginResult =
  | { readonly ok: true; readonly token: string; readonly csrfToken: string; readonly role: Role; readonly expiresAt: Date }
  | { readonly ok: false; readonly locked: boolean };

/**
 * Password and TOTP code, both checked whatever the first gives (no hint which was wrong); a locked
 * person is refused without checking either. Each failure counts towards the lock; a code is accepted
 * once. An unknown name costs the same password hashing as a known one.
 */
export async function login(options: IdentityOptions, name: string, password: string, code: string, address: string): Promise<LoginResult> {
  const access = options.engine.access();
  const now = options.clock.now();
  const user = await access.user(name);
  if (user?.lockedUntil && user.lockedUntil > now) return { ok: false, locked: true };
  const passwordOk = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  const step = user ? matchTotp(base32Decode(user.totpSecret), code, now, limits.api.totpDriftSteps) : undefined;
  if (!user || !passwordOk || step === undefined || !(await access.loginSucceeded(user.name, step, now))) {
    if (user) {
      const failures = await access.loginFailed(user.name, limits.api.loginFailuresMax, new Date(now.getTime() + limits.api.loginLockoutMs));
      return { ok: false, locked: failures >= limits.api.loginFailuresMax };
    }
    return { ok: false, locked: false };
  }
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + limits.api.sessionTtlMs);
  await access.createSession(tokenSha256(token), user.name, now, expiresAt, address, tokenSha256(csrfToken));
  return { ok: true, token, csrfToken, role: user.role, expiresAt };
}

/** A well-formed hash of a random password, so an unknown name takes as long as a wrong password. */
const DUMMY_HASH = 'scrypt$15$8$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
