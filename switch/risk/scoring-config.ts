/**
 * The `risk.scoring` section of the scheme configuration (docs/risk.md "Scoring"): the weight of each
 * scoring feature, the hold and reject thresholds, and the points at which each feature's value counts
 * in full. Its type, its defaults and its check live here, in one place; switch/config.ts calls
 * `checkScoringConfig` for the section. Pure: no I/O.
 */

/** The features of a score, by name (switch/risk/scoring.ts computes each). */
export const SCORING_FEATURES = ['amount', 'velocity', 'newCreditor', 'muleFanIn', 'timeOfDay', 'accountRisk'] as const;
export type ScoringFeatureName = typeof SCORING_FEATURES[number];

export interface ScoringConfig {
  /**
   * Points each feature adds at full strength: contribution = weight × normalised value (0..1). The
   * score is the sum, capped at 100, so weights summing to more than 100 let two strong signals
   * together reach the top while none alone does.
   */
  readonly weights: Readonly<Record<ScoringFeatureName, number>>;
  /** Score at or above which a payment is held for review, and at or above which it is rejected. */
  readonly holdThreshold: number;
  readonly rejectThreshold: number;
  /** Usual hours in the scheme's local time (calendar.timeZone), "HH:MM" from ≤ until; outside them timeOfDay counts. */
  readonly usualHoursFrom: string;
  readonly usualHoursUntil: string;
  /** Amount: z-scores of the log amount against the debtor account's own history from `amountZFrom` (0) to `amountZFull` (1). */
  readonly amountZFrom: number;
  readonly amountZFull: number;
  /** Earlier payments of the account (in the currency) needed before its history is a baseline; fewer: amount counts 0. */
  readonly amountHistoryMin: number;
  /** Velocity: payments by the debtor account in the last hour (with this one) from usual (0) to full (1), and in the last day. */
  readonly velocityHourUsual: number;
  readonly velocityHourFull: number;
  readonly velocityDayUsual: number;
  readonly velocityDayFull: number;
  /** Mule fan-in: distinct debtors new to the creditor account in the last 24 h (with this one) at which it counts in full (1 counts 0). */
  readonly muleDebtorsFull: number;
  /** A creditor account first paid less than this many hours ago is new: fan-in counts in full; an older one, half. */
  readonly newCreditorAccountHours: number;
}

/** The defaults (docs/risk.md "Scoring" gives the reasons; `clearhouse risk evaluate` measures them). */
export const SCORING_DEFAULTS: ScoringConfig = {
  weights: { amount: 45, velocity: 25, newCreditor: 15, muleFanIn: 45, timeOfDay: 20, accountRisk: 25 },
  holdThreshold: 50,
  rejectThreshold: 80,
  usualHoursFrom: '06:00',
  usualHoursUntil: '23:00',
  amountZFrom: 2,
  amountZFull: 4,
  amountHistoryMin: 3,
  velocityHourUsual: 2,
  velocityHourFull: 5,
  velocityDayUsual: 10,
  velocityDayFull: 30,
  muleDebtorsFull: 5,
  newCreditorAccountHours: 72,
};

const KEYS = ['weights', 'holdThreshold', 'rejectThreshold', 'usualHoursFrom', 'usualHoursUntil', 'amountZFrom', 'amountZFull',
  'amountHistoryMin', 'velocityHourUsual', 'velocityHourFull', 'velocityDayUsual', 'velocityDayFull', 'muleDebtorsFull',
  'newCreditorAccountHours'] as const;
const HOURS = /^([01]\d|2[0-3]):([0-5]\d)$/;
/** A weight above this is a typo: one feature alone could not add more than the whole scale. */
const WEIGHT_MAX = 100;

/**
 * Check the `risk.scoring` section (`where` is its path for messages); absent fields take the
 * default. Every problem goes to `problems`, as the rest of the configuration's checks do.
 */
export function checkScoringConfig(where: string, raw: unknown, problems: string[]): ScoringConfig {
  if (raw === undefined) return SCORING_DEFAULTS;
  if (!isRecord(raw)) {
    problems.push(`${where}: an object is required (docs/risk.md "Scoring")`);
    return SCORING_DEFAULTS;
  }
  for (const key of Object.keys(raw)) {
    if (!key.startsWith('_') && !key.startsWith('$') && !(KEYS as readonly string[]).includes(key)) {
      problems.push(`${where}.${key}: unknown field (known: ${KEYS.join(', ')})`);
    }
  }
  const number = (key: keyof ScoringConfig, min: number, max: number, integer = false): number => {
    const value = raw[key];
    if (value === undefined) return SCORING_DEFAULTS[key] as number;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      problems.push(`${where}.${key}: ${JSON.stringify(value)} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`);
      return SCORING_DEFAULTS[key] as number;
    }
    return value;
  };
  const hours = (key: 'usualHoursFrom' | 'usualHoursUntil'): string => {
    const value = raw[key];
    if (value === undefined) return SCORING_DEFAULTS[key];
    if (typeof value !== 'string' || !HOURS.test(value)) {
      problems.push(`${where}.${key}: ${JSON.stringify(value)} must be a local time "HH:MM"`);
      return SCORING_DEFAULTS[key];
    }
    return value;
  };
  const config: ScoringConfig = {
    weights: checkWeights(`${where}.weights`, raw.weights, problems),
    holdThreshold: number('holdThreshold', 0, 100),
    rejectThreshold: number('rejectThreshold', 0, 100),
    usualHoursFrom: hours('usualHoursFrom'),
    usualHoursUntil: hours('usualHoursUntil'),
    amountZFrom: number('amountZFrom', 0, 100),
    amountZFull: number('amountZFull', 0, 100),
    amountHistoryMin: number('amountHistoryMin', 2, 1_000_000, true),
    velocityHourUsual: number('velocityHourUsual', 0, 1_000_000, true),
    velocityHourFull: number('velocityHourFull', 1, 1_000_000, true),
    velocityDayUsual: number('velocityDayUsual', 0, 1_000_000, true),
    velocityDayFull: number('velocityDayFull', 1, 1_000_000, true),
    muleDebtorsFull: number('muleDebtorsFull', 2, 1_000_000, true),
    newCreditorAccountHours: number('newCreditorAccountHours', 0, 24 * 366),
  };
  if (config.rejectThreshold < config.holdThreshold) problems.push(`${where}.rejectThreshold: must not be below holdThreshold`);
  if (config.amountZFull <= config.amountZFrom) problems.push(`${where}.amountZFull: must be above amountZFrom`);
  if (config.velocityHourFull <= config.velocityHourUsual) problems.push(`${where}.velocityHourFull: must be above velocityHourUsual`);
  if (config.velocityDayFull <= config.velocityDayUsual) problems.push(`${where}.velocityDayFull: must be above velocityDayUsual`);
  return config;
}

function checkWeights(where: string, raw: unknown, problems: string[]): ScoringConfig['weights'] {
  if (raw === undefined) return SCORING_DEFAULTS.weights;
  if (!isRecord(raw)) {
    problems.push(`${where}: an object of feature → weight is required (features: ${SCORING_FEATURES.join(', ')})`);
    return SCORING_DEFAULTS.weights;
  }
  const weights: Record<string, number> = { ...SCORING_DEFAULTS.weights };
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith('_') || key.startsWith('$')) continue;
    if (!(SCORING_FEATURES as readonly string[]).includes(key)) {
      problems.push(`${where}.${key}: unknown feature (known: ${SCORING_FEATURES.join(', ')})`);
    } else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > WEIGHT_MAX) {
      problems.push(`${where}.${key}: ${JSON.stringify(value)} must be a number from 0 to ${WEIGHT_MAX}`);
    } else weights[key] = value;
  }
  return weights as ScoringConfig['weights'];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
