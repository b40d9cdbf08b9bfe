"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "../lib/trpc.ts";
import { useCan, useUser } from "./user-context.tsx";

const LINKS: Array<{ href: string; label: string; admin?: boolean }> = [
  { href: "/", label: "Overview" },
  { href: "/streams", label: "Streams" },
  { href: "/shard-map", label: "Shard map" },
  { href: "/heatmap", label: "Heatmap" },
  { href: "/cache", label: "Cache & prefetch" },
  { href: "/models", label: "Models" },
  { href: "/hosts", label: "Hosts" },
  { href: "/migrations", label: "Migrations" },
  { href: "/operations", label: "Operations" },
  { href: "/what-if", label: "What-if" },
  { href: "/settings", label: "Settings" },
  { href: "/api-keys", label: "API keys", admin: true },
  { href: "/users", label: "Users", admin: true },
];

function isCurrent(pathname: string, href: string): boolean {
  return href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(href + "/");
}

export function Nav() {
  const pathname = usePathname();
  const user = useUser();
  const isAdmin = useCan("admin");
  const trpc = useTRPC();
  const signOut = useMutation(
    trpc.auth.signOut.mutationOptions({
      onSettled: () => window.location.assign("/login"),
    }),
  );
  return (
    <aside className="sidebar">
      <Link href="/" className="brand">
        <span className="brand-mark" aria-hidden="true" />
        Shardcast
      </Link>
      <nav className="nav" aria-label="Main">
        {LINKS.filter((l) => !l.admin || isAdmin).map((l) => (
          <Link
            key={l.href}
            href={l.href}
            aria-current={isCurrent(pathname, l.href) ? "page" : undefined}
            data-testid={`nav-${l.href === "/" ? "overview" : l.href.slice(1)}`}
          >
            {l.label}
          </Link>
        ))}
      </nav>
      <div className="sidebar-footer">
        <div className="user-line" data-testid="current-user">
          <strong>{user.name}</strong>
          <span className="muted" title={user.email}>
            {user.email}
          </span>
          <span>
            <span className="badge badge-accent" data-testid="current-role">
              {user.role}
            </span>
          </span>
        </div>
        <nav className="nav" aria-label="Account">
          <Link href="/account" aria-current={isCurrent(pathname, "/account") ? "page" : undefined} data-testid="nav-account">
            Account
          </Link>
        </nav>
        <button type="button" className="secondary small" onClick={() => signOut.mutate()} data-testid="sign-out">
          Sign out
        </button>
      </div>
    </aside>
  );
}
