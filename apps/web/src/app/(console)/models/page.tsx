import type { Metadata } from "next";
import { ModelsView } from "./models-view.tsx";

export const metadata: Metadata = { title: "Models" };

export default function ModelsPage() {
  return <ModelsView />;
}
