// Hash paths and route patterns: pure functions, tested without a browser.

export interface Location {
  path: string;
  query: URLSearchParams;
}

export function parse(hash: string): Location {
  const target = hash.replace(/^#/, "");
  const cut = target.indexOf("?");
  const path = (cut === -1 ? target : target.slice(0, cut)) || "/";
  return { path, query: new URLSearchParams(cut === -1 ? "" : target.slice(cut + 1)) };
}

/** Matches "/chat/:roomId" against "/chat/abc": the params, or null when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const value = got[i] ?? "";
    if (part.startsWith(":")) {
      if (!value) return null;
      params[part.slice(1)] = decodeURIComponent(value);
    } else if (part !== value) {
      return null;
    }
  }
  return params;
}
