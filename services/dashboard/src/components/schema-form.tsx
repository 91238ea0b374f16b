import type { JsonSchema } from '../types';
import { humanize } from '../format';

/**
 * Form fields generated from an operation's `params_schema` (JSON Schema from
 * GET /operations), so a new operation or parameter needs no dashboard code:
 * - integer / number → a number input with its minimum and maximum;
 * - enum (or a union of consts) → a select;
 * - boolean → a checkbox;
 * - string → a text input with its pattern;
 * - an array of numbers or of enum values → one input of comma-separated
 *   values, or checkboxes for an enum;
 * - a union of a number and a string (audio_track: index or language) → text,
 *   sent as a number when it is one.
 * Defaults are shown as the initial value; a field left empty is left out,
 * so the API applies its default.
 */

export type FieldValue = string | boolean | string[];
export type FormValues = Record<string, FieldValue>;

function typesOf(schema: JsonSchema): string[] {
  if (schema.anyOf ?? schema.oneOf) return (schema.anyOf ?? schema.oneOf ?? []).flatMap(typesOf);
  if (Array.isArray(schema.type)) return schema.type;
  return schema.type ? [schema.type] : [];
}

/** The values of an enum, a const, or a union of consts; undefined when the schema is not one. */
function choicesOf(schema: JsonSchema): unknown[] | undefined {
  if (schema.enum) return schema.enum;
  if (schema.const !== undefined) return [schema.const];
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const all = branches.map(choicesOf);
    if (all.every((values) => values !== undefined)) return all.flat();
  }
  return undefined;
}

type FieldKind = 'number' | 'integer' | 'select' | 'boolean' | 'text' | 'number-list' | 'enum-list' | 'text-or-number';

function kindOf(schema: JsonSchema): FieldKind {
  if (schema.type === 'array' && schema.items) {
    return choicesOf(schema.items) ? 'enum-list' : 'number-list';
  }
  if (choicesOf(schema)) return 'select';
  const types = typesOf(schema);
  if (types.includes('boolean')) return 'boolean';
  if (types.includes('string') && (types.includes('integer') || types.includes('number'))) return 'text-or-number';
  if (types.includes('integer')) return 'integer';
  if (types.includes('number')) return 'number';
  return 'text';
}

/** The form's starting values: each field's default, empty when it has none. */
export function initialValues(schema: JsonSchema): FormValues {
  const values: FormValues = {};
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const kind = kindOf(field);
    const fallback = field.default;
    if (kind === 'boolean') values[name] = fallback === true;
    else if (kind === 'enum-list') values[name] = Array.isArray(fallback) ? fallback.map(scalarText) : [];
    else if (kind === 'number-list') values[name] = Array.isArray(fallback) ? fallback.join(', ') : '';
    else values[name] = scalarText(fallback);
  }
  return values;
}

/**
 * The `params` object to submit.
 * @throws Error naming the field when a list holds something that is not a number.
 */
export function paramsFrom(schema: JsonSchema, values: FormValues): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const value = values[name];
    const kind = kindOf(field);
    if (kind === 'boolean') {
      // Unchanged from an absent default: leave it to the API.
      if (value === true || field.default !== undefined) params[name] = value === true;
      continue;
    }
    if (kind === 'enum-list') {
      if (Array.isArray(value) && value.length > 0) params[name] = value;
      continue;
    }
    if (typeof value !== 'string' || value.trim() === '') continue;
    const text = value.trim();
    if (kind === 'number-list') {
      const items = text.split(/[\s,]+/).filter((item) => item !== '');
      const numbers = items.map(Number);
      if (numbers.some((item) => !Number.isFinite(item)))
        throw new Error(`${humanize(name)}: give numbers separated by commas`);
      params[name] = numbers;
    } else if (kind === 'integer' || kind === 'number') {
      params[name] = Number(text);
    } else if (kind === 'select') {
      const choice = (choicesOf(field) ?? []).find((item) => scalarText(item) === text);
      params[name] = choice ?? text;
    } else if (kind === 'text-or-number') {
      params[name] = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
    } else {
      params[name] = text;
    }
  }
  return params;
}

/** A default or enum value as form text; '' for anything that is not a scalar. */
function scalarText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

function hint(field: JsonSchema): string {
  const parts: string[] = [];
  const items = field.items;
  const bounds = field.type === 'array' && items ? items : field;
  if (bounds.minimum !== undefined && bounds.maximum !== undefined) parts.push(`${bounds.minimum}–${bounds.maximum}`);
  else if (bounds.minimum !== undefined) parts.push(`at least ${bounds.minimum}`);
  else if (bounds.maximum !== undefined) parts.push(`at most ${bounds.maximum}`);
  if (field.type === 'array') {
    if (field.minItems !== undefined && field.maxItems !== undefined)
      parts.push(`${field.minItems} to ${field.maxItems} values`);
    else if (field.minItems !== undefined) parts.push(`at least ${field.minItems}`);
  }
  if (field.default !== undefined)
    parts.push(
      `default ${Array.isArray(field.default) ? field.default.map(scalarText).join(', ') : scalarText(field.default)}`,
    );
  else if (kindOf(field) !== 'boolean') parts.push('optional');
  return parts.join('; ');
}

export function SchemaFields(props: {
  idPrefix: string;
  schema: JsonSchema;
  values: FormValues;
  onChange: (name: string, value: FieldValue) => void;
}) {
  const entries = Object.entries(props.schema.properties ?? {});
  if (entries.length === 0) return <p class="muted">This operation has no parameters.</p>;
  return (
    <div class="fields">
      {entries.map(([name, field]) => {
        const id = `${props.idPrefix}-${name}`;
        const hintId = `${id}-hint`;
        const label = field.title ?? humanize(name);
        const value = props.values[name];
        const kind = kindOf(field);
        const describedBy = hintId;
        const help = (
          <small id={hintId} class="hint">
            {[field.description, hint(field)].filter(Boolean).join(' — ')}
          </small>
        );
        if (kind === 'boolean') {
          return (
            <div class="field field-check" key={name}>
              <input
                id={id}
                type="checkbox"
                checked={value === true}
                aria-describedby={describedBy}
                onChange={(event) => props.onChange(name, event.currentTarget.checked)}
              />
              <label for={id}>{label}</label>
              {help}
            </div>
          );
        }
        if (kind === 'enum-list') {
          const selected = Array.isArray(value) ? value : [];
          return (
            <fieldset class="field" key={name} aria-describedby={describedBy}>
              <legend>{label}</legend>
              {(choicesOf(field.items ?? {}) ?? []).map((choice) => {
                const text = scalarText(choice);
                return (
                  <label class="inline-check" key={text}>
                    <input
                      type="checkbox"
                      name={name}
                      value={text}
                      checked={selected.includes(text)}
                      onChange={(event) =>
                        props.onChange(
                          name,
                          event.currentTarget.checked ? [...selected, text] : selected.filter((item) => item !== text),
                        )
                      }
                    />
                    {text}
                  </label>
                );
              })}
              {help}
            </fieldset>
          );
        }
        if (kind === 'select') {
          const choices = choicesOf(field) ?? [];
          return (
            <div class="field" key={name}>
              <label for={id}>{label}</label>
              <select
                id={id}
                value={typeof value === 'string' ? value : ''}
                aria-describedby={describedBy}
                onChange={(event) => props.onChange(name, event.currentTarget.value)}
              >
                {field.default === undefined ? <option value="">(default)</option> : null}
                {choices.map((choice) => (
                  <option key={scalarText(choice)} value={scalarText(choice)}>
                    {scalarText(choice)}
                  </option>
                ))}
              </select>
              {help}
            </div>
          );
        }
        const numeric = kind === 'integer' || kind === 'number';
        const text = typeof value === 'string' ? value : '';
        const onInput = (event: { currentTarget: HTMLInputElement }): void =>
          props.onChange(name, event.currentTarget.value);
        return (
          <div class="field" key={name}>
            <label for={id}>{label}</label>
            {numeric ? (
              <input
                id={id}
                type="number"
                inputMode="decimal"
                min={field.minimum}
                max={field.maximum}
                step={kind === 'integer' ? 1 : 'any'}
                value={text}
                aria-describedby={describedBy}
                onInput={onInput}
              />
            ) : (
              <input
                id={id}
                type="text"
                inputMode={kind === 'number-list' ? 'decimal' : undefined}
                pattern={kind === 'text' ? field.pattern : undefined}
                value={text}
                aria-describedby={describedBy}
                onInput={onInput}
              />
            )}
            {help}
          </div>
        );
      })}
    </div>
  );
}
