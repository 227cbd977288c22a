// The signed-in user, kept in a signed `session` cookie as Istio's productpage keeps it in Flask's
// session. The signing key comes from SESSION_SECRET; without it each process makes its own, so a
// restart signs everybody out, which is fine for a demo.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'session';

export interface Sessions {
  /** The user the request's cookie names, if its signature is good. */
  user(req: IncomingMessage): string | undefined;
  /** A Set-Cookie value that signs `user` in. */
  signIn(user: string): string;
  /** A Set-Cookie value that signs out. */
  signOut(): string;
}

export function createSessions(secret: string | undefined): Sessions {
  const key = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url');
  return {
    user(req) {
      const value = cookie(req, SESSION_COOKIE);
      const dot = value?.lastIndexOf('.') ?? -1;
      if (!value || dot < 0) return undefined;
      const payload = value.slice(0, dot);
      const given = Buffer.from(value.slice(dot + 1));
      const expected = Buffer.from(sign(payload));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      try {
        const data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { user?: unknown };
        return typeof data.user === 'string' && data.user !== '' ? data.user : undefined;
      } catch {
        return undefined;
      }
    },
    signIn(user) {
      const payload = Buffer.from(JSON.stringify({ user }), 'utf8').toString('base64url');
      return `${SESSION_COOKIE}=${payload}.${sign(payload)}; Path=/; HttpOnly; SameSite=Lax`;
    },
    signOut() {
      return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
    },
  };
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
