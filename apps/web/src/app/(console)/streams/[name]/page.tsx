import type { Metadata } from "next";
import { StreamView } from "./stream-view.tsx";

type Props = { params: Promise<{ name: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Stream ${decodeURIComponent((await params).name)}` };
}

export default async function StreamPage({ params }: Props) {
  const { name } = await params;
  return <StreamView name={decodeURIComponent(name)} />;
}
