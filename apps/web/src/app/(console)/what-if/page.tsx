import type { Metadata } from "next";
import { WhatIfView } from "./what-if-view.tsx";

export const metadata: Metadata = { title: "What-if" };

export default function WhatIfPage() {
  return <WhatIfView />;
}
