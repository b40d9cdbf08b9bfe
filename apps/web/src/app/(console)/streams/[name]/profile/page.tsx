import type { Metadata } from "next";
import { ProfileView } from "./profile-view.tsx";

type Props = { params: Promise<{ name: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Profile & health of ${decodeURIComponent((await params).name)}` };
}

export default async function ProfilePage({ params }: Props) {
  const { name } = await params;
  return <ProfileView name={decodeURIComponent(name)} />;
}
