/**
 * People's credentials for the HTTP API: a password hashed with scrypt (memory-hard, node:crypto) and a
 * time-based one-time password (RFC 6238 over RFC 4226 HOTP). No I/O: the rows are the engine's
 * (switch/engine/access.ts).
 *
 * Password hashes are stored as `scrypt$<log2 N>$<r>$<p>$<salt base64>$<hash base64>`, so the cost can
 * be raised later and old hashes still verify. N = 2^15, r = 8: 32 MiB of memory per hash (OWASP's
 * password storage guidance lists N = 2^17 with r = 8 and p = 1 as its first choice; 2^15 keeps a
 * login's hashing near a third of a second on the shared 2-core reference machine under load
 * (324 ms measured), whose cores also serve the switch).
 */
import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const SCRYPT = { logN: 15, r: 8, p: 1, keyBytes: 32, saltBytes: 16 } as const;

function scryptAsync(password: string, salt: Buffer, keyBytes: number, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyBytes, { ...cost, maxmem: 256 * cost.N * cost.r + 1024 * 1024 }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltBytes);
  const key = await scryptAsync(password, salt, SCRYPT.keyBytes, { N: 2 ** SCRYPT.logN, r: SCRYPT.r, p: SCRYPT.p });
  return ['scrypt', SCRYPT.logN, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [logN, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (!(logN >= 10 && logN <= 22 && r >= 1 && r <= 32 && p >= 1 && p <= 16)) return false;
  const expected = Buffer.from(parts[5]!, 'base64');
  const key = await scryptAsync(password, Buffer.from(parts[4]!, 'base64'), expected.length, { N: 2 ** logN, r, p });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A random password for enrolment: 20 characters of base64url (120 bits). */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}

// --- TOTP (RFC 6238) ---------------------------------------------------------------------------

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/=+$/, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const character of clean) {
    const index = BASE32.indexOf(character);
    if (index < 0) throw new RangeError('not base32');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export interface TotpParameters {
  /** HMAC hash: SHA1 is what authenticator apps implement (RFC 6238 allows SHA256 and SHA512). */
  readonly algorithm: 'sha1' | 'sha256' | 'sha512';
  readonly digits: number;
  readonly stepSeconds: number;
}

/** What the switch enrols people with: the parameters every authenticator app understands. */
export const TOTP: TotpParameters = { algorithm: 'sha1', digits: 6, stepSeconds: 30 };

/** The time step of an instant (RFC 6238 T = floor((unix time − T0) / X), T0 = 0). */
export function totpStep(at: Date, parameters: TotpParameters = TOTP): bigint {
  return BigInt(Math.floor(at.getTime() / 1000 / parameters.stepSeconds));
}

/** HOTP (RFC 4226) of `counter`: dynamic truncation of HMAC(key, counter as 8 bytes big-endian). */
export function hotp(key: Uint8Array, counter: bigint, parameters: TotpParameters = TOTP): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(counter);
  const mac = createHmac(parameters.algorithm, key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return (binary % 10 ** parameters.digits).toString().padStart(parameters.digits, '0');
}

export function totp(key: Uint8Array, at: Date, parameters: TotpParameters = TOTP): string {
  return hotp(key, totpStep(at, parameters), parameters);
}

/**
 * The time step whose code `code` is, within `driftSteps` of `at`, or undefined. The caller refuses a
 * step not later than the last one used (RFC 6238 section 5.2: a code is accepted once).
 */
export function matchTotp(key: Uint8Array, code: string, at: Date, driftSteps: number, parameters: TotpParameters = TOTP): bigint | undefined {
  if (!/^\d+$/.test(code) || code.length !== parameters.digits) return undefined;
  const now = totpStep(at, parameters);
  let found: bigint | undefined;
  for (let d = -driftSteps; d <= driftSteps; d++) {
    const candidate = hotp(key, now + BigInt(d), parameters);
    // Compare every candidate in constant time and without an early exit.
    if (timingSafeEqual(Buffer.from(candidate), Buffer.from(code))) found = now + BigInt(d);
  }
  return found;
}

export function newTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

/** The enrolment URI authenticator apps read (Google Authenticator's Key Uri Format). */
export function otpauthUri(issuer: string, account: string, secret: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  return `otpauth://totp/${label}?secret=${secret}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=${TOTP.digits}&period=${TOTP.stepSeconds}`;
}
