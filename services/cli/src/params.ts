import { UsageError } from './exit-codes';
import type { JsonSchema, OpenApiDocument } from './api-client';

/**
 * `--param key=value` arguments as a map of strings, in order (a repeated key:
 * the last wins).
 *
 * @throws UsageError for an argument without `=` or with an empty key.
 */
export function parseParamArgs(args: readonly string[]): Record<string, string> {
  // A Map, then fromEntries: own properties even for a key like "__proto__".
  const params = new Map<string, string>();
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const key = eq < 0 ? '' : arg.slice(0, eq).trim();
    if (eq < 0 || key === '') throw new UsageError(`--param takes key=value, got "${arg}"`);
    params.set(key, arg.slice(eq + 1));
  }
  return Object.fromEntries(params);
}

/** What an operation accepts, read from the API's description. */
export interface OperationSchema {
  name: string;
  params: Record<string, JsonSchema>;
  outputFormats: string[] | undefined;
}

function typesOf(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  return schema.type === undefined ? [] : [schema.type];
}

function stringsOf(values: unknown[] | undefined): string[] {
  return (values ?? []).filter((value): value is string => typeof value === 'string');
}

/**
 * Every operation the API's OpenAPI document describes, by `method_name`
 * (aliases included), from the `SubmitJob` request schema: one variant per
 * operation, each with its params' JSON Schemas. Empty when the document does
 * not have that shape (an older server): callers then send strings as typed.
 */
export function operationsFromOpenApi(document: OpenApiDocument): Map<string, OperationSchema> {
  const operations = new Map<string, OperationSchema>();
  // The operations may sit one level down, beside the preset and steps variants (which name no method_name).
  const variantsOf = (schema: JsonSchema | undefined): JsonSchema[] =>
    (schema?.oneOf ?? schema?.anyOf ?? []).flatMap((variant) =>
      (variant.oneOf ?? variant.anyOf) ? variantsOf(variant) : [variant],
    );
  for (const variant of variantsOf(document.components?.schemas?.SubmitJob)) {
    const method = variant.properties?.method_name;
    const names = method
      ? [...stringsOf(method.enum), ...stringsOf(method.const === undefined ? [] : [method.const])]
      : [];
    if (names.length === 0) continue;
    const format = variant.properties?.output_format;
    const formats = format
      ? [...stringsOf(format.enum), ...stringsOf(format.const === undefined ? [] : [format.const])]
      : [];
    const entry: OperationSchema = {
      name: names[0] ?? '',
      params: variant.properties?.params?.properties ?? {},
      outputFormats: formats.length > 0 ? formats : undefined,
    };
    for (const name of names) operations.set(name, entry);
  }
  return operations;
}

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * One value typed as its schema says, or undefined when it does not fit that
 * schema (so an `anyOf` can try the next branch). A string schema, or none,
 * keeps the text; an array splits on commas and types each item.
 */
function coerceTo(raw: string, schema: JsonSchema): unknown {
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    // Numbers and booleans first: "1" for an integer-or-language field is the integer.
    const ordered = [...branches].sort(
      (a, b) => Number(typesOf(a).includes('string')) - Number(typesOf(b).includes('string')),
    );
    for (const branch of ordered) {
      const value = coerceTo(raw, branch);
      if (value !== undefined) return value;
    }
    return undefined;
  }
  const types = typesOf(schema);
  if (types.length === 0) return raw;
  for (const type of types) {
    if (type === 'integer' && INTEGER.test(raw.trim())) return Number(raw);
    if (type === 'number' && NUMBER.test(raw.trim())) return Number(raw);
    if (type === 'boolean' && /^(true|false)$/i.test(raw.trim())) return raw.trim().toLowerCase() === 'true';
    if (type === 'null' && raw.trim() === 'null') return null;
    if (type === 'array') {
      const items = raw.trim() === '' ? [] : raw.split(',').map((item) => item.trim());
      return items.map((item) => (schema.items ? (coerceTo(item, schema.items) ?? item) : item));
    }
    if (type === 'string') return raw;
  }
  return undefined;
}

/**
 * `--param` strings typed for the API: numbers, booleans and comma-separated
 * lists where the operation's schema says so. A value that fits no declared
 * type, or a key the schema does not list, is sent as typed so the API's 400
 * (VALIDATION_FAILED, naming the field) explains it.
 */
export function coerceParams(
  raw: Readonly<Record<string, string>>,
  schemas: Readonly<Record<string, JsonSchema>> | undefined,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(raw).map(([key, value]) => {
      const schema = schemas && Object.hasOwn(schemas, key) ? schemas[key] : undefined;
      return [key, schema === undefined ? value : (coerceTo(value, schema) ?? value)];
    }),
  );
}
