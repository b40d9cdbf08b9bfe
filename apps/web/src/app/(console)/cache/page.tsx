import type { Metadata } from "next";
import { CacheView } from "./cache-view.tsx";

export const metadata: Metadata = { title: "Cache & prefetch" };

type Props = { searchParams: Promise<{ stream?: string | string[] }> };

export default async function CachePage({ searchParams }: Props) {
  const { stream } = await searchParams;
  return <CacheView initialStream={typeof stream === "string" ? stream : ""} />;
}
