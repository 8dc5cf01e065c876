// A screen's arrival: the tab's title names it and its heading takes focus, as a page load
// would, so a screen reader starts there.

import { useEffect, useRef } from "preact/hooks";

/** Sets the document title to "<title> · Disco" and focuses the returned heading ref. */
export function useHeading(title: string) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Disco`;
    heading.current?.focus({ preventScroll: true });
  }, [title]);
  return heading;
}
