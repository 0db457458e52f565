// Provider webhooks on the wire, only to targets infra/webhook-targets.ts allows. The URL is
// checked before anything is sent; an IP host is checked again when the connection opens, and
// a host name is resolved when the connection opens, every address it resolves to is checked,
// and the socket connects to those very addresses. So a name that resolved to a public address
// at registration cannot be pointed at a private one later (DNS rebinding): the check and the
// connection use one answer. Redirects are not followed (a 3xx is a failed delivery), so a
// provider cannot bounce a webhook elsewhere either.

import { promises as dns, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import { addressRefusal, checkWebhookUrl, type WebhookTargetPolicy } from './webhook-targets';

/** A webhook that must not be sent where its URL points; retrying cannot change that. */
export class WebhookTargetRefused extends Error {
  override readonly name = 'WebhookTargetRefused';
}

/** Every address of a host name, as the system resolver (dns.lookup, /etc/hosts too) gives them. */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

const systemResolve: Resolve = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/** Why webhooks may not go to `host`, which resolved to `addresses`: any refused one refuses it. */
function resolvedRefusal(
  host: string,
  addresses: readonly LookupAddress[],
  policy: WebhookTargetPolicy,
): string | undefined {
  for (const { address } of addresses) {
    const refusal = addressRefusal(address, policy);
    if (refusal) return `${host}: ${refusal}`;
  }
  return undefined;
}

/**
 * Why a webhook URL may not be registered, or undefined. A host name is resolved (for at most
 * `timeoutMs`); one that does not resolve now is accepted, since every delivery resolves and
 * checks it again.
 */
export async function webhookUrlRefusal(
  url: string,
  policy: WebhookTargetPolicy,
  options: { resolve?: Resolve; timeoutMs?: number } = {},
): Promise<string | undefined> {
  const check = checkWebhookUrl(url, policy);
  if (!check.allowed) return check.reason;
  if (check.address !== undefined) return undefined;
  const { resolve = systemResolve, timeoutMs = 2000 } = options;
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<undefined>((settle) => {
    timer = setTimeout(settle, timeoutMs, undefined).unref();
  });
  try {
    const addresses = await Promise.race([resolve(check.host), gaveUp]);
    return addresses && resolvedRefusal(check.host, addresses, policy);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** A `lookup` for net/tls.connect that answers only addresses the policy allows. */
function guardedLookup(policy: WebhookTargetPolicy, resolve: Resolve): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (all) => {
        const refusal = resolvedRefusal(hostname, all, policy);
        if (refusal) return callback(new WebhookTargetRefused(refusal), '', 0);
        const family =
          options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const addresses = family ? all.filter((a) => a.family === family) : all;
        const [first] = addresses;
        if (!first) {
          const error: NodeJS.ErrnoException = new Error(`no address for ${hostname}`);
          error.code = 'ENOTFOUND';
          return callback(error, '', 0);
        }
        if (options.all) return callback(null, addresses);
        return callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/** The header saying which try of a delivery this is (1 for the first, more for retries). */
export const DELIVERY_ATTEMPT_HEADER = 'Orderflow-Delivery-Attempt';

export interface WebhookClient {
  /** POSTs `body`; the provider's HTTP status, or WebhookTargetRefused before anything is sent. */
  post(
    url: string,
    options: { headers: Record<string, string>; body: string; timeoutMs: number },
  ): Promise<{ status: number }>;
  close(): Promise<void>;
}

export function createWebhookClient(
  policy: WebhookTargetPolicy,
  options: { resolve?: Resolve } = {},
): WebhookClient {
  const connectChecked = buildConnector({
    lookup: guardedLookup(policy, options.resolve ?? systemResolve),
  });
  const agent = new Agent({
    // An IP host connects without a lookup: it is checked here instead.
    connect: (target, callback) => {
      const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
      const refusal = isIP(host) ? addressRefusal(host, policy) : undefined;
      if (refusal) return callback(new WebhookTargetRefused(refusal), null);
      connectChecked(target, callback);
    },
  });
  return {
    async post(url, { headers, body, timeoutMs }) {
      const check = checkWebhookUrl(url, policy);
      if (!check.allowed) throw new WebhookTargetRefused(check.reason);
      const response = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: agent,
        maxRedirections: 0,
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Read (up to a limit) and dropped, so the connection can be reused.
      await response.body.dump();
      return { status: response.statusCode };
    },
    close: () => agent.close(),
  };
}

/** The refusal inside an error (undici may wrap what the connection failed with), if any. */
export function targetRefusalOf(error: unknown): WebhookTargetRefused | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof WebhookTargetRefused) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
