import type { Metadata } from "next";
import { ApiKeysView } from "./api-keys-view.tsx";

export const metadata: Metadata = { title: "API keys" };

export default function ApiKeysPage() {
  return <ApiKeysView />;
}
