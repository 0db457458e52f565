// Every response says how long this process took to answer it, as `Server-Timing: app;dur=…`
// (milliseconds, W3C Server Timing): from the request reaching Express to its headers being
// written. A caller whose answer came later than that can tell the network, a proxy or its
// own machine from the API (the fault suite judges checkout's deadline by it).

import responseTime from 'response-time';

/** The Server-Timing metric this API reports its own time under. */
const SERVER_TIMING_METRIC = 'app';

export const serverTiming = () =>
  responseTime((_req, res, ms) => {
    res.setHeader('Server-Timing', `${SERVER_TIMING_METRIC};dur=${ms.toFixed(1)}`);
  });

const OWN_DURATION = new RegExp(`(?:^|,)\\s*${SERVER_TIMING_METRIC};dur=([0-9.]+)`);

/** This API's own time in a Server-Timing header, or undefined when it names none. */
export function serverTimingMs(header: string | null | undefined): number | undefined {
  const match = header?.match(OWN_DURATION);
  return match ? Number(match[1]) : undefined;
}
