import type { Metadata } from "next";
import { ShardMapView } from "./shard-map-view.tsx";

export const metadata: Metadata = { title: "Shard map" };

export default function ShardMapPage() {
  return <ShardMapView />;
}
