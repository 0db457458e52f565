// Where provider webhooks may go (a guard against server-side request forgery): what kind of
// address an IP is, and whether a webhook URL's scheme and host are allowed. Never a cloud
// metadata service; loopback, private and link-local addresses only when the server allows
// private webhooks (ALLOW_PRIVATE_WEBHOOKS: the embedded development setup, the tests). Pure:
// resolving names and connecting only to checked addresses is infra/webhook-client.ts's job.

import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface WebhookTargetPolicy {
  /** Loopback, private and link-local targets are allowed (never metadata services). */
  allowPrivate: boolean;
}

export type AddressKind = 'public' | 'metadata' | 'loopback' | 'private' | 'link_local' | 'special';

/** Kinds refused only while private webhooks are not allowed; the rest of the non-public always. */
const PRIVATE_KINDS: ReadonlySet<AddressKind> = new Set(['loopback', 'private', 'link_local']);

const PRIVATE_NOTE = ' (this server does not allow private webhooks)';

const KIND_WORDS: Record<Exclude<AddressKind, 'public'>, string> = {
  metadata: 'a cloud metadata address',
  loopback: 'a loopback address',
  private: 'a private address',
  link_local: 'a link-local address',
  special: 'not an address webhooks can be sent to',
};

/** First match wins: the metadata addresses sit inside ranges of other kinds. */
const RANGES: readonly (readonly [cidr: string, kind: Exclude<AddressKind, 'public'>])[] = [
  // AWS, Azure, GCP, Oracle…; Alibaba Cloud; AWS over IPv6.
  ['169.254.169.254/32', 'metadata'],
  ['100.100.100.200/32', 'metadata'],
  ['fd00:ec2::254/128', 'metadata'],
  ['127.0.0.0/8', 'loopback'],
  ['::1/128', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  // Carrier-grade NAT (shared address space), IETF protocol assignments, benchmarking.
  ['100.64.0.0/10', 'private'],
  ['192.0.0.0/24', 'private'],
  ['198.18.0.0/15', 'private'],
  // Unique-local, and the deprecated site-local.
  ['fc00::/7', 'private'],
  ['fec0::/10', 'private'],
  ['169.254.0.0/16', 'link_local'],
  ['fe80::/10', 'link_local'],
  // "This network" (0.0.0.0 reaches the host itself), multicast, reserved, broadcast; IPv6
  // unspecified, IPv4-compatible (deprecated), discard-only and multicast.
  ['0.0.0.0/8', 'special'],
  ['224.0.0.0/4', 'special'],
  ['240.0.0.0/4', 'special'],
  ['::/96', 'special'],
  ['100::/64', 'special'],
  ['ff00::/8', 'special'],
];

const PARSED_RANGES = RANGES.map(([cidr, kind]) => [ipaddr.parseCIDR(cidr), kind] as const);

/**
 * IPv6 prefixes whose last 32 bits are an IPv4 address the packets reach: IPv4-mapped
 * (`::ffff:a.b.c.d`, which the socket connects to over IPv4), IPv4-translated and the NAT64
 * well-known prefix. Such an address is what its IPv4 address is.
 */
const EMBEDDING_IPV4 = ['::ffff:0:0/96', '::ffff:0:0:0/96', '64:ff9b::/96'].map((cidr) =>
  ipaddr.parseCIDR(cidr),
);

/** What kind of address `ip` is (an IPv4 or IPv6 address, as `net.isIP` accepts). */
export function classifyAddress(ip: string): AddressKind {
  if (isIP(ip) === 0) throw new TypeError(`not an IP address: ${ip}`);
  let address = ipaddr.parse(ip);
  if (address.kind() === 'ipv6' && EMBEDDING_IPV4.some((range) => address.match(range)))
    address = ipaddr.fromByteArray(address.toByteArray().slice(12));
  for (const [range, kind] of PARSED_RANGES) {
    if (range[0].kind() === address.kind() && address.match(range)) return kind;
  }
  return 'public';
}

/** Why webhooks may not go to `ip` under `policy`, or undefined when they may. */
export function addressRefusal(ip: string, policy: WebhookTargetPolicy): string | undefined {
  const kind = classifyAddress(ip);
  if (kind === 'public' || (policy.allowPrivate && PRIVATE_KINDS.has(kind))) return undefined;
  return `${ip} is ${KIND_WORDS[kind]}${PRIVATE_KINDS.has(kind) ? PRIVATE_NOTE : ''}`;
}

/** Host names of metadata services, refused whatever they resolve to (or before they do). */
const METADATA_HOSTS = new Set(['metadata.google.internal']);

export type WebhookUrlCheck =
  | { allowed: false; reason: string }
  /** `address` when the host is an IP address; otherwise its name must be resolved. */
  | { allowed: true; host: string; address?: string };

/**
 * Whether a webhook URL may be used as far as the URL itself tells: http(s), no user name or
 * password, and a host that is not a refused address or name. A host name passes here; its
 * addresses are checked when it is resolved (at registration and at every connection).
 */
export function checkWebhookUrl(raw: string, policy: WebhookTargetPolicy): WebhookUrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { allowed: false, reason: 'not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { allowed: false, reason: 'must be an http or https URL' };
  if (url.username !== '' || url.password !== '')
    return { allowed: false, reason: 'must not carry a user name or password' };
  // The WHATWG parser has already turned 0x7f.1, 2130706433 and the like into 127.0.0.1.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (isIP(host) !== 0) {
    const refusal = addressRefusal(host, policy);
    return refusal ? { allowed: false, reason: refusal } : { allowed: true, host, address: host };
  }
  if (METADATA_HOSTS.has(host))
    return { allowed: false, reason: `${host} is ${KIND_WORDS.metadata}` };
  // Names under .localhost are the host itself (RFC 6761), whatever a resolver says.
  if ((host === 'localhost' || host.endsWith('.localhost')) && !policy.allowPrivate)
    return { allowed: false, reason: `${host} is ${KIND_WORDS.loopback}${PRIVATE_NOTE}` };
  return { allowed: true, host };
}
