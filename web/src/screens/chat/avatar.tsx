// A person's photo (fetched with the session's token: photos are not public) or their initial,
// with an optional presence dot. The dot is never the only sign: the text beside it says it.

import { useEffect, useState } from "preact/hooks";
import { session } from "../../api/session";
import { initialOf } from "../../ui/format";

const cache = new Map<string, Promise<string | null>>();

function photo(url: string): Promise<string | null> {
  let found = cache.get(url);
  if (!found) {
    found = fetch(url, { headers: { Authorization: `Bearer ${session.token ?? ""}` } })
      .then(async (response) => (response.ok ? URL.createObjectURL(await response.blob()) : null))
      .catch(() => null);
    cache.set(url, found);
  }
  return found;
}

export function Avatar({
  name,
  url,
  online,
  size = 48,
}: {
  name: string;
  url?: string | null | undefined;
  online?: boolean | null | undefined;
  size?: number;
}) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    if (url) void photo(url).then((found) => live && setSrc(found));
    return () => {
      live = false;
    };
  }, [url]);
  return (
    <span class="avatar" style={{ width: `${size}px`, height: `${size}px` }} aria-hidden="true">
      {src ? <img src={src} alt="" /> : <span class="avatar-initial">{initialOf(name)}</span>}
      {online !== undefined && online !== null && (
        <span class={`presence-dot${online ? " online" : ""}`} />
      )}
    </span>
  );
}
