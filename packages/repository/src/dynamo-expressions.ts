/**
 * Builds DynamoDB update and condition expressions with every attribute name
 * behind a placeholder, so reserved words such as `status`, `error` and
 * `source` never need special care at the call site.
 */
export interface DynamoExpression {
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

export type Condition =
  | { equals: [attribute: string, value: unknown] }
  | { lessThan: [attribute: string, value: unknown] }
  | { atMost: [attribute: string, value: unknown] }
  | { exists: string }
  | { notExists: string }
  | { and: Condition[] }
  | { or: Condition[] };

export interface UpdateSpec {
  /** Undefined values are skipped, not written. */
  set?: Record<string, unknown>;
  /** Attributes set to the current value of another attribute of the same item. */
  copy?: Record<string, string>;
  remove?: readonly string[];
  /** Values appended to list attributes. */
  append?: Record<string, unknown[]>;
  condition?: Condition;
}

export function buildUpdate(spec: UpdateSpec): DynamoExpression {
  const names = new Map<string, string>();
  const values: Record<string, unknown> = {};
  const name = (attribute: string): string => {
    let placeholder = names.get(attribute);
    if (placeholder === undefined) {
      placeholder = `#n${names.size}`;
      names.set(attribute, placeholder);
    }
    return placeholder;
  };
  const value = (raw: unknown): string => {
    const placeholder = `:v${Object.keys(values).length}`;
    values[placeholder] = raw;
    return placeholder;
  };

  const setClauses = Object.entries(spec.set ?? {})
    .filter(([, raw]) => raw !== undefined)
    .map(([attribute, raw]) => `${name(attribute)} = ${value(raw)}`);
  const appendClauses = Object.entries(spec.append ?? {}).map(
    ([attribute, items]) => `${name(attribute)} = list_append(${name(attribute)}, ${value(items)})`,
  );
  const copyClauses = Object.entries(spec.copy ?? {}).map(([target, source]) => `${name(target)} = ${name(source)}`);
  const assignments = [...setClauses, ...copyClauses, ...appendClauses];
  const removals = (spec.remove ?? []).map(name);

  const clauses: string[] = [];
  if (assignments.length > 0) clauses.push(`SET ${assignments.join(', ')}`);
  if (removals.length > 0) clauses.push(`REMOVE ${removals.join(', ')}`);

  const render = (condition: Condition): string => {
    if ('equals' in condition) return `${name(condition.equals[0])} = ${value(condition.equals[1])}`;
    if ('lessThan' in condition) return `${name(condition.lessThan[0])} < ${value(condition.lessThan[1])}`;
    if ('atMost' in condition) return `${name(condition.atMost[0])} <= ${value(condition.atMost[1])}`;
    if ('exists' in condition) return `attribute_exists(${name(condition.exists)})`;
    if ('notExists' in condition) return `attribute_not_exists(${name(condition.notExists)})`;
    if ('and' in condition) return `(${condition.and.map(render).join(' AND ')})`;
    return `(${condition.or.map(render).join(' OR ')})`;
  };
  const conditionExpression = spec.condition === undefined ? undefined : render(spec.condition);

  return {
    UpdateExpression: clauses.join(' '),
    ...(conditionExpression === undefined ? {} : { ConditionExpression: conditionExpression }),
    ExpressionAttributeNames: Object.fromEntries(
      [...names].map(([attribute, placeholder]) => [placeholder, attribute]),
    ),
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
}
