// Recognising a lost primary-key race, for the insert-only records the embedded database
// needs (it makes no single-document update atomic); models import it without a cycle.

/** True for a unique-index violation: the write lost a race to an identical one. */
export function isDuplicateKeyError(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000
  );
}
