// The trail of an alert, drawn here (no map tiles): the path walked, the latest position as a
// large dot, north up and a scale bar. Described in words for those who cannot see it.

import type { TrailPoint } from "./api";
import { distanceLabel, layout } from "./trail";

const WIDTH = 340;
const HEIGHT = 240;

export function TrailMap({ trail, label }: { trail: TrailPoint[]; label: string }) {
  const { points, scale } = layout(trail, WIDTH, HEIGHT, 28);
  const last = points[points.length - 1];
  const first = points[0];
  return (
    <figure class="trail">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label}>
        <defs>
          <pattern id="trail-grid" width="34" height="34" patternUnits="userSpaceOnUse">
            <path d="M 34 0 L 0 0 0 34" class="trail-gridline" />
          </pattern>
        </defs>
        <rect width={WIDTH} height={HEIGHT} class="trail-ground" />
        <rect width={WIDTH} height={HEIGHT} fill="url(#trail-grid)" />
        {points.length > 1 && (
          <polyline class="trail-path" points={points.map((p) => `${p.x},${p.y}`).join(" ")} />
        )}
        {first && points.length > 1 && (
          <circle class="trail-start" cx={first.x} cy={first.y} r="5" />
        )}
        {last && (
          <>
            <circle class="trail-halo" cx={last.x} cy={last.y} r="18" />
            <circle class="trail-now" cx={last.x} cy={last.y} r="9" />
          </>
        )}
        <g class="trail-north" transform={`translate(${WIDTH - 22} 26)`}>
          <path d="M 0 -12 L 6 4 L 0 0 L -6 4 Z" />
          <text y="17" text-anchor="middle">
            N
          </text>
        </g>
        <g class="trail-scale" transform={`translate(16 ${HEIGHT - 16})`}>
          <path d={`M 0 -5 V 0 H ${scale.length} V -5`} />
          <text x={scale.length + 6} y="0">
            {distanceLabel(scale.meters)}
          </text>
        </g>
      </svg>
    </figure>
  );
}
