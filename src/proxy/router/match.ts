// Route selection: the virtual host by authority (Envoy's order: exact, longest "*.suffix", longest
// "prefix*", then "*"), then the first route whose path, header and query matchers all hold.
import type { IncomingHttpHeaders } from 'node:http';
import type { Route, RouteTable, VirtualHost } from './route-config.ts';

function lookupHost(table: RouteTable, host: string): VirtualHost | undefined {
  const exact = table.exact.get(host);
  if (exact) return exact;
  for (const [suffix, vh] of table.suffixes)
    if (host.length > suffix.length && host.endsWith(suffix)) return vh;
  for (const [prefix, vh] of table.prefixes)
    if (host.length > prefix.length && host.startsWith(prefix)) return vh;
  return undefined;
}

/** Finds the virtual host for an authority (lower-cased by the caller); tries without the port too. */
export function selectVirtualHost(
  table: RouteTable,
  authority: string,
  stripPort: boolean,
): VirtualHost | undefined {
  let host = authority;
  stripPort ||= table.ignorePortInHostMatching;
  const colon = host.lastIndexOf(':');
  const hasPort = colon > 0 && !host.endsWith(']') && /^\d+$/.test(host.slice(colon + 1));
  if (stripPort && hasPort) host = host.slice(0, colon);
  // The authority is matched as sent (with its port) unless port stripping is configured.
  return lookupHost(table, host) ?? table.catchAll;
}

function pathMatches(route: Route, path: string, pathOnly: string, method: string): boolean {
  const m = route.match;
  switch (m.kind) {
    case 'prefix':
      return m.caseSensitive ? path.startsWith(m.value) : path.toLowerCase().startsWith(m.value);
    case 'path':
      return m.caseSensitive ? pathOnly === m.value : pathOnly.toLowerCase() === m.value;
    case 'separated': {
      const p = m.caseSensitive ? pathOnly : pathOnly.toLowerCase();
      if (m.value === '/') return true;
      return p.startsWith(m.value) && (p.length === m.value.length || p.charCodeAt(m.value.length) === 47);
    }
    case 'regex':
      return m.re.test(pathOnly);
    case 'connect':
      return method === 'CONNECT';
  }
}

export function matchRoute(
  vh: VirtualHost,
  method: string,
  path: string,
  pathOnly: string,
  query: string,
  headers: IncomingHttpHeaders,
): Route | undefined {
  let params: URLSearchParams | undefined;
  for (const route of vh.routes) {
    if (!pathMatches(route, path, pathOnly, method)) continue;
    if (route.grpcOnly && !(headers['content-type'] ?? '').startsWith('application/grpc')) continue;
    let ok = true;
    for (const h of route.headers)
      if (!h(headers)) {
        ok = false;
        break;
      }
    if (!ok) continue;
    if (route.query.length) {
      params ??= new URLSearchParams(query);
      for (const q of route.query)
        if (!q(params)) {
          ok = false;
          break;
        }
      if (!ok) continue;
    }
    if (route.runtimeFraction !== undefined && Math.random() >= route.runtimeFraction) continue;
    return route;
  }
  return undefined;
}
