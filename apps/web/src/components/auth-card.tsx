import type { ReactNode } from "react";

/** The frame of the pages shown before anyone is signed in (sign-in, first run). */
export function AuthCard({ title, intro, children }: { title: string; intro: string; children: ReactNode }) {
  return (
    <main className="auth-page">
      <div className="auth-card">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Shardcast
        </span>
        <h1>{title}</h1>
        <p>{intro}</p>
        {children}
      </div>
    </main>
  );
}
