import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  REASON, assertReasonCode, isReasonCode, reasonCode, reasonCodeSource, reasonCodes,
} from '../../switch/iso/reason-codes.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const codeSetFile = JSON.parse(readFileSync(join(root, 'schemas/codes/ExternalStatusReason1Code.json'), 'utf8')) as {
  codeSet: string; source: string; namesUnavailable: string[]; codes: { code: string; name: string | null; definition: string }[];
};

describe('ExternalStatusReason1Code list', () => {
  it('is the named code set with a source', () => {
    assert.equal(codeSetFile.codeSet, 'ExternalStatusReason1Code');
    assert.ok(codeSetFile.source.length > 0);
    assert.equal(reasonCodeSource, codeSetFile.source);
    assert.equal(reasonCodes.length, codeSetFile.codes.length);
    assert.ok(reasonCodes.length > 250, `only ${reasonCodes.length} codes`);
  });

  it('is sorted by code and has no duplicates', () => {
    const codes = reasonCodes.map((entry) => entry.code);
    for (let i = 1; i < codes.length; i++) {
      assert.ok(codes[i - 1]! < codes[i]!, `${codes[i - 1]} before ${codes[i]}: not strictly ascending`);
    }
    assert.equal(new Set(codes).size, codes.length);
  });

  it('has a four-character code, a definition and a name (or a listed unavailable name) per entry', () => {
    const unavailable = new Set(codeSetFile.namesUnavailable);
    for (const entry of reasonCodes) {
      assert.match(entry.code, /^[A-Z0-9]{4}$/, `code ${entry.code}`);
      assert.equal(typeof entry.definition, 'string');
      assert.ok(entry.definition.trim().length > 0, `${entry.code} has an empty definition`);
      assert.equal(entry.definition, entry.definition.trim().replace(/\s+/g, ' '), `${entry.code} definition whitespace`);
      if (unavailable.has(entry.code)) {
        assert.equal(entry.name, null, `${entry.code} is listed in namesUnavailable but has a name`);
      } else {
        assert.equal(typeof entry.name, 'string', `${entry.code} has no name`);
        assert.match(entry.name!, /^[A-Za-z0-9-]+$/, `${entry.code} name ${entry.name}`);
      }
    }
    for (const code of unavailable) assert.ok(isReasonCode(code), `namesUnavailable lists ${code}, not in the list`);
  });

  it('holds the codes the switch relies on, with their ISO names', () => {
    const expected: Record<string, string> = {
      AB05: 'TimeoutCreditorAgent', AB06: 'TimeoutInstructedAgent', AC01: 'IncorrectAccountNumber',
      AC03: 'InvalidCreditorAccountNumber', AC04: 'ClosedAccountNumber', AC06: 'BlockedAccount',
      AG01: 'TransactionForbidden', AG03: 'TransactionNotSupported', AM01: 'ZeroAmount', AM02: 'NotAllowedAmount',
      AM03: 'NotAllowedCurrency', AM04: 'InsufficientFunds', AM05: 'Duplication', AM09: 'WrongAmount',
      AM12: 'InvalidAmount', AM14: 'AmountExceedsAgreedLimit', BE01: 'InconsistenWithEndCustomer',
      CH21: 'RequiredCompulsoryElementMissing', CUST: 'RequestedByCustomer', DS01: 'ElectronicSignaturesCorrect',
      DS02: 'OrderCancelled', DS03: 'OrderNotCancelled', DS04: 'OrderRejected', DS07: 'ProcessingOK',
      DS08: 'DecompressionError', DS09: 'DecryptionError', DS0A: 'DataSignRequested', DS0B: 'UnknownDataSignFormat',
      DS0C: 'SignerCertificateRevoked', DS0D: 'SignerCertificateNotValid', DS0E: 'IncorrectSignerCertificate',
      DS0F: 'SignerCertificationAuthoritySignerNotValid', DS0G: 'NotAllowedPayment', DS0H: 'NotAllowedAccount',
      DS0K: 'NotAllowedNumberOfTransaction', DT01: 'InvalidDate', DUPL: 'DuplicatePayment', FF01: 'InvalidFileFormat',
      FF02: 'SyntaxError', FF03: 'InvalidPaymentTypeInformation', FF05: 'InvalidLocalInstrumentCode',
      FF06: 'InvalidCategoryPurposeCode', FRAD: 'FraudulentOrigin', NARR: 'Narrative', RC01: 'BankIdentifierIncorrect',
      RC02: 'InvalidBankIdentifier', RC03: 'InvalidDebtorBankIdentifier', RC04: 'InvalidCreditorBankIdentifier',
      RC07: 'InvalidCreditorBICIdentifier', RR04: 'RegulatoryReason', TM01: 'InvalidCutOffTime',
    };
    for (const [code, name] of Object.entries(expected)) {
      assert.equal(reasonCode(code)?.name, name, code);
    }
    assert.equal(reasonCode('AM04')?.definition, 'Amount of funds available to cover specified message amount is insufficient.');
    assert.equal(reasonCode('FF01')?.definition, 'File Format incomplete or invalid');
    assert.equal(reasonCode('DS0A')?.definition, 'Data signature is required.');
  });
});

describe('lookup', () => {
  it('finds known codes and nothing else', () => {
    assert.deepEqual(reasonCode('AC01'), { code: 'AC01', name: 'IncorrectAccountNumber', definition: 'Account number is invalid or missing.' });
    assert.equal(reasonCode('ZZ99'), undefined);
    assert.equal(reasonCode('ac01'), undefined);
    assert.equal(reasonCode(''), undefined);
    assert.equal(isReasonCode('DS0K'), true);
    assert.equal(isReasonCode('DS0I'), false);
    assert.equal(isReasonCode('FF01 '), false);
  });

  it('assertReasonCode returns a known code and throws on an unknown one', () => {
    assert.equal(assertReasonCode('FF01'), 'FF01');
    assert.throws(() => assertReasonCode('ZZ99'), /ZZ99.*not an ISO ExternalStatusReason1Code/);
    assert.throws(() => assertReasonCode('TECH'), /TECH/);
  });

  it('entries cannot be modified', () => {
    const entry = reasonCode('AM04')!;
    assert.throws(() => { (entry as { name: string | null }).name = 'x'; }, TypeError);
    assert.throws(() => { (reasonCodes as unknown as unknown[]).push(entry); }, TypeError);
  });
});

describe('REASON', () => {
  it('names only codes of the list, each with an ISO name', () => {
    for (const [key, code] of Object.entries(REASON)) {
      const entry = reasonCode(code);
      assert.ok(entry, `REASON.${key} = ${code} is not an ExternalStatusReason1Code`);
      assert.notEqual(entry.name, null, `REASON.${key} = ${code} has no ISO name`);
    }
  });

  it('keys are plain words in camelCase', () => {
    for (const key of Object.keys(REASON)) assert.match(key, /^[a-z][A-Za-z0-9]+$/, key);
  });
});

/** A reason-code literal found in source text. */
interface CodeLiteral {
  readonly code: string;
  readonly line: number;
  readonly form: 'finding' | 'code';
}

/**
 * The reason-code literals in TypeScript source. Two places hold one:
 * - the first argument of finding('....', ...): any string literal there is a reason code;
 * - `code: '....'` in an object shaped like a finding or a rule problem, i.e. one that also has a
 *   `message` or `path` property. Other `code:` values are other ISO code sets (balance types, purpose
 *   codes, ...) and are not reason codes. Only code-like values (3 to 5 upper-case letters or digits)
 *   are taken there, so a typo such as 'FF1' is still caught but an errno such as 'ENOENT' is not.
 * Single, double and back quotes alike. REASON.<key> references are checked by tsc instead.
 */
function codeLiterals(source: string): CodeLiteral[] {
  const found: CodeLiteral[] = [];
  const lineAt = (index: number): number => source.slice(0, index).split('\n').length;
  const literal = String.raw`(?:'([^'\\\n]*)'|"([^"\\\n]*)"|\x60([^\x60\\\n$]*)\x60)`;
  for (const match of source.matchAll(new RegExp(String.raw`\bfinding\s*\(\s*${literal}`, 'g'))) {
    found.push({ code: match[1] ?? match[2] ?? match[3] ?? '', line: lineAt(match.index), form: 'finding' });
  }
  for (const match of source.matchAll(new RegExp(String.raw`(?<![\w$.])(['"]?)code\1\s*:\s*${literal}`, 'g'))) {
    const code = match[2] ?? match[3] ?? match[4] ?? '';
    if (!/^[A-Z0-9]{3,5}$/.test(code)) continue;
    const siblings = objectLevelText(source, match.index, match.index + match[0].length);
    if (/(?:^|[{,\s])(['"]?)(?:message|path)\1\s*[:,}]|(?:^|[{,\s])(?:message|path)\s*$/.test(siblings)) {
      found.push({ code, line: lineAt(match.index), form: 'code' });
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

/**
 * The text of the object literal around [from, to) at its own nesting level (nested braces left out):
 * backwards to the unmatched '{', forwards to the unmatched '}'. Braces are counted naively (inside
 * strings too); good enough to see the sibling keys of `code:`.
 */
function objectLevelText(source: string, from: number, to: number, reach = 2000): string {
  let before = '';
  for (let i = from - 1, depth = 0; i >= 0 && i >= from - reach; i--) {
    const c = source[i]!;
    if (c === '}') depth++;
    else if (c === '{') { if (depth === 0) break; depth--; } else if (depth === 0) before = c + before;
  }
  let after = '';
  for (let i = to, depth = 0; i < source.length && i < to + reach; i++) {
    const c = source[i]!;
    if (c === '{') depth++;
    else if (c === '}') { if (depth === 0) break; depth--; } else if (depth === 0) after += c;
  }
  return `${before} , ${after}`;
}

function typeScriptFiles(directory: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...typeScriptFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.ts')) files.push(path);
  }
  return files;
}

describe('source scan for reason-code literals', () => {
  it('the scanner finds finding() and finding-shaped code: literals, and ignores other code sets', () => {
    const source = [
      "import { finding } from './finding.ts';",
      "const a = finding('ZZ99', '/Document', 'made up');",
      'const b = finding("FF01", path, "schema");',
      'const c = finding(`AM04`, path, `funds`);',
      "const d = { code: 'AC01', path: '/' };",
      "const e = { code:'XX12', 'message': 'm' };",
      "const f = { code: 'ENOENT', message: 'errno', path: '/' };",
      "const g = { currency: { code: 'EUR' } };",
      "const h = { zipcode: 'AB12', message: 'm' };",
      'const i = finding(REASON.invalidBic, path, "bic");',
      "const j = finding('FF1', path, 'too short');",
      "const balances = { opening: { code: 'OPBD' }, headroom: { code: 'ITAV' } };",
      "findings.push({",
      "  code: 'YY34', path: `${root}/GrpHdr`, line,",
      "  extra: { nested: 1 },",
      "  message: 'multi-line finding',",
      "});",
      "return { code: 'FF1', message };",
      "const k = { purpose: { code: 'SALA' }, message: 'outer object has the message' };",
    ].join('\n');
    assert.deepEqual(codeLiterals(source), [
      { code: 'ZZ99', line: 2, form: 'finding' },
      { code: 'FF01', line: 3, form: 'finding' },
      { code: 'AM04', line: 4, form: 'finding' },
      { code: 'AC01', line: 5, form: 'code' },
      { code: 'XX12', line: 6, form: 'code' },
      { code: 'FF1', line: 11, form: 'finding' },
      { code: 'YY34', line: 14, form: 'code' },
      { code: 'FF1', line: 18, form: 'code' },
    ]);
    const unknown = codeLiterals(source).filter((literal) => !isReasonCode(literal.code)).map((literal) => literal.code);
    assert.deepEqual(unknown, ['ZZ99', 'XX12', 'FF1', 'YY34', 'FF1']);
  });

  it('every reason-code literal under switch/, connectors/ and batch/ is in the list', () => {
    const directories = ['switch', 'connectors', 'batch'].map((name) => join(root, name)).filter((path) => existsSync(path));
    assert.ok(directories.length > 0);
    const files = directories.flatMap(typeScriptFiles);
    assert.ok(files.length > 0, 'no TypeScript files found to scan');
    const unknown: string[] = [];
    for (const file of files) {
      for (const literal of codeLiterals(readFileSync(file, 'utf8'))) {
        if (!isReasonCode(literal.code)) unknown.push(`${file.slice(root.length)}:${literal.line} ${literal.form} '${literal.code}'`);
      }
    }
    assert.deepEqual(unknown, [], `reason codes not in ExternalStatusReason1Code:\n${unknown.join('\n')}`);
  });
});
