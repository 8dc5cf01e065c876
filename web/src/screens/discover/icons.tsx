// Small line icons drawn here: emoji depend on the device's fonts (a box on many phones and on
// the test browser), and no icon font may come from the internet.

import type { JSX } from "preact";

const PATHS: Record<string, JSX.Element> = {
  calendar: (
    <>
      <rect x="3.5" y="5" width="17" height="15.5" rx="2.5" />
      <path d="M3.5 10h17M8 3v4M16 3v4" />
    </>
  ),
  wave: (
    <path d="M7 12.5 4.8 10.3a1.6 1.6 0 0 1 2.3-2.3l3.4 3.4M10.5 11.4 6.9 7.8a1.6 1.6 0 0 1 2.3-2.3l4.2 4.2M9.2 5.5l-.4-.4a1.6 1.6 0 0 1 2.3-2.3l4.6 4.6m-1.3-1.3a1.6 1.6 0 0 1 2.3-2.3l1.6 1.6c2.6 2.6 2.6 6.9 0 9.5l-.6.6c-2.6 2.6-6.9 2.6-9.5 0L4.5 12.5" />
  ),
  pin: (
    <>
      <path d="M12 21s-6.5-5.6-6.5-11a6.5 6.5 0 0 1 13 0c0 5.4-6.5 11-6.5 11Z" />
      <circle cx="12" cy="10" r="2.3" />
    </>
  ),
  plus: <path d="M12 5v14M5 12h14" />,
  near: (
    <>
      <circle cx="12" cy="12" r="8.5" />
      <circle cx="12" cy="12" r="4.5" />
      <circle cx="12" cy="12" r="1" />
    </>
  ),
  heart: (
    <path d="M12 20s-7.5-4.6-7.5-10.1A4.4 4.4 0 0 1 12 7.2a4.4 4.4 0 0 1 7.5 2.7C19.5 15.4 12 20 12 20Z" />
  ),
  mail: (
    <>
      <rect x="3.5" y="5.5" width="17" height="13" rx="2" />
      <path d="m4 7 8 6 8-6" />
    </>
  ),
  shield: <path d="M12 3 4.5 6v5.5c0 4.4 3.2 8.2 7.5 9.5 4.3-1.3 7.5-5.1 7.5-9.5V6L12 3Z" />,
  lock: (
    <>
      <rect x="5" y="10.5" width="14" height="10" rx="2" />
      <path d="M8 10.5V8a4 4 0 0 1 8 0v2.5" />
    </>
  ),
  check: <path d="m5 12.5 4.5 4.5L19 7.5" />,
  star: <path d="m12 3.8 2.5 5.2 5.7.8-4.1 4 1 5.7-5.1-2.7-5.1 2.7 1-5.7-4.1-4 5.7-.8L12 3.8Z" />,
};

export type IconName = keyof typeof PATHS;

/** A decorative icon (hidden from screen readers: the text beside it says the same). */
export function Icon({ name, size = 20 }: { name: IconName; size?: number }) {
  return (
    <svg
      class="dsc-icon"
      viewBox="0 0 24 24"
      width={size}
      height={size}
      aria-hidden="true"
      focusable="false"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
    >
      {PATHS[name]}
    </svg>
  );
}
