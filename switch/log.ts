/**
 * The log of the long-running switch: `serve`, the connectors and the engine's background work
 * (intake from the connectors, deliveries, cut-offs, sweeps, reloads). One JSON object per line
 * (pino) on stderr, with `time`, `level`, `component`, `msg` and the ids known at that point
 * (`participant`, `fileName`, `msgId`, `uetr`, `cycle`, `outboxId`, ...). Interactive commands keep
 * their human-readable output; `serve --log-format pretty` writes the same records as text.
 *
 * A log line cannot be forged through what it quotes. File names and message content reach the log
 * only as JSON string values, so a newline, a control character or an ANSI escape in them is written
 * as its `\uXXXX` escape: it never ends the line, starts a fake record or reaches a terminal raw.
 * JSON itself leaves a few characters raw that terminals and viewers still act on, so `neutralise`
 * escapes them in every finished line as well: C1 controls (U+0080 to U+009F; U+009B is the 8-bit
 * CSI that starts an ANSI sequence), DEL, the Unicode line and paragraph separators, the
 * bidirectional formatting characters ("Trojan Source") and lone surrogates. Each escape is valid
 * JSON inside a string, so a JSON reader gets the original text back exactly.
 */
import { systemClock } from './clock.ts';
import pino from 'pino';

export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/** Structured context of a record: ids first, then whatever else the event knows. */
export interface LogFields {
  readonly component?: string;
  readonly participant?: string;
  readonly fileName?: string;
  readonly msgId?: string;
  readonly uetr?: string;
  readonly cycle?: string | bigint;
  readonly err?: unknown;
  readonly [key: string]: unknown;
}

export interface Logger {
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  /** A logger whose records all carry `bindings` (e.g. `{ component: 'inbound' }`). */
  child(bindings: LogFields): Logger;
}

/**
 * Characters a terminal, pager or log viewer may act on, that JSON.stringify leaves raw: DEL and C1
 * controls, U+2028/U+2029, bidirectional marks, embeddings, overrides and isolates, lone surrogates.
 * (C0 controls, quotes and backslashes are escaped by JSON itself.)
 */
const RAW_UNSAFE = /[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Every character of text a reader could mistake for layout or control, for `visibleText`. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u001f]|[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function unicodeEscape(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** A finished JSON line with the raw-unsafe characters escaped (still the same JSON value). */
export function neutralise(line: string): string {
  return line.replace(RAW_UNSAFE, unicodeEscape);
}

/**
 * Text safe to show or to put into a message: every control, separator and bidirectional character
 * written as the six visible characters `\uXXXX`. For the pretty log and for file names quoted in
 * answers (an XML text may not hold C0 controls at all).
 */
export function visibleText(text: string): string {
  return text.replace(INVISIBLE, unicodeEscape);
}

/** Field values as JSON can hold them: bigint as its decimal text, errors as their message and code. */
function normaliseFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === 'bigint') out[key] = value.toString();
    else if (value instanceof Error) out[key] = errorFields(value);
    else out[key] = value;
  }
  return out;
}

function errorFields(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return { type: error.name, message: error.message, ...(code === undefined ? {} : { code: String(code) }) };
}

export interface LoggerOptions {
  readonly format?: LogFormat;
  /** Where lines go (default stderr). */
  readonly write?: (line: string) => void;
  readonly bindings?: LogFields;
}

const writeStderr = (line: string): void => { process.stderr.write(line); };

/** The switch's logger: JSON lines (pino) or, with format 'pretty', one readable line per record. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? writeStderr;
  if (options.format === 'pretty') return textLogger((line) => write(`${line}\n`), options.bindings ?? {});
  return bound(pino({
    base: undefined, // no pid/hostname on every line: the process is known to whoever reads its stderr
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => normaliseFields(object),
    },
    // Errors are already { type, message, code } (normaliseFields): no second serialisation, no stack.
    serializers: { err: (value: unknown) => value },
  }, { write: (line: string) => write(neutralise(line)) }), options.bindings ?? {});
}

/**
 * A logger over one pino instance whose bindings are merged into each record here rather than by
 * pino's child(), which writes a key twice when a child binds it again (a component inside a
 * component): every record has each key once, the innermost value winning.
 */
function bound(instance: pino.Logger, bindings: LogFields): Logger {
  const record = (level: 'info' | 'warn' | 'error') => (fields: LogFields, message: string): void => {
    instance[level]({ ...bindings, ...fields }, message);
  };
  return { info: record('info'), warn: record('warn'), error: record('error'), child: (more) => bound(instance, { ...bindings, ...more }) };
}

/**
 * Readable records, `<time> <LEVEL> <component>: <message> key=value ...`, every value shown through
 * visibleText (JSON-quoted when it is text), so even this format cannot be forged through content.
 */
export function textLogger(writeLine: (line: string) => void, bindings: LogFields = {}, options: { readonly time?: boolean } = {}): Logger {
  const record = (level: string) => (fields: LogFields, message: string): void => {
    const all = normaliseFields({ ...bindings, ...fields });
    const component = typeof all.component === 'string' ? all.component : 'clearhouse';
    delete all.component;
    const pairs = Object.entries(all).filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${visibleText(k)}=${visibleText(JSON.stringify(v) ?? String(v))}`);
    // A log record carries the real time it was written (also under a simulated clock).
    const time = options.time === false ? [] : [systemClock.now().toISOString()];
    writeLine([...time, level, `${visibleText(component)}:`, visibleText(message), ...pairs].join(' '));
  };
  return {
    info: record('INFO'), warn: record('WARN'), error: record('ERROR'),
    child: (more) => textLogger(writeLine, { ...bindings, ...more }, options),
  };
}

/** What library code accepts as its log: a Logger, or a function taking one readable line per record. */
export type LogSink = Logger | ((line: string) => void);

/** A Logger for either kind of sink (a line function gets textLogger's lines, without the time). */
export function toLogger(sink: LogSink): Logger {
  return typeof sink === 'function' ? textLogger(sink, {}, { time: false }) : sink;
}

/** Records nobody reads (library use without a logger, tests that check something else). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {}, child: () => silentLogger };
