// Stopping what npm start and npm run start:cluster started, in order.

import type { Logger } from '../infra/logger';

/** Stops each part in turn, even when one before it failed; says whether all went well. */
export async function stopInOrder(
  logger: Logger,
  steps: readonly [what: string, stop: () => Promise<unknown>][],
): Promise<boolean> {
  logger.info('shutting down');
  let clean = true;
  for (const [what, stop] of steps) {
    try {
      await stop();
    } catch (error) {
      clean = false;
      logger.error({ err: error }, `stopping ${what} failed`);
    }
  }
  logger.info(clean ? 'stopped' : 'stopped, with errors');
  return clean;
}
