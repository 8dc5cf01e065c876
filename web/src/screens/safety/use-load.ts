// Loading something for a screen: its value, the failure to show, and a way to load again.

import { useCallback, useEffect, useState } from "preact/hooks";
import { messageOf } from "../../api/client";

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  reload: () => void;
  set: (data: T) => void;
}

export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  // Loads again on reload() and when the caller's deps change (`load` is a new closure each render).
  useEffect(() => {
    let stale = false;
    setError(null);
    load().then(
      (value) => {
        if (!stale) setData(value);
      },
      (caught) => {
        if (!stale) setError(messageOf(caught));
      },
    );
    return () => {
      stale = true;
    };
  }, [round, ...deps]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { data, error, reload, set: setData };
}
