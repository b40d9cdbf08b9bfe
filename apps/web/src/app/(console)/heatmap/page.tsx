import type { Metadata } from "next";
import { HeatmapView } from "./heatmap-view.tsx";

export const metadata: Metadata = { title: "Heatmap" };

export default function HeatmapPage() {
  return <HeatmapView />;
}
