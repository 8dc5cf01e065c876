// Loading what a screen shows: still loading, why it failed, or the value, and a way to load again.

import { useCallback, useEffect, useState } from "preact/hooks";
import { messageOf } from "../api/client";

/** A union, so a screen cannot read the value before it is there. */
export type Loaded<T> =
  | { state: "loading"; reload: () => void }
  | { state: "failed"; message: string; reload: () => void }
  | { state: "ready"; value: T; set: (value: T) => void; reload: () => void };

type Held<T> = { value: T } | null;

/**
 * Runs `load` once, again on `reload()`, and again when any of `deps` changes (`load` is a new
 * closure each render, so it cannot be the dependency itself). While loading again the last value
 * stays on screen, so a list does not flash to a spinner after each change; a failure wins.
 */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[] = []): Loaded<T> {
  // Boxed, so a loader that resolves to undefined or null still counts as loaded.
  const [held, setHeld] = useState<Held<T>>(null);
  const [error, setError] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let stale = false;
    setError(null);
    load().then(
      (value) => {
        if (!stale) setHeld({ value });
      },
      (caught: unknown) => {
        if (!stale) setError(messageOf(caught));
      },
    );
    return () => {
      stale = true;
    };
  }, [round, ...deps]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  const set = useCallback((value: T) => setHeld({ value }), []);
  if (error !== null) return { state: "failed", message: error, reload };
  if (held === null) return { state: "loading", reload };
  return { state: "ready", value: held.value, set, reload };
}
