// A small JSON Schema validator for the subset protocol/train-events.schema.json and
// protocol/debug.schema.json use: type (incl. "integer" and arrays of types), const, enum, minimum,
// maximum, minLength, required, properties, additionalProperties:false, items, oneOf, allOf,
// if/then/else and local $ref (#/$defs/...). Anything else in a schema is an error at load time, so
// the schema cannot silently outgrow this validator.
export type JsonSchema = {
  [k: string]: unknown;
};

const SUPPORTED = new Set([
  '$schema',
  '$id',
  '$ref',
  '$defs',
  'title',
  'description',
  'type',
  'const',
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'oneOf',
  'allOf',
  'if',
  'then',
  'else',
]);

export class SchemaValidator {
  constructor(private readonly root: JsonSchema) {
    this.check(root, '#');
  }

  /** Returns the first problem found as "path: message", or null when the value is valid. */
  validate(value: unknown, schema: JsonSchema = this.root, path = '$'): string | null {
    if (typeof schema.$ref === 'string') return this.validate(value, this.resolve(schema.$ref), path);
    if (schema.oneOf) {
      const branches = schema.oneOf as JsonSchema[];
      const results = branches.map((b) => this.validate(value, b, path));
      const passed = results.filter((r) => r === null).length;
      if (passed === 1) return null;
      if (passed > 1) return `${path}: matches ${passed} alternatives, expected exactly one`;
      // Point at the branch whose `type` const matches, which reads better than "no alternative".
      const tag = isObject(value) ? value.type : undefined;
      const idx = branches.findIndex((b) => this.tagOf(b) === tag && tag !== undefined);
      return idx >= 0 ? results[idx] : `${path}: matches none of the ${branches.length} alternatives`;
    }
    for (const sub of (schema.allOf as JsonSchema[] | undefined) ?? []) {
      const err = this.validate(value, sub, path);
      if (err) return err;
    }
    if (schema.if !== undefined) {
      const branch = this.validate(value, schema.if as JsonSchema, path) === null ? schema.then : schema.else;
      const err = branch === undefined ? null : this.validate(value, branch as JsonSchema, path);
      if (err) return err;
    }
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
      if (!types.some((t) => hasType(value, t)))
        return `${path}: expected ${types.join(' or ')}, got ${describe(value)}`;
    }
    if ('const' in schema && value !== schema.const) return `${path}: expected ${JSON.stringify(schema.const)}`;
    if (schema.enum && !(schema.enum as unknown[]).includes(value)) {
      return `${path}: expected one of ${(schema.enum as unknown[]).map((e) => JSON.stringify(e)).join(', ')}`;
    }
    if (typeof schema.minimum === 'number' && typeof value === 'number' && value < schema.minimum) {
      return `${path}: ${value} is below the minimum ${schema.minimum}`;
    }
    if (typeof schema.maximum === 'number' && typeof value === 'number' && value > schema.maximum) {
      return `${path}: ${value} is above the maximum ${schema.maximum}`;
    }
    if (typeof schema.minLength === 'number' && typeof value === 'string' && [...value].length < schema.minLength) {
      return `${path}: shorter than ${schema.minLength} characters`;
    }
    if (isObject(value)) {
      for (const key of (schema.required as string[] | undefined) ?? []) {
        if (!(key in value)) return `${path}: missing required "${key}"`;
      }
      const props = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
      for (const [key, v] of Object.entries(value)) {
        if (key in props) {
          const err = this.validate(v, props[key], `${path}.${key}`);
          if (err) return err;
        } else if (schema.additionalProperties === false) {
          return `${path}: unexpected property "${key}"`;
        }
      }
    }
    if (Array.isArray(value) && schema.items) {
      for (let i = 0; i < value.length; i++) {
        const err = this.validate(value[i], schema.items as JsonSchema, `${path}[${i}]`);
        if (err) return err;
      }
    }
    return null;
  }

  /** A validator for one definition of the same document (e.g. "request"). */
  forDef(name: string): (value: unknown) => string | null {
    const def = this.resolve(`#/$defs/${name}`);
    return (value) => this.validate(value, def);
  }

  private tagOf(schema: JsonSchema): unknown {
    const s = typeof schema.$ref === 'string' ? this.resolve(schema.$ref) : schema;
    const props = s.properties as Record<string, JsonSchema> | undefined;
    return props?.type?.const;
  }

  private resolve(ref: string): JsonSchema {
    if (!ref.startsWith('#/')) throw new Error(`schema: only local $ref is supported, got ${ref}`);
    let node: unknown = this.root;
    for (const part of ref.slice(2).split('/')) {
      node = isObject(node) ? node[part] : undefined;
    }
    if (!isObject(node)) throw new Error(`schema: unresolved $ref ${ref}`);
    return node;
  }

  private check(schema: unknown, where: string): void {
    if (!isObject(schema)) throw new Error(`schema: ${where} is not an object`);
    for (const key of Object.keys(schema)) {
      if (!SUPPORTED.has(key)) throw new Error(`schema: unsupported keyword "${key}" at ${where}`);
    }
    if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) {
      throw new Error(`schema: only additionalProperties:false is supported (${where})`);
    }
    for (const [k, sub] of Object.entries((schema.$defs as Record<string, unknown>) ?? {}))
      this.check(sub, `${where}/$defs/${k}`);
    for (const [k, sub] of Object.entries((schema.properties as Record<string, unknown>) ?? {}))
      this.check(sub, `${where}/properties/${k}`);
    for (const key of ['oneOf', 'allOf'])
      ((schema[key] as unknown[]) ?? []).forEach((sub, i) => this.check(sub, `${where}/${key}/${i}`));
    for (const key of ['if', 'then', 'else']) if (schema[key] !== undefined) this.check(schema[key], `${where}/${key}`);
    if (schema.items !== undefined) this.check(schema.items, `${where}/items`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasType(v: unknown, t: string): boolean {
  switch (t) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    default:
      throw new Error(`schema: unknown type ${t}`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'number' && !Number.isInteger(v) ? 'number' : typeof v;
}
