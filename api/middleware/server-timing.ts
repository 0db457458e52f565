// Every response says how long this process took to answer it, as `Server-Timing: app;dur=…`
// (milliseconds, W3C Server Timing): from the request reaching Express to its headers being
// written. A caller whose answer came later than that can tell the network, a proxy or its
// own machine from the API (the fault suite judges checkout's deadline by it). A route may add
// the parts of that time after it (checkout: `validation`, `idempotency`, `payment`), so an app
// or the load generator can tell which step a slow answer spent its time in.

import type { ServerResponse } from 'node:http';
import responseTime from 'response-time';

/** The Server-Timing metric this API reports its own time under. */
const SERVER_TIMING_METRIC = 'app';

/** Where a response's parts wait until its headers are written. */
const PARTS = Symbol('server timing parts');
type WithParts = ServerResponse & { [PARTS]?: string[] };

/** Adds a part of this response's time, `name;dur=<ms>`, to its Server-Timing header. */
export function addServerTiming(res: ServerResponse, name: string, ms: number): void {
  const parts = ((res as WithParts)[PARTS] ??= []);
  parts.push(`${name};dur=${ms.toFixed(1)}`);
}

export const serverTiming = () =>
  responseTime((_req, res, ms) => {
    const parts = (res as WithParts)[PARTS] ?? [];
    res.setHeader(
      'Server-Timing',
      [`${SERVER_TIMING_METRIC};dur=${ms.toFixed(1)}`, ...parts].join(', '),
    );
  });

/** A Server-Timing header's metrics that carry a duration, name to milliseconds (first wins). */
export function serverTimings(header: string | null | undefined): Record<string, number> {
  const timings: Record<string, number> = {};
  for (const metric of header?.split(',') ?? []) {
    const [name, ...params] = metric.split(';').map((part) => part.trim());
    const duration = params.find((param) => param.startsWith('dur='))?.slice('dur='.length);
    const ms = duration ? Number(duration) : NaN;
    if (name && Number.isFinite(ms)) timings[name] ??= ms;
  }
  return timings;
}

/** This API's own time in a Server-Timing header, or undefined when it names none. */
export function serverTimingMs(header: string | null | undefined): number | undefined {
  return serverTimings(header)[SERVER_TIMING_METRIC];
}
