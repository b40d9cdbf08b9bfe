import type { Metadata } from "next";
import { ConsumersView } from "./consumers-view.tsx";

type Props = { params: Promise<{ name: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Consumers of ${decodeURIComponent((await params).name)}` };
}

export default async function ConsumersPage({ params }: Props) {
  const { name } = await params;
  return <ConsumersView name={decodeURIComponent(name)} />;
}
