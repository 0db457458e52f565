// The "orderflow is running" banner of npm start and npm run start:cluster: where everything
// is, the dev tokens, and a curl example that places a grocery order the demo store accepts.

import { DEV_TOKENS } from './dev-defaults';
import { sampleGroceryOrder } from './sample-orders';

export interface BannerFacts {
  /** Says which topology runs, e.g. ` (cluster mode)`. */
  title?: string;
  apiUrl: string;
  /** Said after the API's URL, e.g. what stands behind it. */
  apiNote?: string;
  temporalUi?: string;
  temporalAddress: string;
  temporalNote?: string;
  mongodbUri: string;
  databaseNote: string;
  /** Lines after Database (cluster mode: the Web UI and the workers). */
  moreLines?: readonly string[];
}

export function printBanner(where: BannerFacts): void {
  // Tomorrow morning: a window must start within 14 days (API.md, "Conventions").
  const body = JSON.stringify(
    sampleGroceryOrder('demo-grocery', {
      customerId: 'cust_demo',
      deliveryAddress: '1 Demo Road, Hangzhou',
    }),
  );
  const lines = [
    '',
    `orderflow is running${where.title ?? ''}`,
    `  API              ${where.apiUrl}   (${where.apiNote ?? ''}OpenAPI: ${where.apiUrl}/openapi.json)`,
    `  Support console  ${where.apiUrl}/support/   (sign in with the support or admin token)`,
    `  Codec server     ${where.apiUrl}/codec   (for the Web UI: sign in at ${where.apiUrl}/codec/session)`,
    `  Temporal         ${where.temporalAddress}${where.temporalUi ? `   Web UI: ${where.temporalUi}` : ''}${where.temporalNote ?? ''}`,
    `  Database         ${where.mongodbUri}${where.databaseNote}`,
    ...(where.moreLines ?? []),
    `  Dev tokens       app=${DEV_TOKENS.app} support=${DEV_TOKENS.support} admin=${DEV_TOKENS.admin}`,
    '',
    'Place a grocery order; the demo store accepts it and the courier delivers it within ~10 s:',
    `  curl -s -X POST ${where.apiUrl}/v1/orders \\`,
    `    -H 'Authorization: Bearer ${DEV_TOKENS.app}' -H 'Content-Type: application/json' \\`,
    `    -H "Idempotency-Key: demo-$(date +%s)" \\`,
    `    -d '${body}'`,
    'then follow it (use the orderId from the answer):',
    `  curl -s ${where.apiUrl}/v1/orders/<orderId> -H 'Authorization: Bearer ${DEV_TOKENS.app}'`,
    '',
    'Press Ctrl-C to stop everything.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
