import type { Metadata } from "next";
import { OperationsView } from "./operations-view.tsx";

export const metadata: Metadata = { title: "Operations" };

export default function OperationsPage() {
  return <OperationsView />;
}
