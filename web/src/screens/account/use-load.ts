// Loading what a screen shows: the value, or why it failed, and a way to try again.

import { useCallback, useEffect, useState } from "preact/hooks";
import { messageOf } from "../../api/client";

export type Loaded<T> =
  | { state: "loading" }
  | { state: "failed"; message: string; retry: () => void }
  | { state: "ready"; value: T; set: (value: T) => void };

export function useLoad<T>(load: () => Promise<T>): Loaded<T> {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let gone = false;
    setError(null);
    load().then(
      (loaded) => !gone && setValue(() => loaded),
      (caught: unknown) => !gone && setError(messageOf(caught)),
    );
    return () => {
      gone = true;
    };
  }, [attempt]);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  const set = useCallback((next: T) => setValue(() => next), []);
  if (error !== null) return { state: "failed", message: error, retry };
  if (value === undefined) return { state: "loading" };
  return { state: "ready", value, set };
}
