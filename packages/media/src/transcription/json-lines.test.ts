import { JsonLineDecoder } from './json-lines';

describe('JsonLineDecoder', () => {
  it('joins values split across chunks, including inside multi-byte text', () => {
    const decoder = new JsonLineDecoder();
    expect(decoder.push('{"a":1}\n{"text":"caf')).toEqual([{ kind: 'json', value: { a: 1 } }]);
    expect(decoder.push('é"}\r\n\n')).toEqual([{ kind: 'json', value: { text: 'café' } }]);
  });

  it('hands back lines that are not JSON as text', () => {
    const decoder = new JsonLineDecoder();
    expect(decoder.push('warning: something\n[1,2]\n')).toEqual([
      { kind: 'text', text: 'warning: something' },
      { kind: 'json', value: [1, 2] },
    ]);
  });

  it('flushes a last line without a newline', () => {
    const decoder = new JsonLineDecoder();
    expect(decoder.push('{"done":true}')).toEqual([]);
    expect(decoder.flush()).toEqual([{ kind: 'json', value: { done: true } }]);
    expect(decoder.flush()).toEqual([]);
  });

  it('drops an over-long line without keeping it in memory, then carries on', () => {
    const decoder = new JsonLineDecoder(10);
    const first = decoder.push('x'.repeat(25));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ kind: 'text' });
    expect(decoder.push('yyy\n{"ok":1}\n')).toEqual([{ kind: 'json', value: { ok: 1 } }]);
  });
});
