/**
 * The part of LogsQL the VictoriaLogs test double understands, parsed and evaluated the way VictoriaLogs
 * does it. Ported from VictoriaMetrics/VictoriaLogs `lib/logstorage/parser.go` (lexer `nextToken`,
 * `parseFilter*`, `_time` filters, `getMatchingEndTime`), `filter_phrase.go` / `filter_prefix.go`
 * (word-boundary matching), `pipe_sort.go` (`lessString`), Go's `strconv.UnquoteChar`, and
 * `lib/timeutil` (`ParseTimeAt`). Anything outside the subset is rejected with an error saying so,
 * never silently mis-evaluated.
 *
 * Subset: word, phrase, prefix (`foo*`), exact (`:=`, `:=foo*`, `exact(...)`), `:!=`, `i(...)`, `in(...)`,
 * regexp (`:~`, `:!~`; parsed only: evaluating one is refused),
 * `field:*`, `*`, `_time:` ranges / comparisons / instants / durations, AND (implicit or `and`), OR, NOT
 * (`not`, `!`, `-`), parentheses (also field-scoped), comments; pipes `sort` / `order` (by fields, desc,
 * offset, limit), `limit` / `head`, `offset` / `skip`.
 */

export class LogsQLError extends Error {}

function unsupported(what: string): LogsQLError {
  return new LogsQLError(`unsupported by the VictoriaLogs test double: ${what}`);
}

// ---------------------------------------------------------------------------------------------------
// Characters

// Go's unicode.IsSpace.
const GO_SPACES = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

const LETTER_OR_DIGIT = /^[\p{L}\p{Nd}]$/u;

/** tokenizer.go isTokenRune: ASCII letters, digits and `_`; beyond ASCII, Unicode letters and decimal digits. */
export function isTokenRune(codePoint: number): boolean {
  if (codePoint < 0x80) {
    return (
      (codePoint >= 0x30 && codePoint <= 0x39) ||
      (codePoint >= 0x41 && codePoint <= 0x5a) ||
      (codePoint >= 0x61 && codePoint <= 0x7a) ||
      codePoint === 0x5f
    );
  }
  return LETTER_OR_DIGIT.test(String.fromCodePoint(codePoint));
}

function codePointLength(codePoint: number): number {
  return codePoint > 0xffff ? 2 : 1;
}

// ---------------------------------------------------------------------------------------------------
// Go string literals (strconv.UnquoteChar / Unquote / QuotedPrefix)

type UnquotedChar = { value: number; multibyte: boolean; rest: string };

function unquoteChar(s: string, quote: string): UnquotedChar | undefined {
  const first = s.codePointAt(0);
  if (first === undefined) return undefined;
  const char = String.fromCodePoint(first);
  if (char === quote && (quote === "'" || quote === '"')) return undefined;
  if (first >= 0x80) return { value: first, multibyte: true, rest: s.slice(char.length) };
  if (char !== '\\') return { value: first, multibyte: false, rest: s.slice(1) };
  if (s.length <= 1) return undefined;
  const escape = s.charAt(1);
  const rest = s.slice(2);
  const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 0x5c };
  const simpleValue = simple[escape];
  if (simpleValue !== undefined) return { value: simpleValue, multibyte: false, rest };
  switch (escape) {
    case 'x':
    case 'u':
    case 'U': {
      const digits = escape === 'x' ? 2 : escape === 'u' ? 4 : 8;
      const hex = rest.slice(0, digits);
      if (hex.length < digits || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
      const value = Number.parseInt(hex, 16);
      // \x is one byte, possibly not UTF-8; \u and \U are code points and must be valid ones.
      if (escape === 'x') return { value, multibyte: false, rest: rest.slice(digits) };
      if (value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return undefined;
      return { value, multibyte: true, rest: rest.slice(digits) };
    }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
      const octal = escape + rest.slice(0, 2);
      if (!/^[0-7]{3}$/.test(octal)) return undefined;
      const value = Number.parseInt(octal, 8);
      if (value > 255) return undefined;
      return { value, multibyte: false, rest: rest.slice(2) };
    }
    case "'":
    case '"':
      // Each quote may be escaped only inside its own kind of literal.
      if (escape !== quote) return undefined;
      return { value: escape.charCodeAt(0), multibyte: false, rest };
    default:
      return undefined;
  }
}

const utf8 = new TextEncoder();
// Go strings may hold any bytes (`"\xff"`); JS strings cannot, so invalid UTF-8 decodes to U+FFFD.
// ignoreBOM keeps a leading U+FEFF as the character it is instead of eating it as a byte-order mark.
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

type Literal = { value: string; raw: string };

/** A Go double-quoted literal at the start of `s` (strconv.QuotedPrefix + Unquote). */
function doubleQuotedPrefix(s: string): Literal | undefined {
  const bytes: number[] = [];
  let rest = s.slice(1);
  for (;;) {
    if (rest === '') return undefined;
    if (rest.startsWith('"')) break;
    if (rest.startsWith('\n')) return undefined;
    const char = unquoteChar(rest, '"');
    if (char === undefined) return undefined;
    if (char.value < 0x80 || !char.multibyte) bytes.push(char.value);
    else bytes.push(...utf8.encode(String.fromCodePoint(char.value)));
    rest = char.rest;
  }
  const rawLength = s.length - rest.length + 1;
  return { value: utf8Decoder.decode(Uint8Array.from(bytes)), raw: s.slice(0, rawLength) };
}

/** A Go raw (backquoted) literal: no escapes; carriage returns are dropped. */
function backquotedPrefix(s: string): Literal | undefined {
  const end = s.indexOf('`', 1);
  if (end < 0) return undefined;
  return { value: s.slice(1, end).replaceAll('\r', ''), raw: s.slice(0, end + 1) };
}

/** LogsQL's own single-quote rule: chars decoded one by one with UnquoteChar(…, '\''), each appended as a rune. */
function singleQuotedPrefix(s: string): Literal | undefined {
  const codePoints: number[] = [];
  let rest = s.slice(1);
  while (!rest.startsWith("'")) {
    const char = unquoteChar(rest, "'");
    if (char === undefined) return undefined;
    codePoints.push(char.value);
    rest = char.rest;
  }
  const rawLength = s.length - rest.length + 1;
  return { value: String.fromCodePoint(...codePoints), raw: s.slice(0, rawLength) };
}

// ---------------------------------------------------------------------------------------------------
// Lexer

export type Token = { value: string; raw: string };

class Lexer {
  #s: string;
  readonly #original: string;
  token = '';
  raw = '';
  prevToken = '';
  skippedSpace = false;

  constructor(s: string) {
    this.#s = s;
    this.#original = s;
    this.next();
  }

  get rest(): string {
    return this.#s;
  }

  isEnd(): boolean {
    return this.#s === '' && this.token === '' && this.raw === '';
  }

  isQuoted(): boolean {
    return this.token !== this.raw;
  }

  isKeyword(...keywords: string[]): boolean {
    if (this.isQuoted()) return false;
    return keywords.includes(this.token.toLowerCase());
  }

  isPrevToken(...tokens: string[]): boolean {
    return tokens.includes(this.prevToken);
  }

  context(): string {
    const consumed = this.#original.slice(0, this.#original.length - this.#s.length);
    return consumed.length > 50 ? consumed.slice(-50) : consumed;
  }

  mustNext(): boolean {
    this.next();
    return !this.isEnd();
  }

  next(): void {
    let s = this.#s;
    this.prevToken = this.token;
    this.token = '';
    this.raw = '';
    this.skippedSpace = false;
    if (s === '') return;
    for (;;) {
      let codePoint = s.codePointAt(0);
      if (codePoint === 0xfffd) return this.#take(s, 1);
      while (codePoint !== undefined && GO_SPACES.has(codePoint)) {
        this.skippedSpace = true;
        s = s.slice(codePointLength(codePoint));
        codePoint = s.codePointAt(0);
      }
      if (codePoint === 0x23) {
        const newline = s.indexOf('\n');
        s = newline < 0 ? '' : s.slice(newline + 1);
        continue;
      }
      let length = 0;
      for (let c = s.codePointAt(0); c !== undefined && (isTokenRune(c) || c === 0x2e); c = s.codePointAt(length)) {
        length += codePointLength(c);
      }
      if (length > 0) return this.#take(s, length);
      if (codePoint === undefined) return this.#take('', 0);
      const char = String.fromCodePoint(codePoint);
      switch (char) {
        case '"':
        case '`':
        case "'": {
          const literal = char === '"' ? doubleQuotedPrefix(s) : char === '`' ? backquotedPrefix(s) : singleQuotedPrefix(s);
          if (literal === undefined) return this.#take(s, 1);
          this.token = literal.value;
          this.raw = literal.raw;
          this.#s = s.slice(literal.raw.length);
          return;
        }
        case '=':
          return this.#take(s, s.startsWith('~', 1) ? 2 : 1);
        case '!':
          return this.#take(s, s.startsWith('~', 1) || s.startsWith('=', 1) ? 2 : 1);
        default:
          return this.#take(s, char.length);
      }
    }
  }

  #take(s: string, length: number): void {
    this.token = s.slice(0, length);
    this.raw = this.token;
    this.#s = s.slice(length);
  }
}

/** Every token of `s`, as the lexer sees them (for asserting how a literal decodes). */
export function tokenizeLogsQL(s: string): Token[] {
  const lexer = new Lexer(s);
  const tokens: Token[] = [];
  while (!lexer.isEnd()) {
    tokens.push({ value: lexer.token, raw: lexer.raw });
    lexer.next();
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------------
// Query model

export type Filter =
  | { kind: 'and'; filters: Filter[] }
  | { kind: 'or'; filters: Filter[] }
  | { kind: 'not'; filter: Filter }
  | { kind: 'noop' }
  | { kind: 'phrase'; field: string; phrase: string; anyCase: boolean }
  | { kind: 'prefix'; field: string; prefix: string; anyCase: boolean }
  | { kind: 'exact'; field: string; value: string }
  | { kind: 'exactPrefix'; field: string; prefix: string }
  | { kind: 'in'; field: string; values: string[] }
  /** Parsed, never evaluated: Go's RE2 and JavaScript regexps differ (see matches()). */
  | { kind: 'regexp'; field: string; pattern: string }
  | { kind: 'time'; min: bigint; max: bigint };

export type SortField = { field: string; desc: boolean };
export type Pipe =
  | { kind: 'sort'; by: SortField[]; desc: boolean; offset: number; limit: number }
  | { kind: 'limit'; limit: number }
  | { kind: 'offset'; offset: number }
  /** pipe_fields.go: keeps only these fields (a name ending in `*` keeps every field with that prefix). */
  | { kind: 'fields'; fields: string[] };

export type Query = { filter: Filter; pipes: Pipe[] };

const MIN_TIME = -(2n ** 63n);
const MAX_TIME = 2n ** 63n - 1n;

// pipe.go pipeNames (a query may not start with one unquoted).
const PIPE_NAMES = new Set([
  'block_stats', 'blocks_count', 'collapse_nums', 'copy', 'cp', 'decolorize', 'delete', 'del', 'rm', 'drop',
  'drop_empty_fields', 'extract', 'extract_regexp', 'facets', 'field_names', 'field_values', 'fields', 'keep',
  'filter', 'where', 'first', 'format', 'generate_sequence', 'hash', 'head', 'join', 'json_array_len', 'last', 'len',
  'limit', 'math', 'eval', 'offset', 'skip', 'pack_json', 'pack_logfmt', 'rename', 'mv', 'replace', 'replace_regexp',
  'running_stats', 'sample', 'sort', 'order', 'split', 'stats', 'stream_context', 'time_add', 'top', 'total_stats',
  'union', 'uniq', 'unpack_json', 'unpack_logfmt', 'unpack_syslog', 'unpack_words', 'unroll',
]);

// Function-like keywords: with `(` they are filters, without it plain words.
const UNSUPPORTED_FUNCTIONS = new Set([
  'contains_all', 'contains_any', 'eq_field', 'ipv4_range', 'le_field', 'len_range', 'lt_field', 'range', 're', 'seq',
  'string_range', 'value_type',
]);

function canonicalField(name: string): string {
  return name === '' ? '_msg' : name;
}

/** Parses `query` as VictoriaLogs' ParseQueryAtTimestamp does, `now` anchoring relative times. */
export function parseLogsQL(query: string, now: bigint): Query {
  const lexer = new Lexer(query);
  const parser = new Parser(lexer, now);
  const parsed = parser.query();
  if (!lexer.isEnd()) {
    throw new LogsQLError(`unexpected unparsed tail; context: [${lexer.context()}]; tail: [${lexer.rest}]`);
  }
  return parsed;
}

class Parser {
  readonly #lex: Lexer;
  readonly #now: bigint;

  constructor(lex: Lexer, now: bigint) {
    this.#lex = lex;
    this.#now = now;
  }

  query(): Query {
    const lex = this.#lex;
    if (lex.isKeyword('options')) throw unsupported('query options');
    const filter = this.#withContext(() => this.#filter());
    let pipes: Pipe[] = [];
    if (lex.isKeyword('|')) {
      lex.next();
      pipes = this.#withContext(() => this.#pipes());
    }
    return { filter, pipes };
  }

  #withContext<T>(parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      if (error instanceof LogsQLError && !error.message.includes('; context: [')) {
        throw new LogsQLError(`${error.message}; context: [${this.#lex.context()}]`);
      }
      throw error;
    }
  }

  #filter(): Filter {
    const lex = this.#lex;
    if (lex.isKeyword('|', ')', '')) throw new LogsQLError('missing query');
    const first = lex.raw.toLowerCase();
    if (PIPE_NAMES.has(first)) {
      throw new LogsQLError(`query filter cannot start with pipe keyword "${first}"; please put the first word of the filter into quotes`);
    }
    return this.#or('');
  }

  #or(field: string): Filter {
    const lex = this.#lex;
    const filters: Filter[] = [];
    for (;;) {
      filters.push(this.#and(field));
      if (lex.isKeyword('|', ')', '')) return filters.length === 1 && filters[0] ? filters[0] : { kind: 'or', filters };
      if (lex.isKeyword('or') && !lex.mustNext()) throw new LogsQLError("missing filter after 'or'");
    }
  }

  #and(field: string): Filter {
    const lex = this.#lex;
    const filters: Filter[] = [];
    for (;;) {
      filters.push(this.#generic(field));
      if (lex.isKeyword('or', '|', ')', '')) return filters.length === 1 && filters[0] ? filters[0] : { kind: 'and', filters };
      if (lex.isKeyword('and') && !lex.mustNext()) throw new LogsQLError("missing filter after 'and'");
    }
  }

  #generic(field: string): Filter {
    const lex = this.#lex;
    if (lex.isKeyword('{')) throw unsupported('stream filters {...}');
    if (lex.isKeyword(':')) {
      if (!lex.mustNext()) throw new LogsQLError("missing filter after ':'");
      return this.#generic(field);
    }
    if (lex.isKeyword('*')) {
      lex.next();
      if (lex.isKeyword(':')) throw new LogsQLError(`cannot search for wildcard field name "${field}*"`);
      return { kind: 'prefix', field: canonicalField(field), prefix: '', anyCase: false };
    }
    if (lex.isKeyword('(')) {
      if (!lex.skippedSpace && !lex.isPrevToken('', ':', '(', '!', '-', 'not')) {
        throw new LogsQLError(`missing whitespace after the search word "${lex.prevToken}"`);
      }
      return this.#parens(field);
    }
    if (lex.isKeyword('>', '<')) throw unsupported(`range comparison on "${canonicalField(field)}"`);
    if (lex.isKeyword('=')) return this.#eq(field);
    if (lex.isKeyword('!=')) return { kind: 'not', filter: this.#eq(field) };
    if (lex.isKeyword('~', '!~')) return this.#regexp(field);
    if (lex.isKeyword('not', '!', '-')) return this.#not(field);
    if (lex.isKeyword('exact')) return this.#funcMaybePrefix(field, (arg, isPrefix) =>
      isPrefix ? { kind: 'exactPrefix', field: canonicalField(field), prefix: arg } : { kind: 'exact', field: canonicalField(field), value: arg });
    if (lex.isKeyword('i')) return this.#funcMaybePrefix(field, (arg, isPrefix) =>
      isPrefix
        ? { kind: 'prefix', field: canonicalField(field), prefix: arg, anyCase: true }
        : { kind: 'phrase', field: canonicalField(field), phrase: arg, anyCase: true });
    if (lex.isKeyword('in')) return this.#in(field);
    if (!lex.isQuoted() && UNSUPPORTED_FUNCTIONS.has(lex.token.toLowerCase())) return this.#unsupportedFunction(field);
    if (lex.isKeyword('"', "'", '`')) throw new LogsQLError('improperly quoted string');
    if (lex.isKeyword(',', ')', '[', ']')) throw new LogsQLError(`unexpected token "${lex.token}"`);
    const phrase = this.#compoundPhrase(field !== '');
    return this.#forPhrase(phrase, field);
  }

  #parens(field: string): Filter {
    const lex = this.#lex;
    if (!lex.mustNext()) throw new LogsQLError("missing filter after '('");
    const filter = this.#or(field);
    if (!lex.isKeyword(')')) throw new LogsQLError(`unexpected token "${lex.token}" instead of ')'`);
    lex.next();
    return filter;
  }

  #not(field: string): Filter {
    const lex = this.#lex;
    const keyword = lex.token;
    if (!lex.mustNext()) throw new LogsQLError(`missing filters after '${keyword}'`);
    const filter = this.#generic(field);
    return filter.kind === 'not' ? filter.filter : { kind: 'not', filter };
  }

  #eq(field: string): Filter {
    const lex = this.#lex;
    lex.next();
    const value = this.#compoundFuncArg();
    if (lex.isKeyword('*') && !lex.skippedSpace) {
      lex.next();
      return { kind: 'exactPrefix', field: canonicalField(field), prefix: value };
    }
    return { kind: 'exact', field: canonicalField(field), value };
  }

  /** parseFilterTilda: `~` or `!~`, then the pattern as one compound token. */
  #regexp(field: string): Filter {
    const lex = this.#lex;
    const op = lex.token;
    lex.next();
    if (lex.isKeyword('-')) throw new LogsQLError(`regexp, which start with "${lex.token}", must be put in quotes`);
    if (lex.skippedSpace && field === '') throw new LogsQLError(`missing ':' in front of "${op}"`);
    const filter: Filter = { kind: 'regexp', field: canonicalField(field), pattern: this.#compoundFuncArg() };
    return op === '!~' ? { kind: 'not', filter } : filter;
  }

  #funcMaybePrefix(field: string, make: (arg: string, isPrefix: boolean) => Filter): Filter {
    const lex = this.#lex;
    const name = lex.token;
    lex.next();
    if (!lex.isKeyword('(')) return this.#forPhrase(name + this.#compoundSuffix(field !== ''), field);
    if (!lex.mustNext()) throw new LogsQLError(`missing arg for ${name}()`);
    const arg = this.#compoundFuncArg();
    let isPrefix = false;
    if (lex.isKeyword('*') && !lex.skippedSpace) {
      isPrefix = true;
      if (!lex.mustNext()) throw new LogsQLError(`missing ')' after ${name}()`);
    }
    if (!lex.isKeyword(')')) throw new LogsQLError(`unexpected token "${lex.token}" instead of ')' in ${name}()`);
    lex.next();
    return make(arg, isPrefix);
  }

  #in(field: string): Filter {
    const lex = this.#lex;
    const name = lex.token;
    lex.next();
    if (!lex.isKeyword('(')) return this.#forPhrase(name + this.#compoundSuffix(field !== ''), field);
    lex.next();
    const values: string[] = [];
    while (!lex.isKeyword(')')) {
      if (lex.isKeyword(',')) throw new LogsQLError("unexpected ',' inside ()");
      if (lex.isKeyword('(')) throw unsupported('in(subquery)');
      let value = this.#compoundFuncArg();
      if (value === '' && lex.isKeyword('*')) {
        lex.next();
        value = '*';
      }
      values.push(value);
      if (lex.isKeyword(')')) break;
      if (!lex.isKeyword(',')) throw new LogsQLError(`missing ',' after "${value}" inside ()`);
      if (!lex.mustNext()) throw new LogsQLError(`missing the next arg after "${value}" inside ()`);
    }
    lex.next();
    if (values.length === 1 && values[0] === '*') return { kind: 'noop' };
    return { kind: 'in', field: canonicalField(field), values };
  }

  #unsupportedFunction(field: string): Filter {
    const lex = this.#lex;
    const name = lex.token;
    lex.next();
    if (lex.isKeyword('(')) throw unsupported(`${name}()`);
    return this.#forPhrase(name + this.#compoundSuffix(field !== ''), field);
  }

  #forPhrase(phrase: string, field: string): Filter {
    const lex = this.#lex;
    if (field !== '' || !lex.isKeyword(':')) {
      if (lex.isKeyword('*') && !lex.skippedSpace) {
        lex.next();
        if (lex.isKeyword(':')) throw new LogsQLError(`field name prefix filter "${phrase}*" isn't supported`);
        return { kind: 'prefix', field: canonicalField(field), prefix: phrase, anyCase: false };
      }
      return { kind: 'phrase', field: canonicalField(field), phrase, anyCase: false };
    }
    if (!lex.mustNext()) throw new LogsQLError(`missing filter after field name ${phrase}`);
    switch (phrase) {
      case '_time':
        return this.#time();
      case '_stream':
      case '_stream_id':
        throw unsupported(`${phrase} filters`);
      default:
        return this.#generic(phrase);
    }
  }

  #invalidQuotedString(): void {
    const lex = this.#lex;
    if (lex.isQuoted()) return;
    if (lex.token !== '"' && lex.token !== '`' && lex.token !== "'") return;
    const close = lex.rest.indexOf(lex.token);
    if (close < 0) throw new LogsQLError(`missing closing quote for [${lex.token}${lex.rest}]`);
    throw new LogsQLError(`cannot parse ${lex.token}${lex.rest.slice(0, close + 1)}: invalid syntax`);
  }

  #compoundPhrase(allowColon: boolean): string {
    const lex = this.#lex;
    this.#invalidQuotedString();
    if (lex.isKeyword('*', ',', '(', ')', '[', ']', '|', '')) {
      throw new LogsQLError(`compound phrase cannot start with '${lex.token}'`);
    }
    const phrase = lex.token;
    const raw = lex.raw;
    lex.next();
    const suffix = this.#compoundSuffix(allowColon);
    return suffix === '' ? phrase : raw + suffix;
  }

  #compoundSuffix(allowColon: boolean): string {
    const lex = this.#lex;
    const stop = ['*', ',', '(', ')', '[', ']', '|', ''];
    if (!allowColon) stop.push(':');
    let suffix = '';
    while (!lex.skippedSpace && !lex.isKeyword(...stop) && !lex.isEnd()) {
      suffix += lex.raw;
      lex.next();
    }
    return suffix;
  }

  #compoundToken(): string {
    const lex = this.#lex;
    const stop = [',', '(', ')', '[', ']', '|', ''];
    this.#invalidQuotedString();
    if (lex.isKeyword(...stop)) throw new LogsQLError(`compound token cannot start with '${lex.token}'`);
    const token = lex.token;
    const raw = lex.raw;
    lex.next();
    let suffix = '';
    while (!lex.skippedSpace && !lex.isKeyword(...stop) && !lex.isEnd()) {
      suffix += lex.raw;
      lex.next();
    }
    return suffix === '' ? token : raw + suffix;
  }

  #compoundFuncArg(): string {
    const lex = this.#lex;
    if (lex.isKeyword('*')) return '';
    const arg = lex.token;
    const raw = lex.raw;
    lex.next();
    let suffix = '';
    while (!lex.skippedSpace && !lex.isKeyword('*', ',', '(', ')', '|', '') && !lex.isEnd()) {
      suffix += lex.raw;
      lex.next();
    }
    return suffix === '' ? arg : raw + suffix;
  }

  // --- _time

  #time(): Filter {
    const lex = this.#lex;
    if (lex.isKeyword('day_range', 'week_range', 'offset')) throw unsupported(`_time:${lex.token}`);
    const filter = this.#timeRange();
    if (lex.isKeyword('offset')) throw unsupported('_time offset');
    return filter;
  }

  #timeRange(): Filter {
    const lex = this.#lex;
    if (lex.isKeyword('>')) return this.#timeGreater();
    if (lex.isKeyword('<')) return this.#timeLess();
    if (!lex.isKeyword('[', '(')) return this.#timeInstant();
    const includeStart = lex.isKeyword('[');
    lex.next();
    const start = this.#timestamp('start time');
    if (!lex.isKeyword(',')) throw new LogsQLError(`unexpected token after start time in _time filter: "${lex.token}"; want ','`);
    if (!lex.mustNext()) throw new LogsQLError('missing end time in _time filter');
    const end = this.#timestamp('end time');
    if (!lex.isKeyword(']', ')')) {
      throw new LogsQLError(`_time filter ends with unexpected token "${lex.token}"; it must end with ']' or ')'`);
    }
    const includeEnd = lex.isKeyword(']');
    lex.next();
    if (!includeStart) start.nanos++;
    const max = includeEnd ? matchingEndTime(end.nanos, end.text) : end.nanos - 1n;
    return { kind: 'time', min: start.nanos, max };
  }

  #timeGreater(): Filter {
    const lex = this.#lex;
    lex.next();
    const inclusive = lex.isKeyword('=');
    if (inclusive) lex.next();
    if (this.#likelyTimestamp()) {
      const start = this.#timestamp('start time');
      return { kind: 'time', min: inclusive ? start.nanos : start.nanos + 1n, max: MAX_TIME };
    }
    let duration = abs(this.#duration());
    if (!inclusive) duration++;
    return { kind: 'time', min: MIN_TIME, max: this.#now - duration };
  }

  #timeLess(): Filter {
    const lex = this.#lex;
    lex.next();
    const inclusive = lex.isKeyword('=');
    if (inclusive) lex.next();
    if (this.#likelyTimestamp()) {
      const end = this.#timestamp('end time');
      return { kind: 'time', min: MIN_TIME, max: inclusive ? matchingEndTime(end.nanos, end.text) : end.nanos - 1n };
    }
    let duration = abs(this.#duration());
    if (!inclusive) duration--;
    return { kind: 'time', min: this.#now - duration, max: this.#now };
  }

  #timeInstant(): Filter {
    const lex = this.#lex;
    if (lex.isKeyword('=')) lex.next();
    if (this.#likelyTimestamp()) {
      const instant = this.#timestamp('time');
      return { kind: 'time', min: instant.nanos, max: matchingEndTime(instant.nanos, instant.text) };
    }
    const duration = abs(this.#duration());
    return { kind: 'time', min: this.#now - duration, max: this.#now };
  }

  #likelyTimestamp(): boolean {
    const lex = this.#lex;
    return lex.isKeyword('now') || /^\d{4}([-+Zz]|$)/.test(lex.token);
  }

  #timestamp(what: string): { nanos: bigint; text: string } {
    const text = this.#compoundToken();
    const nanos = parseTimeAt(text, this.#now);
    if (nanos === undefined) throw new LogsQLError(`cannot parse ${what} in _time filter: cannot parse "${text}"`);
    return { nanos, text };
  }

  #duration(): bigint {
    const text = this.#compoundToken();
    const duration = parseDuration(text);
    if (duration === undefined) throw new LogsQLError(`cannot parse duration at _time filter: cannot parse duration "${text}"`);
    return duration;
  }

  // --- pipes

  #pipes(): Pipe[] {
    const lex = this.#lex;
    const pipes: Pipe[] = [];
    for (;;) {
      pipes.push(this.#pipe());
      if (lex.isKeyword('|')) {
        lex.next();
        continue;
      }
      if (lex.isKeyword(')', '')) return pipes;
      throw new LogsQLError(`unexpected token after pipe: "${lex.token}"; expecting '|' or ')'`);
    }
  }

  #pipe(): Pipe {
    const lex = this.#lex;
    if (lex.isQuoted()) throw new LogsQLError(`unexpected pipe "${lex.raw}"`);
    const name = lex.token.toLowerCase();
    switch (name) {
      case 'sort':
      case 'order':
        return this.#sortPipe();
      case 'limit':
      case 'head': {
        lex.next();
        if (lex.isKeyword('|', ')', '')) return { kind: 'limit', limit: 10 };
        return { kind: 'limit', limit: this.#count(name) };
      }
      case 'offset':
      case 'skip':
        lex.next();
        return { kind: 'offset', offset: this.#count(name) };
      case 'fields':
      case 'keep':
        return this.#fieldsPipe();
      case '':
        throw new LogsQLError('missing pipe');
      default:
        if (PIPE_NAMES.has(name)) throw unsupported(`the "${name}" pipe`);
        throw new LogsQLError(`unexpected pipe "${lex.token}"`);
    }
  }

  /** parser_utils.go parseFieldFilter: a compound token, then `*` right after it (no space) makes it a prefix. */
  #fieldsPipe(): Pipe {
    const lex = this.#lex;
    lex.next();
    const fields: string[] = [];
    for (;;) {
      if (lex.isKeyword(',', '(', ')', '|', '')) throw new LogsQLError(`unexpected token "${lex.token}" in fields`);
      let field = '';
      if (!lex.isKeyword('*')) {
        this.#invalidQuotedString();
        const { token, raw } = lex;
        lex.next();
        // Unlike a filter's compound token, a field filter's ends at `*`.
        const suffix = this.#compoundSuffix(true);
        field = suffix === '' ? token : raw + suffix;
      }
      if (lex.isKeyword('*') && (field === '' || !lex.skippedSpace)) {
        field += '*';
        lex.next();
      }
      fields.push(field === '' ? '_msg' : field);
      if (!lex.isKeyword(',')) return { kind: 'fields', fields };
      lex.next();
    }
  }

  #sortPipe(): Pipe {
    const lex = this.#lex;
    lex.next();
    if (lex.isKeyword('by')) lex.next();
    if (!lex.isKeyword('(')) throw unsupported('sort without a (field, ...) list');
    lex.next();
    const by: SortField[] = [];
    while (!lex.isKeyword(')')) {
      if (lex.isKeyword(',', '(', '|', '')) throw new LogsQLError(`unexpected token "${lex.token}" in sort fields`);
      const field = this.#compoundToken();
      let desc = false;
      if (lex.isKeyword('desc', 'asc')) {
        desc = lex.isKeyword('desc');
        lex.next();
      }
      by.push({ field, desc });
      if (lex.isKeyword(',')) lex.next();
      else if (!lex.isKeyword(')')) throw new LogsQLError(`missing ',' or ')' after "${field}" in sort fields`);
    }
    lex.next();
    const pipe = { kind: 'sort' as const, by, desc: false, offset: 0, limit: 0 };
    for (;;) {
      if (lex.isKeyword('desc')) {
        pipe.desc = true;
        lex.next();
      } else if (lex.isKeyword('offset')) {
        lex.next();
        pipe.offset = this.#count('offset');
      } else if (lex.isKeyword('limit')) {
        lex.next();
        pipe.limit = this.#count('limit');
      } else if (lex.isKeyword('partition', 'rank')) {
        throw unsupported(`sort ... ${lex.token}`);
      } else {
        return pipe;
      }
    }
  }

  #count(what: string): number {
    const lex = this.#lex;
    const text = lex.token;
    if (lex.isQuoted() || !/^\d[\d_]*$/.test(text)) throw new LogsQLError(`cannot parse ${what} "${text}" as unsigned integer`);
    lex.next();
    return Number(text.replaceAll('_', ''));
  }
}

function abs(value: bigint): bigint {
  return value < 0n ? -value : value;
}

// ---------------------------------------------------------------------------------------------------
// Time (lib/timeutil ParseTimeAt, logstorage getMatchingEndTime, duration values)

const NANOS = { ns: 1n, us: 1_000n, 'µs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n } as const;
const DAY_NANOS = 24n * NANOS.h;
const DURATION_UNITS: Record<string, bigint> = { ...NANOS, d: DAY_NANOS, w: 7n * DAY_NANOS, y: 365n * DAY_NANOS };
const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w|y)/gy;

export function parseDuration(text: string): bigint | undefined {
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  if (body === '') return undefined;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  let consumed = 0;
  for (let match = DURATION_PART.exec(body); match !== null; match = DURATION_PART.exec(body)) {
    const [, amount = '', unit = ''] = match;
    const nanos = DURATION_UNITS[unit];
    if (nanos === undefined) return undefined;
    total += Number(amount) * Number(nanos);
    consumed = DURATION_PART.lastIndex;
  }
  if (consumed !== body.length) return undefined;
  const nanos = BigInt(Math.round(total));
  return negative ? -nanos : nanos;
}

function utcNanos(year: number, monthIndex: number, day: number, hour = 0, minute = 0, second = 0): bigint {
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  date.setUTCHours(hour, minute, second, 0);
  return BigInt(date.getTime()) * 1_000_000n;
}

const PARTIAL_TIME = /^(\d{4})-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2}))?)?)?)?$/;
const FULL_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** VictoriaLogs' ParseTimeAt: `now`, relative durations, YYYY[-MM[-DD[Thh[:mm[:ss]]]]], Unix seconds/ms, RFC 3339. */
export function parseTimeAt(text: string, now: bigint): bigint | undefined {
  if (text === 'now') return now;
  let s = text;
  let zoneOffset = 0n;
  const zone = text.length > 6 ? text.slice(-6) : '';
  if ((zone.startsWith('-') || zone.startsWith('+')) && zone.charAt(3) === ':') {
    const hours = zone.slice(1, 3);
    const minutes = zone.slice(4);
    if (!/^\d+$/.test(hours) || !/^\d+$/.test(minutes)) return undefined;
    zoneOffset = BigInt(Number(hours) * 3600 + Number(minutes) * 60) * NANOS.s;
    if (zone.startsWith('+')) zoneOffset = -zoneOffset;
    s = text.slice(0, -6);
  }
  if (s.endsWith('Z')) s = s.slice(0, -1);
  const last = s.charCodeAt(s.length - 1);
  if ((s.length > 0 && (last > 0x39 || s.startsWith('-'))) || s.startsWith('now')) {
    const duration = parseDuration(s.startsWith('now') ? s.slice(3) : s);
    if (duration === undefined) return undefined;
    return now + (duration > 0n ? -duration : duration);
  }
  if (/^\d{4}$/.test(s)) return utcNanos(Number(s), 0, 1) + zoneOffset;
  if (!text.includes('-')) {
    if (!/^\d+(\.\d+)?$/.test(s)) return undefined;
    let seconds = Number(s);
    if (seconds >= 2 ** 32) seconds /= 1000;
    return BigInt(Math.round(seconds * 1e3)) * 1_000_000n;
  }
  const partial = PARTIAL_TIME.exec(s);
  if (partial) {
    const [, year = '', month = '', day = '01', hour = '00', minute = '00', second = '00'] = partial;
    return utcNanos(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)) + zoneOffset;
  }
  const full = FULL_TIME.exec(text);
  if (!full) return undefined;
  const [, year = '', month = '', day = '', hour = '', minute = '', second = '', fraction = '', sign, offsetHours = '0', offsetMinutes = '0'] = full;
  let nanos = utcNanos(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  nanos += BigInt(fraction.padEnd(9, '0'));
  const offset = BigInt(Number(offsetHours) * 3600 + Number(offsetMinutes) * 60) * NANOS.s;
  if (sign === '+') nanos -= offset;
  if (sign === '-') nanos += offset;
  return nanos;
}

function stripTimezoneSuffix(s: string): string {
  if (s.endsWith('Z')) return s.slice(0, -1);
  if (s.length < 6) return s;
  const zone = s.slice(-6);
  if (!zone.startsWith('-') && !zone.startsWith('+')) return s;
  if (zone.charAt(3) !== ':') return s;
  return s.slice(0, -6);
}

/** The last nanosecond of the period a timestamp is written at (`2024` → the whole year; nine digits → itself). */
export function matchingEndTime(start: bigint, text: string): bigint {
  const s = stripTimezoneSuffix(text);
  const dayNanos = DAY_NANOS;
  const date = new Date(Number(start / 1_000_000n));
  const timeOfDay = start % dayNanos;
  let end: bigint;
  if (s.length === 4) {
    end = utcNanos(date.getUTCFullYear() + 1, date.getUTCMonth(), date.getUTCDate()) + timeOfDay;
  } else if (s.length === 7 && s.charAt(4) === '-') {
    let month = date.getUTCMonth() + 1;
    let day = date.getUTCDate();
    if (day !== 1) {
      day = 0;
      month++;
    }
    end = utcNanos(date.getUTCFullYear(), month, day) + timeOfDay;
  } else if (s.length === 10 && s.charAt(4) === '-') {
    end = start + dayNanos;
  } else if (s.length === 13 && s.charAt(4) === '-') {
    end = start + NANOS.h;
  } else if (s.length === 16 && s.charAt(4) === '-') {
    end = start + NANOS.m;
  } else if (s.length === 19 && s.charAt(4) === '-') {
    end = start + NANOS.s;
  } else if (s.length === 23 && s.charAt(4) === '-') {
    end = start + NANOS.ms;
  } else {
    end = start + 1n;
  }
  return end - 1n;
}

/** Go's RFC3339Nano layout in UTC: trailing fractional zeros (and the dot) dropped. */
export function formatRfc3339Nano(nanos: bigint): string {
  const second = nanos >= 0n ? nanos / NANOS.s : -((-nanos + NANOS.s - 1n) / NANOS.s);
  const fraction = nanos - second * NANOS.s;
  const base = new Date(Number(second * 1000n)).toISOString().slice(0, 19);
  const digits = fraction.toString().padStart(9, '0').replace(/0+$/, '');
  return digits === '' ? `${base}Z` : `${base}.${digits}Z`;
}

// ---------------------------------------------------------------------------------------------------
// Evaluation

export type LogRow = { readonly time: bigint; field(name: string): string };

export function matches(filter: Filter, row: LogRow): boolean {
  switch (filter.kind) {
    case 'and':
      return filter.filters.every((inner) => matches(inner, row));
    case 'or':
      return filter.filters.some((inner) => matches(inner, row));
    case 'not':
      return !matches(filter.filter, row);
    case 'noop':
      return true;
    case 'phrase': {
      const value = row.field(filter.field);
      return filter.anyCase ? matchPhrase(value.toLowerCase(), filter.phrase.toLowerCase()) : matchPhrase(value, filter.phrase);
    }
    case 'prefix': {
      const value = row.field(filter.field);
      return filter.anyCase ? matchPrefix(value.toLowerCase(), filter.prefix.toLowerCase()) : matchPrefix(value, filter.prefix);
    }
    case 'exact':
      return row.field(filter.field) === filter.value;
    case 'exactPrefix':
      return row.field(filter.field).startsWith(filter.prefix);
    case 'in':
      return filter.values.includes(row.field(filter.field));
    case 'time':
      return row.time >= filter.min && row.time <= filter.max;
    case 'regexp':
      // Evaluating RE2 with JavaScript's engine would be wrong for some patterns, silently: the real
      // VictoriaLogs (test/support/victorialogs.ts) answers such queries.
      throw unsupported('evaluating regexp filters');
  }
}

function codePointBefore(s: string, index: number): number | undefined {
  if (index <= 0) return undefined;
  const low = s.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) return s.codePointAt(index - 2);
  return low;
}

/** filter_phrase.go matchPhrase: `phrase` occurs with non-token chars (or the ends) around its token-char edges. */
export function matchPhrase(value: string, phrase: string): boolean {
  if (phrase === '') return value === '';
  const first = phrase.codePointAt(0) ?? 0;
  const last = codePointBefore(phrase, phrase.length) ?? 0;
  const startsWithToken = isTokenRune(first);
  const endsWithToken = isTokenRune(last);
  for (let at = value.indexOf(phrase); at >= 0; at = value.indexOf(phrase, at + 1)) {
    const before = codePointBefore(value, at);
    if (startsWithToken && before !== undefined && isTokenRune(before)) continue;
    const after = value.codePointAt(at + phrase.length);
    if (endsWithToken && after !== undefined && isTokenRune(after)) continue;
    return true;
  }
  return false;
}

/** filter_prefix.go matchPrefix: a word starting with `prefix`; the empty prefix matches any non-empty value. */
export function matchPrefix(value: string, prefix: string): boolean {
  if (prefix === '') return value !== '';
  const startsWithToken = isTokenRune(prefix.codePointAt(0) ?? 0);
  for (let at = value.indexOf(prefix); at >= 0; at = value.indexOf(prefix, at + 1)) {
    const before = codePointBefore(value, at);
    if (startsWithToken && before !== undefined && isTokenRune(before)) continue;
    return true;
  }
  return false;
}

/** Applies the pipes (and the `limit` query arg the way /select/logsql/query does) to the matching rows. */
export function applyPipes<T extends LogRow>(rows: T[], pipes: readonly Pipe[], limitArg: number, offsetArg = 0): T[] {
  let result = rows;
  let pipeList = pipes;
  if (limitArg > 0) {
    // logsql.go: `| sort by (_time) desc` unless the query already orders or cuts its results, then `| offset | limit`.
    const canReturnLastN = pipes.every((pipe) => pipe.kind !== 'sort' && pipe.kind !== 'limit' && pipe.kind !== 'offset');
    const extra: Pipe[] = canReturnLastN ? [{ kind: 'sort', by: [{ field: '_time', desc: false }], desc: true, offset: 0, limit: 0 }] : [];
    pipeList = [...pipes, ...extra, { kind: 'offset', offset: offsetArg }, { kind: 'limit', limit: limitArg }];
  }
  for (const pipe of pipeList) {
    switch (pipe.kind) {
      case 'sort': {
        const sorted = [...result].sort((a, b) => compareRows(a, b, pipe));
        const end = pipe.limit > 0 ? pipe.offset + pipe.limit : undefined;
        result = sorted.slice(pipe.offset, end);
        break;
      }
      case 'limit':
        result = result.slice(0, pipe.limit);
        break;
      case 'offset':
        result = result.slice(pipe.offset);
        break;
      case 'fields':
        // Selects no rows: the fields a row is printed with (fieldsKept), applied by whoever prints it.
        break;
    }
  }
  return result;
}

/** Whether a row printed after `pipes` keeps `field` (every `fields` pipe must keep it). */
export function fieldKept(pipes: readonly Pipe[], field: string): boolean {
  return pipes.every(
    (pipe) => pipe.kind !== 'fields' || pipe.fields.some((kept) => (kept.endsWith('*') ? field.startsWith(kept.slice(0, -1)) : field === kept)),
  );
}

function compareRows(a: LogRow, b: LogRow, pipe: { by: readonly SortField[]; desc: boolean }): number {
  for (const { field, desc } of pipe.by) {
    const reverse = pipe.desc !== desc;
    let order: number;
    if (field === '_time') {
      order = a.time === b.time ? 0 : a.time < b.time ? -1 : 1;
    } else {
      const x = a.field(field);
      const y = b.field(field);
      order = x === y ? 0 : lessString(x, y) ? -1 : 1;
    }
    if (order !== 0) return reverse ? -order : order;
  }
  return 0;
}

const INT = /^-?\d+$/;
const UINT = /^\d+$/;
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?inf$/i;

/** pipe_sort.go lessString: integers, then timestamps, then numbers, then natural order. */
export function lessString(a: string, b: string): boolean {
  if (a === b) return false;
  if (INT.test(a) && INT.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    if (x >= -(2n ** 63n) && x < 2n ** 63n && y >= -(2n ** 63n) && y < 2n ** 63n) return x < y;
  }
  if (UINT.test(a) && UINT.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    if (x < 2n ** 64n && y < 2n ** 64n) return x < y;
  }
  const timeA = FULL_TIME.test(a) ? parseTimeAt(a, 0n) : undefined;
  const timeB = FULL_TIME.test(b) ? parseTimeAt(b, 0n) : undefined;
  if (timeA !== undefined && timeB !== undefined) return timeA < timeB;
  if (FLOAT.test(a) && FLOAT.test(b)) return parseFloatOrInf(a) < parseFloatOrInf(b);
  return lessNatural(a, b);
}

function parseFloatOrInf(s: string): number {
  const lower = s.toLowerCase();
  if (lower.endsWith('inf')) return lower.startsWith('-') ? -Infinity : Infinity;
  return Number(s);
}

/** lib/stringsutil LessNatural, over UTF-8 bytes: digit runs compare as numbers, and sort before other bytes. */
export function lessNatural(left: string, right: string): boolean {
  let a = Buffer.from(left, 'utf8');
  let b = Buffer.from(right, 'utf8');
  let reverse = false;
  const isDigit = (byte: number | undefined) => byte !== undefined && byte >= 0x30 && byte <= 0x39;
  for (;;) {
    if (a.length > b.length) {
      [a, b] = [b, a];
      reverse = !reverse;
    }
    let i = 0;
    for (; i < a.length; i++) {
      const x = a[i];
      const y = b[i];
      if (isDigit(x)) {
        if (isDigit(y)) break;
        return !reverse;
      }
      if (isDigit(y)) return reverse;
      if (x !== y) return reverse ? (y ?? 0) < (x ?? 0) : (x ?? 0) < (y ?? 0);
    }
    a = a.subarray(i);
    b = b.subarray(i);
    if (a.length === 0) return reverse ? false : b.length > 0;
    let lengthA = 0;
    let numberA = 0n;
    for (; isDigit(a[lengthA]); lengthA++) numberA = numberA * 10n + BigInt((a[lengthA] ?? 0x30) - 0x30);
    let lengthB = 0;
    let numberB = 0n;
    for (; isDigit(b[lengthB]); lengthB++) numberB = numberB * 10n + BigInt((b[lengthB] ?? 0x30) - 0x30);
    if (numberA >= 2n ** 64n || numberB >= 2n ** 64n) {
      // Too big for uint64: Go falls back to comparing the remaining bytes.
      const order = Buffer.compare(a, b);
      return reverse ? order > 0 : order < 0;
    }
    if (numberA !== numberB) return reverse ? numberB < numberA : numberA < numberB;
    if (lengthA !== lengthB) return reverse ? lengthB < lengthA : lengthA < lengthB;
    a = a.subarray(lengthA);
    b = b.subarray(lengthB);
  }
}
