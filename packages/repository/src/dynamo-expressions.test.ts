import { buildUpdate } from './dynamo-expressions';
import type { DynamoExpression } from './dynamo-expressions';

/** Substitutes placeholders back, so tests read the expression DynamoDB will evaluate. */
function resolve(expression: DynamoExpression, text: string | undefined): string {
  return (text ?? '')
    .replace(/#n\d+/g, (placeholder) => expression.ExpressionAttributeNames[placeholder] ?? '?')
    .replace(/:v\d+/g, (placeholder) => JSON.stringify(expression.ExpressionAttributeValues?.[placeholder]));
}

describe('buildUpdate', () => {
  it('renders set, copy, append, remove and a nested condition, skipping undefined values', () => {
    const expression = buildUpdate({
      set: { status: 'processing', speed: undefined, progress: 0 },
      copy: { lease_sort: 'created_at' },
      remove: ['eta_seconds'],
      append: { history: [{ status: 'processing' }] },
      condition: {
        and: [
          { equals: ['status', 'queued'] },
          { or: [{ notExists: 'worker_id' }, { lessThan: ['lease', 'x'] }, { atMost: ['retry_at', 'y'] }] },
        ],
      },
    });
    expect(resolve(expression, expression.UpdateExpression)).toBe(
      'SET status = "processing", progress = 0, lease_sort = created_at, ' +
        'history = list_append(history, [{"status":"processing"}]) REMOVE eta_seconds',
    );
    expect(resolve(expression, expression.ConditionExpression)).toBe(
      '(status = "queued" AND (attribute_not_exists(worker_id) OR lease < "x" OR retry_at <= "y"))',
    );
    expect(Object.values(expression.ExpressionAttributeNames)).not.toContain('speed');
    // Reserved words never appear bare.
    expect(expression.UpdateExpression).not.toMatch(/\bstatus\b/);
  });

  it('reuses one placeholder per attribute name', () => {
    const expression = buildUpdate({ set: { status: 'a' }, condition: { equals: ['status', 'b'] } });
    expect(expression.ExpressionAttributeNames).toEqual({ '#n0': 'status' });
  });

  it('omits empty parts', () => {
    expect(buildUpdate({ remove: ['speed'] })).toEqual({
      UpdateExpression: 'REMOVE #n0',
      ExpressionAttributeNames: { '#n0': 'speed' },
    });
  });
});
