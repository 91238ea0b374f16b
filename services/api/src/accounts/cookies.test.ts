import { AppError } from '@mediaflow/domain';
import { checkCsrf, parseCookies } from './cookies';

function request(headers: Record<string, string>): { get(name: string): string | undefined } {
  const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return { get: (name: string) => lower[name.toLowerCase()] };
}

function refusal(headers: Record<string, string>): string | undefined {
  try {
    checkCsrf(request(headers) as Parameters<typeof checkCsrf>[0]);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CSRF_REJECTED');
    expect((error as AppError).status).toBe(403);
    return (error as AppError).message;
  }
}

describe('CSRF check (double submit and Origin)', () => {
  const cookie = 'mf_refresh=mfr_x; mf_csrf=abc123';

  it('passes when X-CSRF-Token repeats the mf_csrf cookie and Origin is absent or this API', () => {
    expect(refusal({ host: '127.0.0.1:8000', cookie, 'x-csrf-token': 'abc123' })).toBeUndefined();
    expect(
      refusal({ host: '127.0.0.1:8000', origin: 'http://127.0.0.1:8000', cookie, 'x-csrf-token': 'abc123' }),
    ).toBeUndefined();
  });

  it('refuses a missing or wrong header, a missing cookie, and another origin', () => {
    expect(refusal({ host: 'api', cookie })).toMatch(/must repeat/);
    expect(refusal({ host: 'api', cookie, 'x-csrf-token': 'abc124' })).toMatch(/does not match/);
    expect(refusal({ host: 'api', cookie, 'x-csrf-token': 'abc1234' })).toMatch(/does not match/);
    expect(refusal({ host: 'api', cookie: 'mf_refresh=x', 'x-csrf-token': 'abc123' })).toMatch(/must repeat/);
    expect(refusal({ host: 'api', origin: 'https://evil.example', cookie, 'x-csrf-token': 'abc123' })).toMatch(
      /another origin/,
    );
    expect(refusal({ host: 'api', origin: 'null', cookie, 'x-csrf-token': 'abc123' })).toMatch(/another origin/);
  });

  it('parses cookies, the first of duplicates winning', () => {
    expect([...parseCookies('a=1; b="2"; a=3; junk; =x')]).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });
});
