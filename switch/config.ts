/**
 * The scheme configuration file (JSON), checked at load: every problem is collected with its path
 * (`participants[2].netDebitCap.EUR: ...`) and reported together, so an operator fixes a file in one
 * pass. docs/configuration.md describes every field, its default and why it exists.
 *
 * The message layer needs currencies, participants and per-payment limits; the clearing engine adds the
 * business calendar, cycles, services, caps, connectors and the settlement agent. Those are optional in
 * the file so that a `--config` file written for the validator alone still loads; `checkConfig`
 * returns the configuration with every default filled in, and `clearingConfig` insists on the fields
 * that have no safe default (switchBic, settlementAgent) before the clearing engine starts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { currencyExponent, formatAmount, parseAmount } from './iso/amount.ts';
import { BIC_PATTERN as BIC, institutionKey } from './iso/bic.ts';
import { limits } from './limits.ts';
import { checkRiskConfig, type RiskConfig } from './risk/config.ts';

export type ParticipantStatus = 'active' | 'suspended';

/** Where a participant's files are exchanged. */
export type ConnectorConfig =
  | { readonly type: 'directory'; readonly path: string }
  | {
    readonly type: 'sftp';
    readonly host: string;
    readonly port: number;
    readonly username: string;
    readonly privateKeyPath: string;
    /** The server's host key fingerprint as OpenSSH prints it: `SHA256:` + 43 base64 characters. */
    readonly hostKeySha256: string;
    readonly inbound: string;
    readonly outbound: string;
  }
  | { readonly type: 'queue' };

export interface ParticipantConfig {
  readonly bic: string;
  readonly name: string;
  readonly status: ParticipantStatus;
  readonly currencies: readonly string[];
  /** Per participant currency, the largest net debit as decimal text; "0.00" when the file names none. */
  readonly netDebitCap: Readonly<Record<string, string>>;
  readonly connector: ConnectorConfig;
}

/** The business calendar: when the cycle day rolls and which days are not business days. */
export interface CalendarConfig {
  /** IANA time zone in which every local time of the configuration is read. */
  readonly timeZone: string;
  /** Local time ("HH:MM", or "24:00" for midnight) at which the business day rolls to the next one. */
  readonly cycleDayRollTime: string;
  /** Closed calendar dates, "YYYY-MM-DD", sorted. */
  readonly holidays: readonly string[];
  /** Days of the week that are not business days: 0 Sunday … 6 Saturday. */
  readonly weekendDays: readonly number[];
}

export type ServiceMode = 'batch' | 'realtime';
export type MessageTypeCleared = 'pacs.008' | 'pacs.009' | 'pacs.004';
export type OverCapPolicy = 'reject' | 'queue';

export interface BatchServiceConfig {
  readonly messageType: MessageTypeCleared;
  readonly mode: 'batch';
  readonly perPaymentMaximum?: Readonly<Record<string, string>>;
}

export interface RealtimeServiceConfig {
  readonly messageType: MessageTypeCleared;
  readonly mode: 'realtime';
  /** True: reserve, forward, commit on the creditor agent's ACCP. False: commit on forward. */
  readonly receiverConfirmation: boolean;
  readonly confirmationTimeoutMs: number;
  readonly perPaymentMaximum?: Readonly<Record<string, string>>;
  /** What happens to a payment beyond the sender's headroom: rejected (AM04) or queued (PR11). */
  readonly overCap: OverCapPolicy;
}

export type ServiceConfig = BatchServiceConfig | RealtimeServiceConfig;

export interface SettlementAgentConfig {
  readonly bic: string;
  readonly name: string;
  /** Identifier of the scheme's settlement account at the agent (ISO Max34Text, goes into Othr/Id). */
  readonly settlementAccount: string;
  /** How serve reaches the agent, as a participant's (docs/operations.md, "The settlement agent"); absent: none configured. */
  readonly connector?: ConnectorConfig;
  /** Seconds the agent may take to answer a cycle's instructions before the alert (limits.settlementAnswerTimeoutSecondsDefault). */
  readonly answerTimeoutSeconds?: number;
}

/**
 * Scheme PKI trust material for `serve` (docs/signing.md). Paths are read at start, relative to the
 * working directory like every other path in this file. With caCertificates every inbound file must
 * carry a valid detached signature by its sender's certificate; with switchKey/switchCertificate every
 * delivered file is signed. Several CA certificates may be trusted at once (CA rotation overlap).
 */
export interface SigningConfig {
  readonly caCertificates: readonly string[];
  readonly revocationLists: readonly string[];
  readonly switchKey?: string;
  readonly switchCertificate?: string;
}

/**
 * The HTTP API's own TLS key and certificate (docs/api.md): what browsers and banks' clients see when
 * they connect to `serve --http`. Participants' client certificates are judged with `signing`'s CAs.
 */
export interface ApiConfig {
  readonly tlsKey: string;
  readonly tlsCertificate: string;
  /** A bearer token a Prometheus scraper may read GET /metrics with (docs/api.md "Metrics"), at least 32 characters. */
  readonly metricsToken?: string;
}

export interface SchemeConfig {
  readonly name: string;
  readonly currencies: readonly string[];
  /** Per currency, the largest single payment as decimal text, e.g. { "EUR": "100000.00" }. */
  readonly perPaymentMaximum?: Readonly<Record<string, string>>;
  readonly participants: readonly ParticipantConfig[];
  readonly calendar: CalendarConfig;
  /** Cut-off local times of each business day, strictly increasing, the last one ≤ the roll time. */
  readonly cycles: readonly string[];
  /**
   * How many business days ahead a batch pacs.008 may be dated (IntrBkSttlmDt): such a payment is
   * warehoused and joins the first cycle of its date (docs/scheme-rules.md, "Future-dated payments").
   * 0: no future dating (DT04). Default CONFIG_DEFAULTS.futureDatedHorizonBusinessDays.
   */
  readonly futureDatedHorizonBusinessDays?: number;
  /**
   * Participants that also receive, at each settlement, a camt.054 with one debit or credit entry per
   * settled payment (besides the net camt.054 every participant gets). docs/reports.md, "Advices".
   */
  readonly perTransactionAdvices?: readonly string[];
  /**
   * Periodic intraday reports: `serve` sends each subscribing participant a camt.052 of its position
   * per currency every interval within the business hours. docs/reports.md, "Intraday report".
   */
  readonly intradayReports?: IntradayReportsConfig;
  readonly services: readonly ServiceConfig[];
  readonly settlementAgent?: SettlementAgentConfig;
  readonly switchBic?: string;
  readonly dataDirectory: string;
  readonly signing?: SigningConfig;
  readonly api?: ApiConfig;
  /** The risk stage (docs/risk.md): absent, no risk stage runs. Part of the scheme register. */
  readonly risk?: RiskConfig;
}

/** Periodic camt.052 (docs/configuration.md, "intradayReports"). */
export interface IntradayReportsConfig {
  /** Minutes between two reports: the slots start at `from`, `from + interval`, … (local time). */
  readonly intervalMinutes: number;
  /** Local time ("HH:MM") of the first slot of a business day. */
  readonly from: string;
  /** Local time ("HH:MM", "24:00") after which no slot starts: the slots start in [from, to). */
  readonly to: string;
  /** The participants that receive them (BICs as configured); absent: every active participant,
   * including those added later through the register. */
  readonly participants?: readonly string[];
}

/** A configuration the clearing engine can run on: the fields without a safe default are present. */
export interface ClearingSchemeConfig extends SchemeConfig {
  readonly settlementAgent: SettlementAgentConfig;
  readonly switchBic: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    // One line, as every command-line error (docs/operations.md "Exit codes and errors").
    super(`invalid scheme configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Defaults applied when the file leaves a field out (docs/configuration.md explains each). */
export const CONFIG_DEFAULTS = {
  calendar: { timeZone: 'UTC', cycleDayRollTime: '24:00', holidays: [], weekendDays: [6, 0] } as CalendarConfig,
  /** One cycle a day, cut off at the roll time. */
  cyclesAtRollTime: true,
  services: [{ messageType: 'pacs.008', mode: 'batch' }] as readonly ServiceConfig[],
  confirmationTimeoutMs: 20_000,
  receiverConfirmation: true,
  overCap: 'reject' as OverCapPolicy,
  /** A business week ahead (docs/scheme-rules.md, "Future-dated payments"). */
  futureDatedHorizonBusinessDays: 5,
  dataDirectory: '.clearhouse',
  sftpPort: 22,
  sftpInbound: 'inbound',
  sftpOutbound: 'outbound',
} as const;

/** Bounds checked at load, with their reasons. */
export const CONFIG_LIMITS = {
  /** FedNow's hard limit and SCT Inst's maximum are 20 s; a minute leaves room for slower schemes
   * while keeping reserved headroom from being locked for long by an unanswered payment. */
  confirmationTimeoutMsMax: 60_000,
  /** STEP2 ran seven cycles a day at its busiest; 48 (one every half hour) is far beyond any scheme. */
  cyclesPerDayMax: 48,
  /** Ten years of holidays at 15 a year; a longer list is a generated mistake. */
  holidaysMax: 150,
  /** limits.participantsMax: the amount ceilings of limits.ts are per participant. */
  participantsMax: limits.participantsMax,
  /** The largest per-payment maximum: limits.amounts.paymentMinorMax, a technical ceiling of the switch. */
  perPaymentMaximumMinorMax: limits.amounts.paymentMinorMax,
  /** The largest net debit cap: what a participant may debit in one cycle at all (its batch and
   * real-time ceilings, limits.amounts); a larger cap could never be used. */
  netDebitCapMinorMax: limits.amounts.participantCycleBatchDebitsMinorMax + limits.amounts.participantRealtimeDebitsMinorMax,
  /** ISO Max34Text: the settlement account goes into an account Othr/Id. */
  settlementAccountLengthMax: 34,
} as const;

/** Two configured BICs naming one institution (typed values may still be malformed here). */
const sameBic = (a: unknown, b: unknown): boolean => typeof a === 'string' && typeof b === 'string' && institutionKey(a) === institutionKey(b);
const LOCAL_TIME = /^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$/;
const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** OpenSSH's `ssh-keygen -lf` output: SHA256: and the unpadded base64 of 32 bytes. */
const HOST_KEY_SHA256 = /^SHA256:[A-Za-z0-9+/]{43}=?$/;
const CLEARED_MESSAGE_TYPES: readonly MessageTypeCleared[] = ['pacs.008', 'pacs.009', 'pacs.004'];

export function loadConfig(path: string): SchemeConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError([`${path}: ${(error as Error).message}`]);
  }
  return checkConfig(raw);
}

/**
 * Check an untrusted value against the configuration shape; collects every problem and throws them
 * together as a ConfigError. Returns the configuration with every default filled in.
 */
export function checkConfig(raw: unknown): SchemeConfig {
  if (!isRecord(raw)) throw new ConfigError(['the configuration must be a JSON object']);
  const problems: string[] = [];
  checkKnownKeys('', raw, TOP_LEVEL_KEYS, problems);
  if (typeof raw.name !== 'string' || raw.name.length === 0) problems.push('name: a non-empty string is required');
  const currencies = checkCurrencies(raw.currencies, problems);
  const perPaymentMaximum = raw.perPaymentMaximum === undefined
    ? undefined
    : checkAmountMap('perPaymentMaximum', raw.perPaymentMaximum, currencies, 'positive', problems, CONFIG_LIMITS.perPaymentMaximumMinorMax);
  const dataDirectory = checkOptionalString('dataDirectory', raw.dataDirectory, CONFIG_DEFAULTS.dataDirectory, problems);
  const switchBic = raw.switchBic === undefined ? undefined : checkBic('switchBic', raw.switchBic, problems);
  const participants = checkParticipants(raw.participants, currencies, dataDirectory, problems);
  if (switchBic !== undefined && participants.some((p) => sameBic(p.bic, switchBic))) {
    problems.push(`switchBic: ${switchBic} is also a participant; the clearing house needs its own BIC`);
  }
  const calendar = raw.calendar === undefined ? CONFIG_DEFAULTS.calendar : checkCalendar(raw.calendar, problems);
  const cycles = raw.cycles === undefined ? [calendar.cycleDayRollTime] : checkCycles(raw.cycles, calendar, problems);
  const futureDatedHorizonBusinessDays = checkHorizon(raw.futureDatedHorizonBusinessDays, problems);
  const perTransactionAdvices = raw.perTransactionAdvices === undefined ? undefined
    : checkAdviceParticipants(raw.perTransactionAdvices, participants, problems);
  const intradayReports = raw.intradayReports === undefined ? undefined
    : checkIntradayReports(raw.intradayReports, participants, problems);
  const services = raw.services === undefined ? CONFIG_DEFAULTS.services : checkServices(raw.services, currencies, problems);
  const settlementAgent = raw.settlementAgent === undefined ? undefined : checkSettlementAgent(raw.settlementAgent, dataDirectory, problems);
  const signing = raw.signing === undefined ? undefined : checkSigning(raw.signing, problems);
  const api = raw.api === undefined ? undefined : checkApi(raw.api, problems);
  const risk = raw.risk === undefined ? undefined : checkRiskConfig(raw.risk, currencies, problems);
  // The settlement agent settles for the participants; it is none of them, nor the switch.
  if (settlementAgent !== undefined && (participants.some((p) => sameBic(p.bic, settlementAgent.bic)) ||
    (switchBic !== undefined && sameBic(switchBic, settlementAgent.bic)))) {
    problems.push(`settlementAgent.bic: ${settlementAgent.bic} is also ${switchBic !== undefined && sameBic(switchBic, settlementAgent.bic)
      ? 'the switchBic' : 'a participant'}; the settlement agent needs its own BIC`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    name: raw.name as string,
    currencies,
    ...(perPaymentMaximum === undefined ? {} : { perPaymentMaximum }),
    participants,
    calendar,
    cycles,
    futureDatedHorizonBusinessDays,
    ...(perTransactionAdvices === undefined ? {} : { perTransactionAdvices }),
    ...(intradayReports === undefined ? {} : { intradayReports }),
    services,
    ...(settlementAgent === undefined ? {} : { settlementAgent }),
    ...(switchBic === undefined ? {} : { switchBic }),
    dataDirectory,
    ...(signing === undefined ? {} : { signing }),
    ...(api === undefined ? {} : { api }),
    ...(risk === undefined ? {} : { risk }),
  };
}

/** The configuration as the clearing engine needs it; throws a ConfigError naming what is missing. */
export function clearingConfig(config: SchemeConfig): ClearingSchemeConfig {
  const problems: string[] = [];
  if (config.switchBic === undefined) problems.push('switchBic: required to run the clearing engine (the BIC the switch sends from)');
  if (config.settlementAgent === undefined) problems.push('settlementAgent: required to run the clearing engine (who settles the cycles)');
  if (problems.length > 0) throw new ConfigError(problems);
  return config as ClearingSchemeConfig;
}

// ---- accessors -------------------------------------------------------------------------------

/** The participant with this BIC (a BIC8 also finds its BIC11 with branch XXX), or undefined. */
export function participantOf(config: SchemeConfig, bic: string): ParticipantConfig | undefined {
  const key = institutionKey(bic);
  return config.participants.find((p) => institutionKey(p.bic) === key);
}

const capCache = new WeakMap<SchemeConfig, Map<string, bigint>>();

/**
 * The net debit cap of a participant in a currency, in minor units. Asking for a BIC that is not a
 * participant, or a currency the participant does not use, is a bug in the caller: it throws.
 */
export function netDebitCapMinor(config: SchemeConfig, bic: string, currency: string): bigint {
  let caps = capCache.get(config);
  if (caps === undefined) {
    caps = new Map();
    for (const p of config.participants) {
      for (const [ccy, text] of Object.entries(p.netDebitCap)) caps.set(`${p.bic} ${ccy}`, amountMinor(text, ccy));
    }
    capCache.set(config, caps);
  }
  const participant = participantOf(config, bic);
  const cap = participant === undefined ? undefined : caps.get(`${participant.bic} ${currency}`);
  if (cap === undefined) throw new Error(`netDebitCapMinor: ${bic} has no net debit cap in ${currency}`);
  return cap;
}

/**
 * The service for a message type in a mode. Without a mode, the first service configured for the
 * message type (the configured order is the preference). Undefined when the scheme offers none.
 */
export function serviceFor(config: SchemeConfig, messageType: string, mode?: ServiceMode): ServiceConfig | undefined {
  return config.services.find((s) => s.messageType === messageType && (mode === undefined || s.mode === mode));
}

/**
 * The largest single payment in a currency, in minor units: the lower of the scheme-wide maximum and
 * the service's own maximum; undefined when neither sets one.
 */
export function perPaymentMaximumMinor(config: SchemeConfig, currency: string, service?: ServiceConfig): bigint | undefined {
  const limits = [config.perPaymentMaximum?.[currency], service?.perPaymentMaximum?.[currency]]
    .filter((text): text is string => text !== undefined)
    .map((text) => amountMinor(text, currency));
  return limits.length === 0 ? undefined : limits.reduce((a, b) => (a < b ? a : b));
}

function amountMinor(text: string, currency: string): bigint {
  const parsed = parseAmount(text, currency);
  if (!parsed.ok) throw new Error(`configuration amount ${text} ${currency} was not checked at load`);
  return parsed.minor;
}

// ---- checks ----------------------------------------------------------------------------------

const TOP_LEVEL_KEYS = ['name', 'currencies', 'perPaymentMaximum', 'participants', 'calendar', 'cycles', 'futureDatedHorizonBusinessDays',
  'perTransactionAdvices', 'intradayReports', 'services',
  'settlementAgent', 'switchBic', 'dataDirectory', 'signing', 'api', 'risk'];

function checkHorizon(raw: unknown, problems: string[]): number {
  if (raw === undefined) return CONFIG_DEFAULTS.futureDatedHorizonBusinessDays;
  const max = limits.futureDatedHorizonBusinessDaysMax;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw > max) {
    problems.push(`futureDatedHorizonBusinessDays: ${JSON.stringify(raw)} must be a whole number of business days from 0 to ${max}`);
    return CONFIG_DEFAULTS.futureDatedHorizonBusinessDays;
  }
  return raw;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Unknown keys are reported (a typo must not silently fall back to a default); keys starting with
 * "_" or "$" are comments and ignored. */
function checkKnownKeys(where: string, o: Record<string, unknown>, known: readonly string[], problems: string[]): void {
  for (const key of Object.keys(o)) {
    if (key.startsWith('_') || key.startsWith('$') || known.includes(key)) continue;
    problems.push(`${where}${where === '' ? '' : '.'}${key}: unknown field (known: ${known.join(', ')})`);
  }
}

function checkCurrencies(raw: unknown, problems: string[]): string[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push('currencies: a non-empty list of ISO 4217 codes is required');
    return [];
  }
  const currencies: string[] = [];
  for (const c of raw) {
    if (typeof c !== 'string' || currencyExponent(c) === null) problems.push(`currencies: ${JSON.stringify(c)} is not an ISO 4217 currency`);
    else if (currencies.includes(c)) problems.push(`currencies: ${c} is listed twice`);
    else currencies.push(c);
  }
  return currencies;
}

function checkAdviceParticipants(raw: unknown, participants: readonly ParticipantConfig[], problems: string[]): string[] {
  if (!Array.isArray(raw)) {
    problems.push('perTransactionAdvices: a list of participant BICs is required');
    return [];
  }
  return raw.map((bic, i) => {
    const where = `perTransactionAdvices[${i}]`;
    const checked = checkBic(where, bic, problems);
    if (BIC.test(checked) && !participants.some((p) => sameBic(p.bic, checked))) problems.push(`${where}: ${checked} is not a participant`);
    return participants.find((p) => sameBic(p.bic, checked))?.bic ?? checked;
  });
}

const INTRADAY_REPORT_KEYS = ['intervalMinutes', 'from', 'to', 'participants'];

function checkIntradayReports(raw: unknown, participants: readonly ParticipantConfig[], problems: string[]): IntradayReportsConfig | undefined {
  if (!isRecord(raw)) {
    problems.push('intradayReports: an object { intervalMinutes, from, to, participants? } is required');
    return undefined;
  }
  const before = problems.length;
  checkKnownKeys('intradayReports', raw, INTRADAY_REPORT_KEYS, problems);
  const { intradayIntervalMinutesMin: min, intradayIntervalMinutesMax: max } = limits.statements;
  const interval = raw.intervalMinutes;
  if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < min || interval > max) {
    problems.push(`intradayReports.intervalMinutes: ${JSON.stringify(interval)} must be a whole number of minutes from ${min} to ${max}`);
  }
  const from = typeof raw.from === 'string' ? localTimeMinutes(raw.from) : null;
  if (from === null || from === 1440) problems.push(`intradayReports.from: ${JSON.stringify(raw.from)} must be a local time "HH:MM"`);
  const to = typeof raw.to === 'string' ? localTimeMinutes(raw.to) : null;
  if (to === null) problems.push(`intradayReports.to: ${JSON.stringify(raw.to)} must be a local time "HH:MM" (or "24:00")`);
  else if (from !== null && to <= from) problems.push(`intradayReports.to: ${raw.to as string} must be after from (${raw.from as string})`);
  let bics: string[] | undefined;
  if (raw.participants !== undefined) {
    if (!Array.isArray(raw.participants) || raw.participants.length === 0) {
      problems.push('intradayReports.participants: a non-empty list of participant BICs is required (leave it out for every participant)');
    } else {
      bics = raw.participants.map((bic, i) => {
        const where = `intradayReports.participants[${i}]`;
        const checked = checkBic(where, bic, problems);
        if (BIC.test(checked) && !participants.some((p) => sameBic(p.bic, checked))) problems.push(`${where}: ${checked} is not a participant`);
        return participants.find((p) => sameBic(p.bic, checked))?.bic ?? checked;
      });
      if (new Set(bics).size !== bics.length) problems.push('intradayReports.participants: a participant is listed twice');
    }
  }
  if (problems.length > before) return undefined;
  return { intervalMinutes: interval as number, from: raw.from as string, to: raw.to as string, ...(bics ? { participants: bics } : {}) };
}

function checkBic(where: string, raw: unknown, problems: string[]): string {
  if (typeof raw !== 'string' || !BIC.test(raw)) problems.push(`${where}: ${JSON.stringify(raw)} is not a BIC`);
  return raw as string;
}

function checkRequiredString(where: string, raw: unknown, problems: string[]): string {
  if (typeof raw !== 'string' || raw.length === 0) problems.push(`${where}: a non-empty string is required`);
  return raw as string;
}

function checkOptionalString(where: string, raw: unknown, fallback: string, problems: string[]): string {
  if (raw === undefined) return fallback;
  return checkRequiredString(where, raw, problems);
}

/** A map currency -> amount text, e.g. { "EUR": "100000.00" }; every key a scheme currency. */
function checkAmountMap(
  where: string, raw: unknown, currencies: readonly string[], sign: 'positive' | 'non-negative', problems: string[], maxMinor: bigint,
): Record<string, string> {
  if (!isRecord(raw)) {
    problems.push(`${where}: an object of currency → amount text is required, e.g. { "EUR": "100000.00" }`);
    return {};
  }
  for (const [currency, value] of Object.entries(raw)) {
    if (!currencies.includes(currency)) problems.push(`${where}.${currency}: not a scheme currency`);
    const parsed = typeof value === 'string' ? parseAmount(value, currency) : undefined;
    if (parsed === undefined || !parsed.ok) {
      problems.push(`${where}.${currency}: ${JSON.stringify(value)} is not a valid ${currency} amount (write it as a string)`);
    } else if (sign === 'positive' && parsed.minor === 0n) {
      problems.push(`${where}.${currency}: must be greater than zero`);
    } else if (parsed.minor > maxMinor) {
      problems.push(`${where}.${currency}: ${value} is above the switch's ceiling of ${formatAmount(maxMinor, currency)} ${currency} (switch/limits.ts)`);
    }
  }
  return raw as Record<string, string>;
}

function checkParticipants(raw: unknown, currencies: readonly string[], dataDirectory: string, problems: string[]): ParticipantConfig[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push('participants: a non-empty list is required');
    return [];
  }
  if (raw.length > CONFIG_LIMITS.participantsMax) problems.push(`participants: more than ${CONFIG_LIMITS.participantsMax}`);
  const seen = new Set<string>();
  return raw.map((p: unknown, i: number) => {
    const where = `participants[${i}]`;
    const participant = checkParticipant(where, p, currencies, dataDirectory, problems);
    // A BIC8 and its BIC11 with branch XXX are one institution: listed twice, whichever forms are written.
    if (typeof participant.bic === 'string' && BIC.test(participant.bic)) {
      if (seen.has(institutionKey(participant.bic))) problems.push(`${where}.bic: ${participant.bic} is listed twice`);
      seen.add(institutionKey(participant.bic));
    }
    return participant;
  });
}

const PARTICIPANT_KEYS = ['bic', 'name', 'status', 'currencies', 'netDebitCap', 'connector'];

function checkParticipant(where: string, raw: unknown, currencies: readonly string[], dataDirectory: string, problems: string[]): ParticipantConfig {
  const p = isRecord(raw) ? raw : {};
  if (!isRecord(raw)) problems.push(`${where}: an object is required`);
  else checkKnownKeys(where, p, PARTICIPANT_KEYS, problems);
  const bic = checkBic(`${where}.bic`, p.bic, problems);
  const name = checkRequiredString(`${where}.name`, p.name, problems);
  if (p.status !== 'active' && p.status !== 'suspended') problems.push(`${where}.status: must be "active" or "suspended"`);
  const own = Array.isArray(p.currencies) ? p.currencies.filter((c): c is string => typeof c === 'string') : [];
  if (!Array.isArray(p.currencies) || own.length !== p.currencies.length || own.some((c) => !currencies.includes(c))) {
    problems.push(`${where}.currencies: must be a list of scheme currencies`);
  }
  const netDebitCap = checkNetDebitCap(`${where}.netDebitCap`, p.netDebitCap, own, problems);
  const mailbox = typeof bic === 'string' && BIC.test(bic) ? bic : where;
  const connector = checkConnector(`${where}.connector`, p.connector, mailbox, dataDirectory, problems);
  return { bic, name, status: p.status as ParticipantStatus, currencies: own, netDebitCap, connector };
}

/** Absent: a cap of zero in every participant currency (fail-safe). Present: one entry per participant currency. */
function checkNetDebitCap(where: string, raw: unknown, own: readonly string[], problems: string[]): Record<string, string> {
  if (raw === undefined) return Object.fromEntries(own.filter((c) => currencyExponent(c) !== null).map((c) => [c, formatAmount(0n, c)]));
  const caps = checkAmountMap(where, raw, own, 'non-negative', problems, CONFIG_LIMITS.netDebitCapMinorMax);
  for (const currency of own) {
    if (isRecord(raw) && !(currency in raw)) problems.push(`${where}.${currency}: missing; every participant currency needs a cap`);
  }
  return caps;
}

const SFTP_KEYS = ['type', 'host', 'port', 'username', 'privateKeyPath', 'hostKeySha256', 'inbound', 'outbound'];

function checkConnector(where: string, raw: unknown, bic: string, dataDirectory: string, problems: string[]): ConnectorConfig {
  if (raw === undefined) return { type: 'directory', path: join(dataDirectory, 'mailboxes', bic) };
  if (!isRecord(raw)) {
    problems.push(`${where}: an object with a "type" of "directory", "sftp" or "queue" is required`);
    return { type: 'queue' };
  }
  switch (raw.type) {
    case 'directory':
      checkKnownKeys(where, raw, ['type', 'path'], problems);
      return { type: 'directory', path: checkOptionalString(`${where}.path`, raw.path, join(dataDirectory, 'mailboxes', bic), problems) };
    case 'queue':
      checkKnownKeys(where, raw, ['type'], problems);
      return { type: 'queue' };
    case 'sftp':
      checkKnownKeys(where, raw, SFTP_KEYS, problems);
      return checkSftp(where, raw, problems);
    default:
      problems.push(`${where}.type: must be "directory", "sftp" or "queue"`);
      return { type: 'queue' };
  }
}

function checkSftp(where: string, raw: Record<string, unknown>, problems: string[]): ConnectorConfig {
  const port = raw.port ?? CONFIG_DEFAULTS.sftpPort;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) problems.push(`${where}.port: an integer 1..65535 is required`);
  if (typeof raw.hostKeySha256 !== 'string' || !HOST_KEY_SHA256.test(raw.hostKeySha256)) {
    problems.push(`${where}.hostKeySha256: the server's key fingerprint as \`ssh-keygen -lf\` prints it ("SHA256:" + 43 base64 characters) is required`);
  }
  return {
    type: 'sftp',
    host: checkRequiredString(`${where}.host`, raw.host, problems),
    port: port as number,
    username: checkRequiredString(`${where}.username`, raw.username, problems),
    privateKeyPath: checkRequiredString(`${where}.privateKeyPath`, raw.privateKeyPath, problems),
    hostKeySha256: raw.hostKeySha256 as string,
    inbound: checkOptionalString(`${where}.inbound`, raw.inbound, CONFIG_DEFAULTS.sftpInbound, problems),
    outbound: checkOptionalString(`${where}.outbound`, raw.outbound, CONFIG_DEFAULTS.sftpOutbound, problems),
  };
}

/** Minutes after local midnight of "HH:MM" (1440 for "24:00"), or null when the text is not a local time. */
export function localTimeMinutes(text: string): number | null {
  if (text === '24:00') return 1440;
  const match = LOCAL_TIME.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

/** True for a real calendar date written "YYYY-MM-DD". */
export function isCalendarDate(text: string): boolean {
  const match = CALENDAR_DATE.exec(text);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === text;
}

function isTimeZone(zone: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

const CALENDAR_KEYS = ['timeZone', 'cycleDayRollTime', 'holidays', 'weekendDays'];

function checkCalendar(raw: unknown, problems: string[]): CalendarConfig {
  const fallback = CONFIG_DEFAULTS.calendar;
  if (!isRecord(raw)) {
    problems.push('calendar: an object is required');
    return fallback;
  }
  checkKnownKeys('calendar', raw, CALENDAR_KEYS, problems);
  let timeZone = fallback.timeZone;
  if (raw.timeZone !== undefined) {
    const resolved = typeof raw.timeZone === 'string' ? isTimeZone(raw.timeZone) : null;
    if (resolved === null) problems.push(`calendar.timeZone: ${JSON.stringify(raw.timeZone)} is not an IANA time zone (e.g. "Europe/Berlin")`);
    else timeZone = resolved;
  }
  let cycleDayRollTime = fallback.cycleDayRollTime;
  if (raw.cycleDayRollTime !== undefined) {
    const minutes = typeof raw.cycleDayRollTime === 'string' ? localTimeMinutes(raw.cycleDayRollTime) : null;
    if (minutes === null || minutes === 0) {
      problems.push(`calendar.cycleDayRollTime: ${JSON.stringify(raw.cycleDayRollTime)} must be a local time "HH:MM" after 00:00 (write "24:00" for midnight)`);
    } else cycleDayRollTime = raw.cycleDayRollTime as string;
  }
  return { timeZone, cycleDayRollTime, holidays: checkHolidays(raw.holidays, problems), weekendDays: checkWeekendDays(raw.weekendDays, problems) };
}

function checkHolidays(raw: unknown, problems: string[]): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.push('calendar.holidays: a list of dates "YYYY-MM-DD" is required');
    return [];
  }
  if (raw.length > CONFIG_LIMITS.holidaysMax) problems.push(`calendar.holidays: more than ${CONFIG_LIMITS.holidaysMax} dates`);
  const holidays = new Set<string>();
  raw.forEach((d: unknown, i: number) => {
    if (typeof d !== 'string' || !isCalendarDate(d)) problems.push(`calendar.holidays[${i}]: ${JSON.stringify(d)} is not a date "YYYY-MM-DD"`);
    else if (holidays.has(d)) problems.push(`calendar.holidays[${i}]: ${d} is listed twice`);
    else holidays.add(d);
  });
  return [...holidays].sort();
}

function checkWeekendDays(raw: unknown, problems: string[]): number[] {
  if (raw === undefined) return [...CONFIG_DEFAULTS.calendar.weekendDays];
  const days = Array.isArray(raw) ? raw : [];
  const valid = days.every((d) => Number.isInteger(d) && d >= 0 && d <= 6) && new Set(days).size === days.length;
  if (!Array.isArray(raw) || !valid || days.length > 6) {
    problems.push('calendar.weekendDays: a list of distinct days 0 (Sunday) … 6 (Saturday), at most six, is required');
    return [...CONFIG_DEFAULTS.calendar.weekendDays];
  }
  return days as number[];
}

function checkCycles(raw: unknown, calendar: CalendarConfig, problems: string[]): string[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > CONFIG_LIMITS.cyclesPerDayMax) {
    problems.push(`cycles: a list of 1..${CONFIG_LIMITS.cyclesPerDayMax} cut-off local times "HH:MM" is required`);
    return [calendar.cycleDayRollTime];
  }
  const roll = localTimeMinutes(calendar.cycleDayRollTime) ?? 1440;
  let previous = 0;
  raw.forEach((t: unknown, i: number) => {
    const minutes = typeof t === 'string' ? localTimeMinutes(t) : null;
    if (minutes === null) problems.push(`cycles[${i}]: ${JSON.stringify(t)} is not a local time "HH:MM"`);
    else if (minutes <= previous) problems.push(`cycles[${i}]: ${t as string} must be after ${i === 0 ? '00:00' : raw[i - 1] as string} (cut-offs strictly increase)`);
    else if (minutes > roll) problems.push(`cycles[${i}]: ${t as string} is after the cycle-day roll time ${calendar.cycleDayRollTime}`);
    if (minutes !== null) previous = minutes;
  });
  return raw as string[];
}

const SERVICE_KEYS = ['messageType', 'mode', 'receiverConfirmation', 'confirmationTimeoutMs', 'perPaymentMaximum', 'overCap'];
const REALTIME_ONLY = ['receiverConfirmation', 'confirmationTimeoutMs', 'overCap'];

function checkServices(raw: unknown, currencies: readonly string[], problems: string[]): ServiceConfig[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push('services: a non-empty list is required');
    return [];
  }
  const seen = new Set<string>();
  return raw.map((s: unknown, i: number) => {
    const where = `services[${i}]`;
    const service = checkService(where, s, currencies, problems);
    const key = `${service.messageType} ${service.mode}`;
    if (seen.has(key)) problems.push(`${where}: a second ${service.mode} service for ${service.messageType} (one per message type and mode)`);
    seen.add(key);
    return service;
  });
}

function checkService(where: string, raw: unknown, currencies: readonly string[], problems: string[]): ServiceConfig {
  const s = isRecord(raw) ? raw : {};
  if (!isRecord(raw)) problems.push(`${where}: an object is required`);
  else checkKnownKeys(where, s, SERVICE_KEYS, problems);
  if (!CLEARED_MESSAGE_TYPES.includes(s.messageType as MessageTypeCleared)) {
    problems.push(`${where}.messageType: ${JSON.stringify(s.messageType)} must be one of ${CLEARED_MESSAGE_TYPES.join(', ')}`);
  }
  const messageType = s.messageType as MessageTypeCleared;
  const perPaymentMaximum = s.perPaymentMaximum === undefined
    ? {}
    : { perPaymentMaximum: checkAmountMap(`${where}.perPaymentMaximum`, s.perPaymentMaximum, currencies, 'positive', problems,
      CONFIG_LIMITS.perPaymentMaximumMinorMax) };
  if (s.mode === 'batch') {
    for (const key of REALTIME_ONLY) if (key in s) problems.push(`${where}.${key}: only for realtime services`);
    return { messageType, mode: 'batch', ...perPaymentMaximum };
  }
  if (s.mode !== 'realtime') problems.push(`${where}.mode: must be "batch" or "realtime"`);
  const timeout = s.confirmationTimeoutMs ?? CONFIG_DEFAULTS.confirmationTimeoutMs;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > CONFIG_LIMITS.confirmationTimeoutMsMax) {
    problems.push(`${where}.confirmationTimeoutMs: an integer 1..${CONFIG_LIMITS.confirmationTimeoutMsMax} is required`);
  }
  const confirmation = s.receiverConfirmation ?? CONFIG_DEFAULTS.receiverConfirmation;
  if (typeof confirmation !== 'boolean') problems.push(`${where}.receiverConfirmation: true or false`);
  const overCap = s.overCap ?? CONFIG_DEFAULTS.overCap;
  if (overCap !== 'reject' && overCap !== 'queue') problems.push(`${where}.overCap: must be "reject" or "queue"`);
  return {
    messageType, mode: 'realtime', receiverConfirmation: confirmation as boolean, confirmationTimeoutMs: timeout as number,
    overCap: overCap as OverCapPolicy, ...perPaymentMaximum,
  };
}

function checkSigning(raw: unknown, problems: string[]): SigningConfig | undefined {
  if (!isRecord(raw)) {
    problems.push('signing: an object { caCertificates, revocationLists?, switchKey?, switchCertificate? } is required');
    return undefined;
  }
  checkKnownKeys('signing', raw, ['caCertificates', 'revocationLists', 'switchKey', 'switchCertificate'], problems);
  const paths = (key: string, required: boolean): string[] => {
    const value = raw[key];
    if (value === undefined && !required) return [];
    if (!Array.isArray(value) || (required && value.length === 0) || !value.every((v) => typeof v === 'string' && v.length > 0)) {
      problems.push(`signing.${key}: a ${required ? 'non-empty ' : ''}list of file paths is required`);
      return [];
    }
    return value as string[];
  };
  const caCertificates = paths('caCertificates', true);
  const revocationLists = paths('revocationLists', false);
  if ((raw.switchKey === undefined) !== (raw.switchCertificate === undefined)) {
    problems.push('signing: switchKey and switchCertificate go together (the switch signs what it delivers with both)');
  }
  const switchKey = raw.switchKey === undefined ? undefined : checkRequiredString('signing.switchKey', raw.switchKey, problems);
  const switchCertificate = raw.switchCertificate === undefined ? undefined
    : checkRequiredString('signing.switchCertificate', raw.switchCertificate, problems);
  return {
    caCertificates, revocationLists,
    ...(switchKey === undefined ? {} : { switchKey }),
    ...(switchCertificate === undefined ? {} : { switchCertificate }),
  };
}

function checkApi(raw: unknown, problems: string[]): ApiConfig | undefined {
  if (!isRecord(raw)) {
    problems.push('api: an object { tlsKey, tlsCertificate } is required');
    return undefined;
  }
  checkKnownKeys('api', raw, ['tlsKey', 'tlsCertificate', 'metricsToken'], problems);
  const tlsKey = checkRequiredString('api.tlsKey', raw.tlsKey, problems);
  const tlsCertificate = checkRequiredString('api.tlsCertificate', raw.tlsCertificate, problems);
  const metricsToken = raw.metricsToken;
  if (metricsToken !== undefined && (typeof metricsToken !== 'string' || !/^[A-Za-z0-9._~+/=-]{32,200}$/.test(metricsToken))) {
    problems.push('api.metricsToken: 32 to 200 characters of a bearer token (letters, digits, -._~+/=)');
    return undefined;
  }
  return tlsKey === undefined || tlsCertificate === undefined ? undefined
    : { tlsKey, tlsCertificate, ...(metricsToken === undefined ? {} : { metricsToken: metricsToken as string }) };
}

function checkSettlementAgent(raw: unknown, dataDirectory: string, problems: string[]): SettlementAgentConfig | undefined {
  if (!isRecord(raw)) {
    problems.push('settlementAgent: an object { bic, name, settlementAccount } is required');
    return undefined;
  }
  checkKnownKeys('settlementAgent', raw, ['bic', 'name', 'settlementAccount', 'connector', 'answerTimeoutSeconds'], problems);
  const timeout = raw.answerTimeoutSeconds;
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout) ||
    timeout < limits.settlementAnswerTimeoutSecondsMin || timeout > limits.settlementAnswerTimeoutSecondsMax)) {
    problems.push(`settlementAgent.answerTimeoutSeconds: an integer ${limits.settlementAnswerTimeoutSecondsMin}..${limits.settlementAnswerTimeoutSecondsMax} is required`);
  }
  const bic = checkBic('settlementAgent.bic', raw.bic, problems);
  const connector = raw.connector === undefined ? undefined : checkConnector('settlementAgent.connector', raw.connector, bic, dataDirectory, problems);
  const account = raw.settlementAccount;
  if (typeof account !== 'string' || account.length === 0 || account.length > CONFIG_LIMITS.settlementAccountLengthMax) {
    problems.push(`settlementAgent.settlementAccount: a string of 1..${CONFIG_LIMITS.settlementAccountLengthMax} characters is required`);
  }
  return {
    bic,
    name: checkRequiredString('settlementAgent.name', raw.name, problems),
    settlementAccount: account as string,
    ...(connector === undefined ? {} : { connector }),
    ...(typeof timeout === 'number' ? { answerTimeoutSeconds: timeout } : {}),
  };
}
