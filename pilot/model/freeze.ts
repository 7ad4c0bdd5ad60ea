// PushContext hands out shared objects to every generator; freezing them makes
// an accidental mutation in one generator throw instead of corrupting the push.

export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key of Object.keys(value as object))
    deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}

export const EMPTY: readonly never[] = Object.freeze([]);

/** `obj` itself when already frozen (the memory store freezes what it stores), else a frozen copy: never freeze a caller's object. */
export function frozenCopy<T>(obj: T): T {
  return Object.isFrozen(obj) ? obj : deepFreeze(structuredClone(obj));
}
