// `npm run hash-token -- <token>`: prints the `sha256:<hex>` form of an API token, for
// API_TOKENS entries (`name:role:sha256:<hex>`) that keep the token itself out of the
// configuration. Give no argument to read the token from stdin (keeps it out of shell history).

import { tokenDigest } from '../infra/config';

async function main(): Promise<void> {
  let token = process.argv[2];
  if (token === undefined) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    token = Buffer.concat(chunks).toString('utf8').trim();
  }
  if (token.length < 12) {
    process.stderr.write('usage: npm run hash-token -- <token of at least 12 characters>\n');
    process.exit(2);
  }
  process.stdout.write(`sha256:${tokenDigest(token)}\n`);
}

void main();
