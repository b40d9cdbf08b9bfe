import type { Metadata } from "next";
import { StreamsView } from "./streams-view.tsx";

export const metadata: Metadata = { title: "Streams" };

export default function StreamsPage() {
  return <StreamsView />;
}
