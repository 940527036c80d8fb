/**
 * The scheme register (table scheme_register, migration 011): the part of the scheme configuration
 * that operators change while the switch runs — participants (status, caps, currencies, connector),
 * the scheme's currencies, its services and per-payment maxima. Everything else in the configuration
 * file (calendar, cut-offs, the switch's and the settlement agent's BICs, data directory, signing) is
 * read from the file at each start.
 *
 * The newest register version is in force in every engine: an engine that writes one uses it at once,
 * every other engine (every running `serve`) picks it up within limits.registerPollIntervalMs of its
 * next use (docs/operations.md "Configuration workflow"). A version is written only by
 *  - the first writing start of a store that has none (seeded from the configuration file: action
 *    `config.initialise`), and
 *  - an explicit, recorded operator command: `config apply`, `participant suspend|resume|cap|add|retire`
 *    (engine.applyConfiguration, engine.suspendParticipant, …).
 * Reading commands never write one.
 */
import { checkConfig, ConfigError, type ParticipantConfig, type SchemeConfig } from '../config.ts';
import { parseAmount } from '../iso/amount.ts';
import type { Queryable } from '../store/database.ts';

/** The register: what `config apply` and the participant commands change. */
export interface SchemeRegister {
  readonly currencies: SchemeConfig['currencies'];
  readonly perPaymentMaximum?: SchemeConfig['perPaymentMaximum'];
  readonly participants: SchemeConfig['participants'];
  readonly services: SchemeConfig['services'];
  /** The risk stage's limits and thresholds (docs/risk.md); absent: no risk stage. */
  readonly risk?: SchemeConfig['risk'];
}

/** Arbitrary constant naming the register-writing lock among the database's advisory locks. */
const REGISTER_LOCK_KEY = 20261211;

export function registerOf(config: SchemeConfig): SchemeRegister {
  return {
    currencies: config.currencies, participants: config.participants, services: config.services,
    ...(config.perPaymentMaximum === undefined ? {} : { perPaymentMaximum: config.perPaymentMaximum }),
    ...(config.risk === undefined ? {} : { risk: config.risk }),
  };
}

/**
 * The configuration in force: the file's process settings with the register's fields. Checked again as
 * a whole (a register written for another file's currencies is refused with the file's problems).
 */
export function withRegister(config: SchemeConfig, register: SchemeRegister): SchemeConfig {
  const { risk: _fileRisk, ...file } = config;
  const merged = { ...file, currencies: register.currencies, participants: register.participants, services: register.services,
    ...(register.risk === undefined ? {} : { risk: register.risk }) };
  const raw = JSON.parse(JSON.stringify(register.perPaymentMaximum === undefined
    ? (({ perPaymentMaximum: _dropped, ...rest }) => rest)(merged)
    : { ...merged, perPaymentMaximum: register.perPaymentMaximum })) as Record<string, unknown>;
  return checkConfig(raw);
}

/** The newest register version's number, 0 when the store has none. */
export async function registerVersion(db: Queryable): Promise<bigint> {
  const [row] = await db.query<{ version: bigint | null }>('SELECT max(version) AS version FROM scheme_register');
  return row?.version ?? 0n;
}

/** The newest register version, undefined when the store has none. */
export async function loadRegister(db: Queryable): Promise<{ version: bigint; register: SchemeRegister } | undefined> {
  const [row] = await db.query<{ version: bigint; document: SchemeRegister }>(
    'SELECT version, document FROM scheme_register ORDER BY version DESC LIMIT 1');
  return row ? { version: row.version, register: row.document } : undefined;
}

/**
 * Writes `register` as the next version (in the caller's transaction, after its operator action was
 * recorded) and brings the participants and exposures tables in line: status, names, caps (net and
 * reserved amounts are the engine's and kept); a participant no longer in the register is `retired`.
 */
export async function writeRegister(tx: Queryable, register: SchemeRegister, actionId: bigint): Promise<bigint> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [REGISTER_LOCK_KEY]);
  const version = (await registerVersion(tx)) + 1n;
  await tx.query('INSERT INTO scheme_register (version, document, action_id) VALUES ($1, $2::jsonb, $3)',
    [version, JSON.stringify(register), actionId]);
  for (const p of register.participants) {
    await tx.query(`INSERT INTO participants (bic, name, status) VALUES ($1, $2, $3)
                    ON CONFLICT (bic) DO UPDATE SET name = EXCLUDED.name, status = EXCLUDED.status, updated_at = now()`,
    [p.bic, p.name, p.status]);
    for (const currency of p.currencies) {
      const text = p.netDebitCap?.[currency] ?? '0';
      const cap = parseAmount(text, currency);
      if (!cap.ok) throw new ConfigError([`participant ${p.bic}: net debit cap ${text} ${currency} is not an amount`]);
      await tx.query(`INSERT INTO exposures (bic, currency, cap_minor) VALUES ($1, $2, $3)
                      ON CONFLICT (bic, currency) DO UPDATE SET cap_minor = EXCLUDED.cap_minor`, [p.bic, currency, cap.minor]);
    }
  }
  await tx.query(`UPDATE participants SET status = 'retired', updated_at = now()
                   WHERE status <> 'retired' AND NOT (bic = ANY($1::text[]))`, [register.participants.map((p) => p.bic)]);
  return version;
}

/** Whether a register version exists; the seeding start takes the same lock as a writer. */
export async function lockRegister(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [REGISTER_LOCK_KEY]);
}

/** One difference between two registers, as `config apply` shows it. */
export interface RegisterChange {
  readonly kind: 'participant.add' | 'participant.retire' | 'participant.suspend' | 'participant.resume' | 'participant.cap'
    | 'participant.change' | 'currencies' | 'services' | 'per_payment_maximum' | 'risk';
  readonly subject: string;
  readonly from?: unknown;
  readonly to?: unknown;
}

/** Key order does not matter (jsonb stores keys in its own order). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/** What changes from `before` (undefined: an empty store) to `after`, participants in BIC order. */
export function registerChanges(before: SchemeRegister | undefined, after: SchemeRegister): RegisterChange[] {
  const changes: RegisterChange[] = [];
  if (!same(before?.currencies, after.currencies)) changes.push({ kind: 'currencies', subject: 'scheme', from: before?.currencies, to: after.currencies });
  if (!same(before?.perPaymentMaximum, after.perPaymentMaximum)) {
    changes.push({ kind: 'per_payment_maximum', subject: 'scheme', from: before?.perPaymentMaximum, to: after.perPaymentMaximum });
  }
  if (!same(before?.services, after.services)) changes.push({ kind: 'services', subject: 'scheme', from: before?.services, to: after.services });
  if (!same(before?.risk, after.risk)) changes.push({ kind: 'risk', subject: 'scheme', from: before?.risk, to: after.risk });
  const old = new Map((before?.participants ?? []).map((p) => [p.bic, p]));
  const now = new Map(after.participants.map((p) => [p.bic, p]));
  for (const bic of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const a = old.get(bic);
    const b = now.get(bic);
    if (!a && b) changes.push({ kind: 'participant.add', subject: bic, to: b });
    else if (a && !b) changes.push({ kind: 'participant.retire', subject: bic, from: a });
    else if (a && b) changes.push(...participantChanges(a, b));
  }
  return changes;
}

function participantChanges(a: ParticipantConfig, b: ParticipantConfig): RegisterChange[] {
  const changes: RegisterChange[] = [];
  if (a.status !== b.status) changes.push({ kind: b.status === 'suspended' ? 'participant.suspend' : 'participant.resume', subject: a.bic });
  for (const currency of [...new Set([...Object.keys(a.netDebitCap), ...Object.keys(b.netDebitCap)])].sort()) {
    if (a.netDebitCap[currency] !== b.netDebitCap[currency]) {
      changes.push({ kind: 'participant.cap', subject: `${a.bic} ${currency}`, from: a.netDebitCap[currency], to: b.netDebitCap[currency] });
    }
  }
  const rest = (p: ParticipantConfig) => ({ name: p.name, currencies: p.currencies, connector: p.connector });
  if (!same(rest(a), rest(b))) changes.push({ kind: 'participant.change', subject: a.bic, from: rest(a), to: rest(b) });
  return changes;
}

/** One line per change, for the operator's terminal. */
export function describeChange(c: RegisterChange): string {
  const text = (v: unknown): string => (v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));
  switch (c.kind) {
    case 'participant.add': return `+ participant ${c.subject} added (${(c.to as ParticipantConfig).name}, ${(c.to as ParticipantConfig).status})`;
    case 'participant.retire': return `- participant ${c.subject} retired`;
    case 'participant.suspend': return `~ participant ${c.subject} suspended`;
    case 'participant.resume': return `~ participant ${c.subject} resumed (active)`;
    case 'participant.cap': return `~ net debit cap ${c.subject}: ${text(c.from)} -> ${text(c.to)}`;
    case 'participant.change': return `~ participant ${c.subject}: ${text(c.from)} -> ${text(c.to)}`;
    case 'currencies': return `~ currencies: ${text(c.from)} -> ${text(c.to)}`;
    case 'services': return `~ services: ${text(c.from)} -> ${text(c.to)}`;
    case 'per_payment_maximum': return `~ per-payment maximum: ${text(c.from)} -> ${text(c.to)}`;
    case 'risk': return `~ risk limits and thresholds: ${text(c.from)} -> ${text(c.to)}`;
  }
}
