import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppError, errorMessage } from '@mediaflow/domain';

/**
 * Where webhooks may go. A webhook URL is chosen by a client, so without a
 * policy a client could make the server call its own loopback services, the
 * cloud metadata endpoint (169.254.169.254) or anything on the private
 * network (server-side request forgery).
 */
export interface WebhookAddressPolicy {
  /** WEBHOOK_ALLOW_PRIVATE: every address is allowed (tests, trusted private networks). */
  allowPrivate: boolean;
  /** WEBHOOK_ALLOWED_CIDRS: non-public ranges allowed all the same, e.g. `10.1.0.0/16`. */
  allowedCidrs: readonly string[];
}

/**
 * What an address is, in ipaddr.js's vocabulary: `unicast` is a public
 * address; anything else (`loopback`, `private`, `linkLocal`,
 * `carrierGradeNat`, `multicast`, `unspecified`, `broadcast`, `reserved`,
 * `uniqueLocal`, `rfc6052` NAT64, `6to4`, `teredo`, …) is not. An
 * IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is the IPv4 address it
 * carries, so it cannot smuggle one past the check.
 *
 * @param address An IPv4 or IPv6 literal (a zone id is ignored).
 * @returns The range name, or `invalid` for something that is no address.
 */
export function addressRange(address: string): string {
  const literal = address.replace(/%.*$/, '');
  if (!ipaddr.isValid(literal)) return 'invalid';
  const parsed = ipaddr.parse(literal);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().range();
    return v6.range();
  }
  return parsed.range();
}

/**
 * Why the policy refuses an address, or undefined when it allows it.
 *
 * @param address An IPv4 or IPv6 literal, as DNS resolved it.
 */
export function refusalOf(policy: WebhookAddressPolicy, address: string): string | undefined {
  if (policy.allowPrivate) return undefined;
  const range = addressRange(address);
  if (range === 'unicast') return undefined;
  if (range !== 'invalid' && inAllowedCidr(policy.allowedCidrs, address)) return undefined;
  return `${address} is a ${range} address`;
}

function inAllowedCidr(cidrs: readonly string[], address: string): boolean {
  let parsed = ipaddr.parse(address.replace(/%.*$/, ''));
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return cidrs.some((cidr) => {
    const [network, bits] = ipaddr.parseCIDR(cidr);
    return network.kind() === parsed.kind() && parsed.match([network, bits] as never);
  });
}

/**
 * Checks WEBHOOK_ALLOWED_CIDRS at start-up, so a typo stops the process instead of every delivery.
 * @throws AppError INTERNAL naming the entry that is no CIDR.
 */
export function validateAllowedCidrs(cidrs: readonly string[]): void {
  for (const cidr of cidrs) {
    try {
      ipaddr.parseCIDR(cidr);
    } catch {
      throw new AppError('INTERNAL', `WEBHOOK_ALLOWED_CIDRS: "${cidr}" is not a CIDR such as 10.0.0.0/8 or fd00::/8`);
    }
  }
}

const MAX_URL_LENGTH = 2048;

/**
 * The URL's syntax: http(s), a host, no user name or password, at most 2048 characters.
 * @throws AppError WEBHOOK_URL_REFUSED saying what to change.
 */
export function parseWebhookUrl(raw: string): URL {
  const refuse = (why: string): never => {
    throw new AppError('WEBHOOK_URL_REFUSED', `webhook URL refused: ${why}`);
  };
  if (raw.length > MAX_URL_LENGTH) refuse(`longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse(`"${raw}" is not an absolute URL; use https://host/path`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') refuse(`scheme ${url.protocol} is not http: or https:`);
  if (url.username !== '' || url.password !== '')
    refuse('credentials in the URL are not allowed; sign-check the body instead');
  if (url.hostname === '') refuse('it has no host');
  return url;
}

/** Host name or literal as net.connect takes it (no IPv6 brackets). */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Resolves a host name to every address it has (what dns.lookup with `all` gives). */
export type Resolver = (host: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = async (host) => dns.promises.lookup(host, { all: true, verbatim: true });

/**
 * Resolves the URL's host and checks every address against the policy, as
 * POST /process and POST /webhooks do before they accept a URL. A host with
 * one refused address is refused: which of its addresses a later connection
 * would use is not ours to choose.
 *
 * @returns The URL, normalised.
 * @throws AppError WEBHOOK_URL_REFUSED (400) when the URL is malformed, does not resolve, or reaches a refused address.
 */
export async function checkWebhookUrl(
  raw: string,
  policy: WebhookAddressPolicy,
  resolve: Resolver = systemResolver,
): Promise<string> {
  const url = parseWebhookUrl(raw);
  const addresses = await resolveChecked(hostOf(url), policy, resolve);
  if (addresses.length === 0)
    throw new AppError('WEBHOOK_URL_REFUSED', `webhook URL refused: ${url.host} has no address`);
  return url.toString();
}

/**
 * The host's addresses, all allowed by the policy.
 * @throws AppError WEBHOOK_URL_REFUSED naming a refused address, or when the name does not resolve.
 */
export async function resolveChecked(
  host: string,
  policy: WebhookAddressPolicy,
  resolve: Resolver = systemResolver,
): Promise<LookupAddress[]> {
  let addresses: LookupAddress[];
  if (net.isIP(host) !== 0) {
    addresses = [{ address: host, family: net.isIP(host) }];
  } else {
    try {
      addresses = await resolve(host);
    } catch (error) {
      throw new AppError(
        'WEBHOOK_URL_REFUSED',
        `webhook URL refused: ${host} does not resolve (${errorMessage(error)})`,
      );
    }
  }
  for (const { address } of addresses) {
    const refusal = refusalOf(policy, address);
    if (refusal !== undefined) {
      throw new AppError(
        'WEBHOOK_URL_REFUSED',
        `webhook URL refused: ${host} resolves to ${refusal}; webhooks go to public addresses only ` +
          '(an operator can allow others with WEBHOOK_ALLOW_PRIVATE=true or WEBHOOK_ALLOWED_CIDRS)',
      );
    }
  }
  return addresses;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that resolves the name once, checks the
 * addresses against the policy, and hands the socket exactly those: the
 * address checked is the address connected to, so a DNS answer that changes
 * between the check and the connection (DNS rebinding) cannot redirect the
 * request. Node calls it with `all: true` when it tries several addresses
 * (autoSelectFamily), else wants one address.
 */
export function pinnedLookup(
  policy: WebhookAddressPolicy,
  resolve: Resolver = systemResolver,
): (hostname: string, options: LookupOptions, callback: LookupCallback) => void {
  return (hostname, options, callback) => {
    resolveChecked(hostname, policy, resolve).then(
      (addresses) => {
        const wanted =
          options.family === 4 || options.family === 6
            ? addresses.filter((a) => a.family === options.family)
            : addresses;
        const first = wanted[0];
        if (first === undefined) {
          const error: NodeJS.ErrnoException = new Error(`${hostname} has no IPv${String(options.family)} address`);
          error.code = 'ENOTFOUND';
          callback(error, []);
          return;
        }
        if (options.all === true) callback(null, wanted);
        else callback(null, first.address, first.family);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), []),
    );
  };
}
