// The app's own icons, drawn as SVG: a glyph from a font may be missing on a phone and show
// as an empty box. Decorative: the text beside each icon names it.

const PATHS = {
  discover:
    "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20Zm0 2a8 8 0 1 1 0 16 8 8 0 0 1 0-16Zm4.2 3.8-6 2.4-2.4 6 6-2.4 2.4-6Zm-4.2 3a1.2 1.2 0 1 1 0 2.4 1.2 1.2 0 0 1 0-2.4Z",
  matches:
    "M12 21s-7.5-4.6-9.4-9.3C1.3 8.5 3.4 5 6.9 5c2 0 3.3 1.1 4.1 2.3.8-1.2 2.2-2.3 4.1-2.3 3.5 0 5.6 3.5 4.3 6.7C19.5 16.4 12 21 12 21Z",
  safety:
    "M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5l-8-3Zm-1 13.5-3.5-3.5 1.4-1.4 2.1 2.1 4.6-4.6 1.4 1.4-6 6Z",
  me: "M12 12a4.5 4.5 0 1 0 0-9 4.5 4.5 0 0 0 0 9Zm0 2c-4.4 0-8 2.3-8 5.2V21h16v-1.8c0-2.9-3.6-5.2-8-5.2Z",
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 24 }: { name: IconName; size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={PATHS[name]} fill="currentColor" fill-rule="evenodd" />
    </svg>
  );
}
