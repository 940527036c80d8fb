/**
 * A column of values sent as ONE text parameter (values joined by a separator) and split by the
 * statement (`string_to_array`), instead of an array parameter: node-postgres formats an array parameter
 * element by element (prepareValue, then two regular-expression escapes and quotes per string), which
 * for a batch file's risk statements (tens of thousands of elements per file) was a large part of the
 * stage's Node CPU (docs/performance.md "s12-batchrisk"). A join is one pass and needs no escaping.
 *
 * The separator (U+001F) and the null mark (U+001E) are control characters that no XML 1.0 document can
 * carry (the hardening scan refuses them even as character references), so no value read from a message
 * (keys, accounts, BICs, currencies) holds them; a value that does is refused. Every value is preceded by
 * the separator and the statement drops the first (empty) element, so an empty string is a value like any
 * other: a column of one empty string reads back as one empty string, an empty column as no element.
 * The same SQL runs on PostgreSQL and PGlite.
 */
const SEPARATOR = '\u001f';
const NULL_MARK = '\u001e';

/** `values` as one text parameter for `unpackedColumn`. */
export function packColumn(values: readonly (string | number | null)[]): string {
  const parts = new Array<string>(values.length);
  // A batch file's payments share their times (its receipt): a number repeated is formatted once.
  let lastNumber = Number.NaN;
  let lastText = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === null) parts[i] = NULL_MARK;
    else if (typeof v === 'number') {
      if (v !== lastNumber) {
        lastNumber = v;
        lastText = String(v);
      }
      parts[i] = lastText;
    } else {
      if (v.includes(SEPARATOR) || v.includes(NULL_MARK)) throw new Error(`packColumn: value ${JSON.stringify(v)} cannot be packed`);
      parts[i] = v;
    }
  }
  return parts.length === 0 ? '' : SEPARATOR + parts.join(SEPARATOR);
}

/**
 * Numbers or booleans as the text of a PostgreSQL array literal (`{1,2,3}`, `{t,f}`), for a parameter cast
 * `::text::int[]` (or bigint[], boolean[]): a join, where node-postgres' array serialiser quotes and
 * escapes every element. Such values need no quoting; strings go through packColumn.
 */
export function arrayLiteral(values: readonly (number | bigint | boolean)[]): string {
  return `{${values.map((v) => (v === true ? 't' : v === false ? 'f' : v)).join(',')}}`;
}

/** The SQL that reads a packed column (the parameter `placeholder`, e.g. `$3`) as an array of `type`. */
export function unpackedColumn(placeholder: string, type: 'text' | 'int' | 'bigint' | 'float8'): string {
  return `(string_to_array(${placeholder}::text, E'\\x1F', E'\\x1E'))[2:]::${type}[]`;
}
