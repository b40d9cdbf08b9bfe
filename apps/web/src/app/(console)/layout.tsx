import type { ReactNode } from "react";
import { Nav } from "../../components/nav.tsx";
import { UserProvider } from "../../components/user-context.tsx";
import { requireUser } from "../../server/session.ts";

export const dynamic = "force-dynamic";

/** Every console page needs a signed-in user; the check runs on the server before rendering. */
export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const user = await requireUser();
  return (
    <UserProvider user={user}>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <div className="shell">
        <Nav />
        <main id="main" className="main">
          {children}
        </main>
      </div>
    </UserProvider>
  );
}
