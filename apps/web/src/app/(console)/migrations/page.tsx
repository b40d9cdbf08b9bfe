import type { Metadata } from "next";
import { MigrationsView } from "./migrations-view.tsx";

export const metadata: Metadata = { title: "Migrations" };

export default function MigrationsPage() {
  return <MigrationsView />;
}
