// What the payload codec costs per payload: `npm run bench:codec -- [payloads]`. Encodes and
// decodes an order-snapshot-sized payload through the EncryptionCodec (infra/codec.ts) that
// the API and the workers use, in batches of three as the SDK hands them over, and prints the
// CPU microseconds per payload of each, the median of five rounds. Nothing here asserts: it
// measures (run it at two commits to compare).

import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { EncryptionCodec, Keyring } from '../infra/codec';

const PAYLOADS = Number(process.argv[2] ?? 30_000);
if (!Number.isSafeInteger(PAYLOADS) || PAYLOADS <= 0) {
  process.stderr.write('usage: npm run bench:codec -- [payloads]\n');
  process.exit(2);
}
const BATCH = 3;
const ROUNDS = 5;

const codec = new EncryptionCodec(
  new Keyring([{ id: 'bench', key: randomBytes(32).toString('base64') }], 'bench'),
);
const snapshotLike = defaultPayloadConverter.toPayload({
  orderId: 'ord_0123456789abcdef01234567',
  status: 'confirmed',
  vertical: 'grocery',
  grocery: {
    items: Array.from({ length: 5 }, (_, n) => ({ sku: `sku-${n}`, quantity: n + 1, price: 250 })),
    deliveryAddress: '1 Example Road, Hangzhou',
  },
  amounts: { total: 1_250, authorised: 1_250, captured: 1_250, refunded: 0 },
  revision: 4,
});

/** CPU microseconds per payload for `step` over PAYLOADS payloads, in batches. */
async function cpuUsPerPayload(step: (batch: Payload[]) => Promise<Payload[]>, input: Payload[]) {
  const started = process.cpuUsage();
  for (let sent = 0; sent < PAYLOADS; sent += BATCH) await step(input);
  const { user, system } = process.cpuUsage(started);
  return (user + system) / PAYLOADS;
}

async function main() {
  const plain = Array.from({ length: BATCH }, () => snapshotLike);
  const sealed = await codec.encode(plain);
  const rounds: { encode: number; decode: number }[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const encode = await cpuUsPerPayload((batch) => codec.encode(batch), plain);
    const decode = await cpuUsPerPayload((batch) => codec.decode(batch), sealed);
    if (round > 0) rounds.push({ encode, decode }); // the first round warms up
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[ROUNDS >> 1]!;
  process.stdout.write(
    `${PAYLOADS} payloads of ${snapshotLike.data!.length} bytes per round, median of ${ROUNDS}: ` +
      `encode ${median(rounds.map((r) => r.encode)).toFixed(2)} µs CPU per payload, ` +
      `decode ${median(rounds.map((r) => r.decode)).toFixed(2)}\n`,
  );
}

void main();
