// What the codec endpoint takes and gives: Temporal's remote codec protocol, payloads in
// protobuf JSON both ways. The route validates with it and the OpenAPI document shows it.

import { z } from 'zod';

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
/** Temporal's `Payloads` in protobuf JSON: bytes as base64; an empty list may be left out. */
export const CodecPayloadsSchema = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }))
    .default([]),
});
export type JsonPayload = z.infer<typeof CodecPayloadsSchema>['payloads'][number];
