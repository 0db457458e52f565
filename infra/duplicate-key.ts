// Recognising a lost primary-key race, for the insert-only records the embedded database
// needs (it makes no single-document update atomic); models import it without a cycle.

/** True for a unique-index violation: the write lost a race to an identical one. */
export function isDuplicateKeyError(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000
  );
}

/** True for a batch write that failed only where records stood already (each a duplicate key). */
export function onlyDuplicateKeyErrors(error: unknown): boolean {
  const { writeErrors } = (error ?? {}) as { writeErrors?: unknown };
  if (writeErrors === undefined) return isDuplicateKeyError(error);
  const errors = [writeErrors].flat();
  return errors.length > 0 && errors.every(isDuplicateKeyError);
}
