// The app's icons, all drawn here as SVG: a glyph or emoji from a font may be missing on a phone
// (an empty box) and no icon font may come from the internet. Every icon is decorative (hidden
// from screen readers): the text or label beside it names it.

import type { JSX } from "preact";

/** Solid shapes: the tab bar's and the bell, which sit alone and need weight. */
const SOLID = {
  discover:
    "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20Zm0 2a8 8 0 1 1 0 16 8 8 0 0 1 0-16Zm4.2 3.8-6 2.4-2.4 6 6-2.4 2.4-6Zm-4.2 3a1.2 1.2 0 1 1 0 2.4 1.2 1.2 0 0 1 0-2.4Z",
  matches:
    "M12 21s-7.5-4.6-9.4-9.3C1.3 8.5 3.4 5 6.9 5c2 0 3.3 1.1 4.1 2.3.8-1.2 2.2-2.3 4.1-2.3 3.5 0 5.6 3.5 4.3 6.7C19.5 16.4 12 21 12 21Z",
  safety:
    "M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5l-8-3Zm-1 13.5-3.5-3.5 1.4-1.4 2.1 2.1 4.6-4.6 1.4 1.4-6 6Z",
  me: "M12 12a4.5 4.5 0 1 0 0-9 4.5 4.5 0 0 0 0 9Zm0 2c-4.4 0-8 2.3-8 5.2V21h16v-1.8c0-2.9-3.6-5.2-8-5.2Z",
  bell: "M12 3a6 6 0 0 0-6 6v3.6L4.3 15.4A1 1 0 0 0 5.2 17h13.6a1 1 0 0 0 .9-1.6L18 12.6V9a6 6 0 0 0-6-6Zm0 19a3 3 0 0 0 2.8-2H9.2A3 3 0 0 0 12 22Z",
} as const;

/** Line drawings (2 px strokes) for everything else. */
const LINES = {
  calendar: (
    <>
      <rect x="3.5" y="5" width="17" height="15.5" rx="2.5" />
      <path d="M3.5 10h17M8 3v4M16 3v4" />
    </>
  ),
  chat: <path d="M4 5h16v11H9l-5 4zM8 9.5h8M8 12.5h5" />,
  check: <path d="m5 12.5 4.5 4.5L19 7.5" />,
  clock: <path d="M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20Zm0-15v5l3 2" />,
  contacts: (
    <path d="M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8Zm-7 10v-1a6 6 0 0 1 6-6h2a6 6 0 0 1 6 6v1M17 11l2 2 4-4" />
  ),
  edit: <path d="M4 20h4L19 9l-4-4L4 16v4ZM13.5 6.5l4 4" />,
  eye: (
    <>
      <path d="M2.5 12S6 5.5 12 5.5 21.5 12 21.5 12 18 18.5 12 18.5 2.5 12 2.5 12Z" />
      <circle cx="12" cy="12" r="3" />
    </>
  ),
  flag: <path d="M5 22V4M5 4h11l-2 4 2 4H5" />,
  gear: (
    <>
      <circle cx="12" cy="12" r="3" />
      <circle cx="12" cy="12" r="7" />
      <path d="M12 2.5V5M12 19v2.5M2.5 12H5M19 12h2.5M5.3 5.3l1.8 1.8M16.9 16.9l1.8 1.8M5.3 18.7l1.8-1.8M16.9 7.1l1.8-1.8" />
    </>
  ),
  heart: (
    <path d="M12 20s-7.5-4.6-7.5-10.1A4.4 4.4 0 0 1 12 7.2a4.4 4.4 0 0 1 7.5 2.7C19.5 15.4 12 20 12 20Z" />
  ),
  home: <path d="M3 11 12 4l9 7M5 10v10h5v-6h4v6h5V10" />,
  key: (
    <>
      <circle cx="8" cy="16" r="4" />
      <path d="m10.8 13.2 8.7-8.7M16 8l2.5 2.5M18.5 5.5 21 8" />
    </>
  ),
  lock: (
    <>
      <rect x="5" y="10.5" width="14" height="10" rx="2" />
      <path d="M8 10.5V8a4 4 0 0 1 8 0v2.5" />
    </>
  ),
  mail: (
    <>
      <rect x="3.5" y="5.5" width="17" height="13" rx="2" />
      <path d="m4 7 8 6 8-6" />
    </>
  ),
  near: (
    <>
      <circle cx="12" cy="12" r="8.5" />
      <circle cx="12" cy="12" r="4.5" />
      <circle cx="12" cy="12" r="1" />
    </>
  ),
  "no-entry": (
    <>
      <circle cx="12" cy="12" r="8.5" />
      <path d="m6 6 12 12" />
    </>
  ),
  paperclip: (
    <path d="M21 11.5 12.5 20a5 5 0 0 1-7-7l8.5-8.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3l7.5-7.5" />
  ),
  pin: (
    <>
      <path d="M12 21s-6.5-5.6-6.5-11a6.5 6.5 0 0 1 13 0c0 5.4-6.5 11-6.5 11Z" />
      <circle cx="12" cy="10" r="2.3" />
    </>
  ),
  "pin-hidden": <path d="M12 21s-7-6.2-7-11.5A7 7 0 0 1 19 9.5C19 14.8 12 21 12 21zM4 4l16 16" />,
  plus: <path d="M12 5v14M5 12h14" />,
  scales: (
    <path d="M12 3v18M7 21h10M5 7h14M5 7l-3 7a3 3 0 0 0 6 0L5 7Zm14 0-3 7a3 3 0 0 0 6 0l-3-7Z" />
  ),
  send: <path d="M4 12 20 4l-5 16-3-7-8-1z" />,
  shield: <path d="M12 3 4.5 6v5.5c0 4.4 3.2 8.2 7.5 9.5 4.3-1.3 7.5-5.1 7.5-9.5V6L12 3Z" />,
  star: <path d="m12 3.8 2.5 5.2 5.7.8-4.1 4 1 5.7-5.1-2.7-5.1 2.7 1-5.7-4.1-4 5.7-.8L12 3.8Z" />,
  timer: (
    <>
      <circle cx="12" cy="13" r="8" />
      <path d="M12 9v4l2.5 2.5M9 2h6" />
    </>
  ),
  toggle: (
    <>
      <rect x="2" y="7" width="20" height="10" rx="5" />
      <circle cx="16" cy="12" r="3" fill="currentColor" />
    </>
  ),
  wave: (
    <path d="M7 12.5 4.8 10.3a1.6 1.6 0 0 1 2.3-2.3l3.4 3.4M10.5 11.4 6.9 7.8a1.6 1.6 0 0 1 2.3-2.3l4.2 4.2M9.2 5.5l-.4-.4a1.6 1.6 0 0 1 2.3-2.3l4.6 4.6m-1.3-1.3a1.6 1.6 0 0 1 2.3-2.3l1.6 1.6c2.6 2.6 2.6 6.9 0 9.5l-.6.6c-2.6 2.6-6.9 2.6-9.5 0L4.5 12.5" />
  ),
} satisfies Record<string, JSX.Element>;

export type IconName = keyof typeof SOLID | keyof typeof LINES;

function isSolid(name: IconName): name is keyof typeof SOLID {
  return name in SOLID;
}

/** A decorative icon, `size` px square, in the text's colour; sits on the text's line. */
export function Icon({ name, size = 20 }: { name: IconName; size?: number }) {
  const solid = isSolid(name);
  return (
    <svg
      class="icon"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      fill={solid ? "currentColor" : "none"}
      stroke={solid ? undefined : "currentColor"}
      stroke-width={solid ? undefined : 2}
      stroke-linecap="round"
      stroke-linejoin="round"
    >
      {isSolid(name) ? <path d={SOLID[name]} fill-rule="evenodd" /> : LINES[name]}
    </svg>
  );
}
