// A JSON parser that keeps numbers as the user wrote them, as Python's json.loads does:
// `21.0` stays a float (printed `21.0`, tojson `21.0`) and integers of any size stay exact.
// JSON.parse turns both into a JS number, and Node's source-text access (JSON.parse reviver
// `context.source`) is missing from the Node versions of older VS Code builds (Node 18/20), so we parse.
//
// Only numbers JS would misrepresent become ExactNumber (integral floats, unsafe integers); every
// other value is the plain JS value JSON.parse gives. Objects with array-index-like keys become a Map,
// because JS objects list such keys first while Python keeps insertion order.

/** A number whose JS form loses information: an integral float (`21.0`) or an int beyond 2**53. */
export class ExactNumber {
  constructor(
    /** The literal as written in the JSON text. */
    readonly text: string,
    readonly isFloat: boolean,
  ) {}
  valueOf(): number {
    return Number(this.text);
  }
  /** JSON.stringify gives the nearest double, so code unaware of ExactNumber still works. */
  toJSON(): number {
    return Number(this.text);
  }
  toString(): string {
    return this.text;
  }
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at position ${offset}`);
    this.name = 'JsonSyntaxError';
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const INDEX_KEY = /^(?:0|[1-9]\d{0,9})$/;

/** Parses JSON text; numbers keep their written form where JS numbers would not (see ExactNumber). */
export function parseExactJson(text: string): unknown {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const fail = (what: string): never => {
    throw new JsonSyntaxError(i >= n ? 'Unexpected end of JSON input' : `${what} ${JSON.stringify(text[i])}`, i);
  };
  const string = (): string => {
    const start = i++;
    let escaped = false;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) {
        escaped = true;
        i += 2;
      } else if (c < 32) fail('Bad control character in string literal:');
      else i++;
    }
    if (i >= n) fail('Unterminated string');
    i++;
    if (!escaped) return text.slice(start + 1, i - 1);
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      i = start;
      return fail('Bad escape in string starting with');
    }
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: [string, unknown][] = [];
      let indexKeys = false;
      ws();
      if (text[i] === '}') {
        i++;
        return {};
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('Expected property name, got');
        const k = string();
        ws();
        if (text[i] !== ':') fail("Expected ':' after property name, got");
        i++;
        entries.push([k, value()]);
        if (INDEX_KEY.test(k)) indexKeys = true;
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          break;
        } else fail("Expected ',' or '}' after property value, got");
      }
      if (indexKeys) return new Map(entries);
      const o: Record<string, unknown> = {};
      for (const [k, v] of entries) {
        if (k === '__proto__')
          Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        else o[k] = v;
      }
      return o;
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return out;
        } else fail("Expected ',' or ']' after array element, got");
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) return ((i += 4), true);
    if (text.startsWith('false', i)) return ((i += 5), false);
    if (text.startsWith('null', i)) return ((i += 4), null);
    // Python's json also reads NaN/Infinity; JSON.parse refuses them, and so do we (rows are JSON).
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return fail('Unexpected token');
    i += m[0].length;
    const num = Number(m[0]);
    if (m[1] !== undefined || m[2] !== undefined) return Number.isInteger(num) ? new ExactNumber(m[0], true) : num;
    return Number.isSafeInteger(num) ? num : new ExactNumber(m[0], false);
  };
  const v = value();
  ws();
  if (i < n) fail('Unexpected non-whitespace character after JSON:');
  return v;
}
