/**
 * The people of the HTTP API (table api_users, migration 014) and their sessions (api_sessions):
 * storage only. Hashing, TOTP and the login rules live in switch/api/auth.ts; this module keeps the
 * rows and makes each login step one statement, so two concurrent logins cannot both use one TOTP
 * code or both escape a lock.
 */
import type { Queryable } from '../store/database.ts';

export type PersonRole = 'operator' | 'supervisor' | 'regulator' | 'auditor';
export const PERSON_ROLES: readonly PersonRole[] = ['operator', 'supervisor', 'regulator', 'auditor'];

export interface ApiUser {
  readonly name: string;
  readonly role: PersonRole;
  readonly passwordHash: string;
  readonly totpSecret: string;
  readonly lastTotpStep: bigint;
  readonly failedLogins: number;
  readonly lockedUntil: Date | null;
}

export interface ApiSession {
  readonly userName: string;
  readonly role: PersonRole;
  readonly expiresAt: Date;
  /** SHA-256 of the session's CSRF token (cookie sessions: docs/api.md); null for a session opened before migration 015. */
  readonly csrfSha256: string | null;
}

/** The storage of people and sessions the API uses (engine.access()). */
export interface AccessStore {
  addUser(user: { name: string; role: PersonRole; passwordHash: string; totpSecret: string }, at: Date): Promise<boolean>;
  user(name: string): Promise<ApiUser | undefined>;
  /** Counts a failed login; locks the user until `lockUntil` when the count reaches `failuresMax`. Returns the new count. */
  loginFailed(name: string, failuresMax: number, lockUntil: Date): Promise<number>;
  /** A good password and a TOTP code of `step` not used before: resets the count; false when the step was already
   * used or the person is locked at `now` (a lock taken by a concurrent failed login wins). */
  loginSucceeded(name: string, step: bigint, now: Date): Promise<boolean>;
  createSession(tokenSha256: string, userName: string, at: Date, expiresAt: Date, address: string, csrfSha256: string): Promise<void>;
  session(tokenSha256: string, now: Date): Promise<ApiSession | undefined>;
  endSession(tokenSha256: string): Promise<void>;
}

interface UserRow {
  name: string; role: PersonRole; password_hash: string; totp_secret: string; last_totp_step: bigint; failed_logins: number; locked_until: Date | null;
}

export function accessStore(db: Queryable): AccessStore {
  return {
    async addUser(user, at) {
      const rows = await db.query(
        `INSERT INTO api_users (name, role, password_hash, totp_secret, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO NOTHING RETURNING name`, [user.name, user.role, user.passwordHash, user.totpSecret, at]);
      return rows.length === 1;
    },
    async user(name) {
      const [r] = await db.query<UserRow>('SELECT * FROM api_users WHERE name = $1', [name]);
      return r && {
        name: r.name, role: r.role, passwordHash: r.password_hash, totpSecret: r.totp_secret, lastTotpStep: BigInt(r.last_totp_step),
        failedLogins: r.failed_logins, lockedUntil: r.locked_until === null ? null : new Date(r.locked_until),
      };
    },
    async loginFailed(name, failuresMax, lockUntil) {
      const [r] = await db.query<{ failed_logins: number }>(
        `UPDATE api_users SET failed_logins = failed_logins + 1,
                locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3::timestamptz ELSE locked_until END
          WHERE name = $1 RETURNING failed_logins`, [name, failuresMax, lockUntil]);
      return r?.failed_logins ?? 0;
    },
    async loginSucceeded(name, step, now) {
      const rows = await db.query(
        `UPDATE api_users SET failed_logins = 0, locked_until = NULL, last_totp_step = $2
          WHERE name = $1 AND last_totp_step < $2 AND (locked_until IS NULL OR locked_until <= $3) RETURNING name`, [name, step, now]);
      return rows.length === 1;
    },
    async createSession(tokenSha256, userName, at, expiresAt, address, csrfSha256) {
      // Expired sessions of the person go when a new one opens: the table holds live sessions and a few dead ones.
      await db.query('DELETE FROM api_sessions WHERE user_name = $1 AND expires_at <= $2', [userName, at]);
      await db.query(`INSERT INTO api_sessions (token_sha256, user_name, created_at, expires_at, address, csrf_sha256)
        VALUES ($1, $2, $3, $4, $5, $6)`, [tokenSha256, userName, at, expiresAt, address, csrfSha256]);
    },
    async session(tokenSha256, now) {
      const [r] = await db.query<{ user_name: string; role: PersonRole; expires_at: Date; csrf_sha256: string | null }>(
        `SELECT s.user_name, u.role, s.expires_at, s.csrf_sha256 FROM api_sessions s JOIN api_users u ON u.name = s.user_name
          WHERE s.token_sha256 = $1 AND s.expires_at > $2`, [tokenSha256, now]);
      return r && { userName: r.user_name, role: r.role, expiresAt: new Date(r.expires_at), csrfSha256: r.csrf_sha256 };
    },
    async endSession(tokenSha256) {
      await db.query('DELETE FROM api_sessions WHERE token_sha256 = $1', [tokenSha256]);
    },
  };
}
