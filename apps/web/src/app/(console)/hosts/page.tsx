import type { Metadata } from "next";
import { HostsView } from "./hosts-view.tsx";

export const metadata: Metadata = { title: "Hosts" };

export default function HostsPage() {
  return <HostsView />;
}
