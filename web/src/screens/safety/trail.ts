// A trail of positions laid out on a small drawing (no map tiles): a local flat projection,
// north up, the same scale both ways, fitted to the drawing with a minimum span so a single
// point sits in the middle. Pure, unit-tested.

import type { Position } from "./api";

const METERS_PER_DEGREE = 111_320;
/** The least ground distance the drawing covers across, so a few metres do not fill it. */
export const MIN_SPAN_M = 200;
const NICE_SCALES_M = [10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000];

export interface Layout {
  points: { x: number; y: number }[];
  /** How long the scale bar is in the drawing, and the ground distance it stands for. */
  scale: { length: number; meters: number };
}

export function layout(trail: Position[], width: number, height: number, pad = 24): Layout {
  const inner = { w: width - 2 * pad, h: height - 2 * pad };
  if (trail.length === 0) return { points: [], scale: scaleBar(MIN_SPAN_M / inner.w, inner.w) };
  const mid = trail.reduce((sum, p) => sum + p.latitude, 0) / trail.length;
  const cos = Math.max(0.01, Math.cos((mid * Math.PI) / 180));
  // Metres east and north of the first point.
  const flat = trail.map((p) => ({
    east: (p.longitude - (trail[0] as Position).longitude) * METERS_PER_DEGREE * cos,
    north: (p.latitude - (trail[0] as Position).latitude) * METERS_PER_DEGREE,
  }));
  const xs = flat.map((p) => p.east);
  const ys = flat.map((p) => p.north);
  const [minX, maxX, minY, maxY] = [
    Math.min(...xs),
    Math.max(...xs),
    Math.min(...ys),
    Math.max(...ys),
  ];
  const spanX = Math.max(maxX - minX, MIN_SPAN_M);
  const spanY = Math.max(maxY - minY, MIN_SPAN_M * (inner.h / inner.w));
  const metersPerUnit = Math.max(spanX / inner.w, spanY / inner.h);
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  const points = flat.map((p) => ({
    x: round(width / 2 + (p.east - cx) / metersPerUnit),
    y: round(height / 2 - (p.north - cy) / metersPerUnit),
  }));
  return { points, scale: scaleBar(metersPerUnit, inner.w) };
}

/** The largest round distance whose bar fits in a quarter of the drawing's width. */
function scaleBar(metersPerUnit: number, innerWidth: number): { length: number; meters: number } {
  const most = (innerWidth / 4) * metersPerUnit;
  const meters = [...NICE_SCALES_M].reverse().find((m) => m <= most) ?? NICE_SCALES_M[0] ?? 10;
  return { length: round(meters / metersPerUnit), meters };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** "50 m", "1 km", "2 km". */
export function distanceLabel(meters: number): string {
  return meters >= 1000 ? `${meters / 1000} km` : `${meters} m`;
}
