// The radar: who is near, drawn locally in SVG, by distance bucket only. Rings are the buckets
// (evenly spaced: they are ordinal, not to scale); each person sits on the ring of their
// bucket at an angle from a hash of ids, which says nothing about direction.

import { initialOf } from "../../ui/format";
import { BUCKETS, placeDots, RING_LABELS, ringRadius } from "./logic";
import type { NearbyPerson } from "./model";

const SIZE = 320;
const OUTER = 138;

function summary(people: NearbyPerson[]): string {
  if (people.length === 0) return "Radar: nobody near right now.";
  const counts = BUCKETS.map((bucket) => ({
    bucket,
    count: people.filter((p) => p.distance === bucket).length,
  })).filter((c) => c.count > 0);
  const parts = counts.map((c) => `${c.count} ${c.bucket}`);
  const total = `${people.length} ${people.length === 1 ? "person" : "people"} near you`;
  return `Radar: ${total}${parts.length ? `: ${parts.join(", ")}` : ""}.`;
}

export function Radar({ viewerId, people }: { viewerId: string; people: NearbyPerson[] }) {
  const dots = placeDots(viewerId, people, OUTER);
  const half = SIZE / 2;
  return (
    <figure class="dsc-radar">
      <svg
        viewBox={`${-half} ${-half} ${SIZE} ${SIZE}`}
        role="img"
        aria-label={summary(people)}
        class="dsc-radar-svg"
      >
        <defs>
          <radialGradient id="dsc-glow">
            <stop offset="0%" stop-color="#ede9fe" />
            <stop offset="100%" stop-color="#ffffff" />
          </radialGradient>
        </defs>
        <circle r={OUTER + 10} fill="url(#dsc-glow)" />
        {RING_LABELS.map((label, index) => {
          const r = ringRadius(index, OUTER);
          return (
            <g key={label}>
              <circle r={r} class="dsc-ring" />
              <text x={0} y={-r + 4} class="dsc-ring-label" text-anchor="middle">
                {label}
              </text>
            </g>
          );
        })}
        <circle r={18} class="dsc-you-pulse" />
        <circle r={18} class="dsc-you" />
        <text y={4} class="dsc-you-label" text-anchor="middle">
          You
        </text>
        {dots.map((dot) => (
          <g key={dot.userId} transform={`translate(${dot.x} ${dot.y})`} class="dsc-dot">
            <circle r={15} />
            <text y={5} text-anchor="middle">
              {initialOf(dot.name)}
            </text>
          </g>
        ))}
      </svg>
      <figcaption class="hint">Rings show rough distance only, never direction.</figcaption>
    </figure>
  );
}
