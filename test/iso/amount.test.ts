import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatSignedAmount,
  currencyExponent, formatAmount, formatDecimalScaled, parseAmount, parseDecimalScaled, type AmountResult,
} from '../../switch/iso/amount.ts';

const ok = (minor: bigint): AmountResult => ({ ok: true, minor });
const fail = (reason: 'syntax' | 'currency' | 'decimals'): AmountResult => ({ ok: false, reason });

describe('parseAmount', () => {
  const cases: ReadonlyArray<readonly [text: string, currency: string, expected: AmountResult]> = [
    // Exponent 2.
    ['10.50', 'EUR', ok(1050n)],
    ['10.5', 'EUR', ok(1050n)],
    ['10.500', 'EUR', ok(1050n)],
    ['10.50000', 'EUR', ok(1050n)],
    ['10', 'EUR', ok(1000n)],
    ['0.01', 'EUR', ok(1n)],
    ['0.00', 'EUR', ok(0n)],
    ['0', 'EUR', ok(0n)],
    ['007.10', 'EUR', ok(710n)],
    ['10.501', 'EUR', fail('decimals')],
    ['0.001', 'EUR', fail('decimals')],
    ['10.50001', 'EUR', fail('decimals')],
    ['1.25', 'XCD', ok(125n)],
    // Exponent 0.
    ['100', 'JPY', ok(100n)],
    ['100.0', 'JPY', ok(100n)],
    ['100.5', 'JPY', fail('decimals')],
    ['5000', 'XOF', ok(5000n)],
    ['5000', 'XAF', ok(5000n)],
    ['120', 'XPF', ok(120n)],
    // Exponent 3.
    ['1.234', 'BHD', ok(1234n)],
    ['1.2', 'BHD', ok(1200n)],
    ['1.2345', 'BHD', fail('decimals')],
    ['0.001', 'KWD', ok(1n)],
    // Exponent 4.
    ['1.0001', 'CLF', ok(10001n)],
    // Unknown or not payable currencies.
    ['1.00', 'ABC', fail('currency')],
    ['1.00', 'XAU', fail('currency')],
    ['1.00', 'XAG', fail('currency')],
    ['1.00', 'XDR', fail('currency')],
    ['1.00', 'XTS', fail('currency')],
    ['1.00', 'XXX', fail('currency')],
    ['1.00', 'eur', fail('currency')],
    ['1.00', 'EURO', fail('currency')],
    ['1.00', '', fail('currency')],
    // Not ISO decimal text (checked before the currency).
    ['1e5', 'EUR', fail('syntax')],
    ['-1.00', 'EUR', fail('syntax')],
    ['+1.00', 'EUR', fail('syntax')],
    ['', 'EUR', fail('syntax')],
    ['1,00', 'EUR', fail('syntax')],
    [' 1.00', 'EUR', fail('syntax')],
    ['1.00 ', 'EUR', fail('syntax')],
    ['1.', 'EUR', fail('syntax')],
    ['.5', 'EUR', fail('syntax')],
    ['1.000000', 'EUR', fail('syntax')],
    ['0x10', 'EUR', fail('syntax')],
    ['١٠', 'EUR', fail('syntax')],
    ['1e5', 'ABC', fail('syntax')],
    ['1234567890123456789', 'EUR', fail('syntax')],
    // 18-digit integer part, exact (no float rounding).
    ['123456789012345678.12', 'EUR', ok(12345678901234567812n)],
    ['999999999999999999.99', 'EUR', ok(99999999999999999999n)],
    ['999999999999999999.999', 'BHD', ok(999999999999999999999n)],
    ['9007199254740993', 'JPY', ok(9007199254740993n)],
  ];
  for (const [text, currency, expected] of cases) {
    it(`${JSON.stringify(text)} ${currency || '(empty)'}`, () => {
      assert.deepEqual(parseAmount(text, currency), expected);
    });
  }
});

describe('currencyExponent', () => {
  const cases: ReadonlyArray<readonly [string, number | null]> = [
    ['EUR', 2], ['USD', 2], ['JPY', 0], ['KRW', 0], ['BHD', 3], ['KWD', 3], ['TND', 3], ['CLF', 4],
    ['XOF', 0], ['XAF', 0], ['XPF', 0], ['XCD', 2],
    ['XAU', null], ['XPT', null], ['XBA', null], ['XSU', null], ['XUA', null], ['XXX', null],
    ['ABC', null], ['eur', null], ['EU', null], ['', null],
  ];
  for (const [currency, expected] of cases) {
    it(`${currency || '(empty)'} -> ${expected}`, () => {
      assert.equal(currencyExponent(currency), expected);
      assert.equal(currencyExponent(currency), expected, 'cached answer');
    });
  }
});

describe('formatAmount', () => {
  const cases: ReadonlyArray<readonly [minor: bigint, currency: string, text: string]> = [
    [1050n, 'EUR', '10.50'], [1n, 'EUR', '0.01'], [0n, 'EUR', '0.00'], [100n, 'EUR', '1.00'],
    [12345678901234567812n, 'EUR', '123456789012345678.12'],
    [100n, 'JPY', '100'], [0n, 'JPY', '0'], [5000n, 'XOF', '5000'],
    [1234n, 'BHD', '1.234'], [1n, 'BHD', '0.001'], [0n, 'BHD', '0.000'], [1000n, 'KWD', '1.000'],
    [10001n, 'CLF', '1.0001'],
  ];
  for (const [minor, currency, text] of cases) {
    it(`${minor} ${currency} -> ${text} and back`, () => {
      assert.equal(formatAmount(minor, currency), text);
      assert.deepEqual(parseAmount(text, currency), ok(minor));
    });
  }

  it('round trips every minor value up to 2000 for exponents 0, 2 and 3', () => {
    for (const currency of ['JPY', 'EUR', 'BHD']) {
      for (let minor = 0n; minor <= 2000n; minor++) {
        assert.deepEqual(parseAmount(formatAmount(minor, currency), currency), ok(minor), `${minor} ${currency}`);
      }
    }
  });

  it('parse then format normalises to the currency exponent', () => {
    const cases: ReadonlyArray<readonly [string, string, string]> = [
      ['10.5', 'EUR', '10.50'], ['10.500', 'EUR', '10.50'], ['007', 'EUR', '7.00'], ['100.0', 'JPY', '100'],
      ['1.2', 'BHD', '1.200'],
    ];
    for (const [text, currency, normalised] of cases) {
      const parsed = parseAmount(text, currency);
      assert.ok(parsed.ok, text);
      assert.equal(formatAmount(parsed.minor, currency), normalised);
    }
  });

  it('throws on an unknown currency or a negative amount', () => {
    assert.throws(() => formatAmount(1n, 'ABC'), /unknown currency ABC/);
    assert.throws(() => formatAmount(1n, 'XAU'), /unknown currency XAU/);
    assert.throws(() => formatAmount(-1n, 'EUR'), /negative/);
  });
});

describe('parseDecimalScaled', () => {
  const cases: ReadonlyArray<readonly [text: string, scale: number, expected: bigint | null]> = [
    ['10.50', 5, 1050000n],
    ['10.5', 2, 1050n],
    ['10', 0, 10n],
    ['10.0', 0, 10n],
    ['10.5', 0, null],
    ['0', 5, 0n],
    ['0.00001', 5, 1n],
    ['0.000001', 5, null],
    ['0.000010', 5, 1n],
    ['1.12345678901234567', 17, 112345678901234567n],
    ['1.123456789012345678', 17, null],
    ['123456789012345678.12', 2, 12345678901234567812n],
    ['1234567890123456789', 0, null],
    ['', 2, null],
    ['-1', 2, null],
    ['1e5', 2, null],
    ['1,5', 2, null],
    [' 1', 2, null],
    ['1.', 2, null],
    ['.5', 2, null],
  ];
  for (const [text, scale, expected] of cases) {
    it(`${JSON.stringify(text)} at scale ${scale} -> ${expected}`, () => {
      assert.equal(parseDecimalScaled(text, scale), expected);
    });
  }
});

describe('formatDecimalScaled', () => {
  const cases: ReadonlyArray<readonly [value: bigint, scale: number, text: string]> = [
    [1050000n, 5, '10.50000'], [1050n, 2, '10.50'], [1n, 5, '0.00001'], [0n, 5, '0.00000'], [0n, 0, '0'],
    [42n, 0, '42'], [12345678901234567812n, 2, '123456789012345678.12'],
  ];
  for (const [value, scale, text] of cases) {
    it(`${value} at scale ${scale} -> ${text} and back`, () => {
      assert.equal(formatDecimalScaled(value, scale), text);
      assert.equal(parseDecimalScaled(text, scale), value);
    });
  }
});

describe('formatSignedAmount', () => {
  it('writes positions with their sign at the currency exponent', () => {
    assert.equal(formatSignedAmount(-1050n, 'EUR'), '-10.50');
    assert.equal(formatSignedAmount(1050n, 'EUR'), '+10.50');
    assert.equal(formatSignedAmount(0n, 'JPY'), '+0');
    assert.equal(formatSignedAmount(-5n, 'BHD'), '-0.005');
  });
});
