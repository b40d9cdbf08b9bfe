/** Small inline-SVG charts for the self-contained report (no script, no external assets). */

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

export interface LineSeries {
  label: string;
  values: ArrayLike<number>;
  color: string;
  width?: number;
}

export interface Band {
  from: number;
  to: number;
  color: string;
  label: string;
}

export interface LineChartOptions {
  title: string;
  width?: number;
  height?: number;
  series: LineSeries[];
  /** Upper end of the y axis (values above are clipped at the top edge). */
  yMax: number;
  /** A horizontal reference line (e.g. 100% of capacity). */
  reference?: { value: number; label: string };
  /** Shaded x ranges (in point indexes): warm-up, flash crowds. */
  bands?: Band[];
  /** Marks on the x axis (point indexes), e.g. hours with a violation. */
  marks?: { at: number[]; color: string; label: string };
  xLabel: (i: number) => string;
  yLabel: (v: number) => string;
  xTicks?: number;
}

/** A line chart with one polyline per series, points evenly spaced. */
export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 900;
  const H = o.height ?? 240;
  const L = 48;
  const R = 24;
  const T = 22;
  const B = 26;
  const pw = W - L - R;
  const ph = H - T - B;
  const n = Math.max(...o.series.map((s) => s.values.length), 2);
  const x = (i: number) => L + (i / (n - 1)) * pw;
  const y = (v: number) => T + ph - (Math.min(Math.max(v, 0), o.yMax) / o.yMax) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(o.title)}">`);
  parts.push(`<title>${esc(o.title)}</title>`);
  parts.push(`<text x="${L}" y="14" font-size="12" font-weight="600">${esc(o.title)}</text>`);
  for (const b of o.bands ?? []) {
    const x0 = x(Math.max(0, b.from));
    const x1 = x(Math.min(n - 1, b.to));
    parts.push(`<rect x="${fmt(x0)}" y="${T}" width="${fmt(Math.max(1, x1 - x0))}" height="${ph}" fill="${b.color}"><title>${esc(b.label)}</title></rect>`);
  }
  for (let k = 0; k <= 4; k++) {
    const v = (o.yMax * k) / 4;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${fmt(y(v))}" y2="${fmt(y(v))}" stroke="#e3e6ea" />`);
    parts.push(`<text x="${L - 6}" y="${fmt(y(v) + 4)}" font-size="10" text-anchor="end" fill="#667">${esc(o.yLabel(v))}</text>`);
  }
  const ticks = o.xTicks ?? 8;
  for (let k = 0; k <= ticks; k++) {
    const i = Math.round(((n - 1) * k) / ticks);
    parts.push(`<text x="${fmt(x(i))}" y="${H - 8}" font-size="10" text-anchor="middle" fill="#667">${esc(o.xLabel(i))}</text>`);
  }
  for (const s of o.series) {
    const pts: string[] = [];
    for (let i = 0; i < s.values.length; i++) pts.push(`${fmt(x(i))},${fmt(y(s.values[i]!))}`);
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1}" stroke-linejoin="round" points="${pts.join(" ")}"><title>${esc(s.label)}</title></polyline>`);
  }
  if (o.reference) {
    const ry = y(o.reference.value);
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${fmt(ry)}" y2="${fmt(ry)}" stroke="#c0392b" stroke-dasharray="5 4"><title>${esc(o.reference.label)}</title></line>`);
  }
  if (o.marks) {
    for (const i of o.marks.at) {
      parts.push(`<rect x="${fmt(x(i) - 1)}" y="${T + ph - 4}" width="3" height="6" fill="${o.marks.color}"><title>${esc(o.marks.label)}</title></rect>`);
    }
  }
  parts.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#c9ced6" />`);
  parts.push("</svg>");
  return parts.join("");
}

/** Horizontal bars, one per row, with the value written beside each. */
export function barChart(title: string, rows: Array<{ label: string; value: number; color: string; text: string }>, width = 560): string {
  const rowH = 24;
  const L = 110;
  const H = 26 + rows.length * rowH;
  const max = Math.max(...rows.map((r) => r.value), 1e-9);
  const pw = width - L - 120;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${H}" width="${width}" role="img" aria-label="${esc(title)}">`];
  parts.push(`<text x="0" y="14" font-size="12" font-weight="600">${esc(title)}</text>`);
  rows.forEach((r, i) => {
    const y0 = 24 + i * rowH;
    const w = (r.value / max) * pw;
    parts.push(`<text x="${L - 8}" y="${y0 + 14}" font-size="12" text-anchor="end">${esc(r.label)}</text>`);
    parts.push(`<rect x="${L}" y="${y0 + 3}" width="${fmt(Math.max(w, r.value > 0 ? 2 : 0))}" height="16" fill="${r.color}" />`);
    parts.push(`<text x="${fmt(L + w + 6)}" y="${y0 + 15}" font-size="11" fill="#334">${esc(r.text)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}
