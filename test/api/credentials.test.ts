/**
 * People's credentials: TOTP against the test vectors of RFC 6238 appendix B (SHA-1, SHA-256, SHA-512,
 * 8 digits), HOTP against RFC 4226 appendix D, the drift window and its refusal of other steps, and the
 * scrypt password hash (verifies its own password, refuses another, is salted).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  base32Decode, base32Encode, hashPassword, hotp, matchTotp, otpauthUri, totp, totpStep, verifyPassword, TOTP, type TotpParameters,
} from '../../switch/api/credentials.ts';

const ascii = (text: string) => Buffer.from(text, 'ascii');
// RFC 6238 appendix B: the seed is "12345678901234567890" repeated to the hash's key length.
const seeds = {
  sha1: ascii('12345678901234567890'),
  sha256: ascii('12345678901234567890123456789012'),
  sha512: ascii('1234567890123456789012345678901234567890123456789012345678901234'),
};
const vectors: Array<[number, string, 'sha1' | 'sha256' | 'sha512']> = [
  [59, '94287082', 'sha1'], [59, '46119246', 'sha256'], [59, '90693936', 'sha512'],
  [1111111109, '07081804', 'sha1'], [1111111109, '68084774', 'sha256'], [1111111109, '25091201', 'sha512'],
  [1111111111, '14050471', 'sha1'], [1111111111, '67062674', 'sha256'], [1111111111, '99943326', 'sha512'],
  [1234567890, '89005924', 'sha1'], [1234567890, '91819424', 'sha256'], [1234567890, '93441116', 'sha512'],
  [2000000000, '69279037', 'sha1'], [2000000000, '90698825', 'sha256'], [2000000000, '38618901', 'sha512'],
  [20000000000, '65353130', 'sha1'], [20000000000, '77737706', 'sha256'], [20000000000, '47863826', 'sha512'],
];

describe('TOTP (RFC 6238)', () => {
  for (const [seconds, expected, algorithm] of vectors) {
    it(`T=${seconds} ${algorithm} gives ${expected}`, () => {
      const parameters: TotpParameters = { algorithm, digits: 8, stepSeconds: 30 };
      assert.equal(totp(seeds[algorithm], new Date(seconds * 1000), parameters), expected);
    });
  }

  it('HOTP (RFC 4226 appendix D) counters 0..9', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    assert.deepEqual(expected.map((_, i) => hotp(seeds.sha1, BigInt(i))), expected);
  });

  it('accepts a code one step either side, names its step, refuses two steps away and malformed codes', () => {
    const at = new Date(1_700_000_000_000);
    const step = totpStep(at);
    const key = seeds.sha1;
    for (const d of [-1n, 0n, 1n]) assert.equal(matchTotp(key, hotp(key, step + d), at, 1), step + d);
    assert.equal(matchTotp(key, hotp(key, step + 2n), at, 1), undefined);
    assert.equal(matchTotp(key, hotp(key, step - 2n), at, 1), undefined);
    assert.equal(matchTotp(key, '12345', at, 1), undefined);
    assert.equal(matchTotp(key, 'abcdef', at, 1), undefined);
  });

  it('base32 round-trips (RFC 4648 vector) and the otpauth URI carries secret, issuer and parameters', () => {
    assert.equal(base32Encode(ascii('foobar')), 'MZXW6YTBOI');
    assert.deepEqual(base32Decode('MZXW6YTBOI'), ascii('foobar'));
    const uri = otpauthUri('clearhouse test', 'alice', 'MZXW6YTBOI');
    assert.equal(uri, `otpauth://totp/clearhouse%20test:alice?secret=MZXW6YTBOI&issuer=clearhouse%20test&algorithm=SHA1&digits=${TOTP.digits}&period=30`);
  });
});

describe('password hashing (scrypt)', () => {
  it('verifies the password it hashed, refuses another, salts each hash, refuses a malformed hash', async () => {
    const hash = await hashPassword('correct horse battery staple');
    assert.match(hash, /^scrypt\$15\$8\$1\$/);
    assert.equal(await verifyPassword('correct horse battery staple', hash), true);
    assert.equal(await verifyPassword('correct horse battery stapler', hash), false);
    assert.notEqual(await hashPassword('correct horse battery staple'), hash);
    assert.equal(await verifyPassword('x', 'plain-text'), false);
  });
});
