import { z } from 'zod';
import { AppError } from '@mediaflow/domain';
import { defineOperation } from './operation-definition';
import type { RegisteredOperation } from './operation-definition';
import { OPERATIONS, acceptedOperationNames, assertValidRegistry, findOperation, operationFor } from './registry';

/** A minimal operation for registry checks; its planner is never called. */
function fakeOperation<Name extends string>(name: Name, aliases: readonly string[] = []): RegisteredOperation<Name> {
  return defineOperation({
    name,
    aliases,
    summary: `fake ${name}`,
    schema: z.strictObject({
      method_name: z.literal(name),
      output_format: z.literal('mp4').default('mp4'),
      params: z.strictObject({}).default({}),
    }),
    plan: () => {
      throw new Error('not planned in these tests');
    },
  });
}

describe('assertValidRegistry', () => {
  it('accepts the real registry', () => {
    expect(() => assertValidRegistry(OPERATIONS)).not.toThrow();
  });

  it('accepts distinct, well-formed names and aliases', () => {
    expect(() => assertValidRegistry([fakeOperation('alpha', ['first']), fakeOperation('beta_2')])).not.toThrow();
  });

  it('refuses a name registered twice', () => {
    expect(() => assertValidRegistry([fakeOperation('alpha'), fakeOperation('alpha')])).toThrow(
      /"alpha" is registered twice/,
    );
  });

  it('refuses an alias registered twice, or one that is another operation’s name', () => {
    expect(() => assertValidRegistry([fakeOperation('alpha', ['shared']), fakeOperation('beta', ['shared'])])).toThrow(
      /"shared" is registered twice \(by alpha and beta\)/,
    );
    expect(() => assertValidRegistry([fakeOperation('alpha'), fakeOperation('beta', ['alpha'])])).toThrow(
      /"alpha" is registered twice/,
    );
    // An alias repeated within one operation is as ambiguous on the wire as across two.
    expect(() => assertValidRegistry([fakeOperation('alpha', ['again', 'again'])])).toThrow(/"again"/);
  });

  it('refuses a name its schema does not accept as method_name', () => {
    // Stored jobs are re-parsed with the schema of the operation their name finds: they must agree.
    const mismatched: RegisteredOperation = { ...fakeOperation('beta'), name: 'alpha' };
    expect(() => assertValidRegistry([mismatched])).toThrow(/alpha's schema accepts method_name "beta"/);
  });

  it.each(['Alpha', 'black-and-white', '9lives', '', 'a b', `a${'x'.repeat(64)}`])(
    'refuses the invalid name %p, as a name or as an alias',
    (name) => {
      const invalid: RegisteredOperation = { ...fakeOperation('alpha'), name };
      expect(() => assertValidRegistry([invalid])).toThrow(/is not a valid operation name/);
      expect(() => assertValidRegistry([fakeOperation('alpha', [name])])).toThrow(/is not a valid operation name/);
    },
  );
});

describe('lookups', () => {
  it('finds an operation by its name or an alias', () => {
    for (const operation of OPERATIONS) {
      expect(findOperation(operation.name)).toBe(operation);
      for (const alias of operation.aliases) expect(findOperation(alias)).toBe(operation);
    }
    expect(findOperation('black_and_white')?.name).toBe('grayscale');
    expect(findOperation('nope')).toBeUndefined();
  });

  it('operationFor refuses a name no operation has with UNKNOWN_OPERATION', () => {
    let thrown: unknown;
    try {
      operationFor('nope');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ code: 'UNKNOWN_OPERATION' });
    expect((thrown as AppError).message).toContain('"nope"');
    expect(operationFor('compress')).toBe(findOperation('compress'));
  });

  it('lists every accepted name once, canonical names first', () => {
    const names = acceptedOperationNames();
    expect(new Set(names).size).toBe(names.length);
    expect(names.slice(0, OPERATIONS.length)).toEqual(OPERATIONS.map((operation) => operation.name));
    expect(names).toContain('black_and_white');
  });
});
