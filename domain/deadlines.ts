// How long a provider has to answer a new order, by vertical, unless the provider's own
// setting says otherwise.

import type { Vertical } from './order';

const DEFAULT_CONFIRMATION_TIMEOUT_SECONDS: Readonly<Record<Vertical, number>> = {
  grocery: 10 * 60,
  hotel: 24 * 60 * 60,
  teleconsultation: 2 * 60 * 60,
};

export function confirmationTimeoutSeconds(
  vertical: Vertical,
  providerSetting?: number | null,
): number {
  return providerSetting ?? DEFAULT_CONFIRMATION_TIMEOUT_SECONDS[vertical];
}
