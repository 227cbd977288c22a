// The mesh Caravel's sidecars run in during the proxy benchmark: a realistic route table (50
// services, each with a DestinationRule and a VirtualService using header and RE2 regex matches)
// plus the service under test, `echo`, whose endpoint is the benchmark's nginx upstream. The YAML
// goes through the same loading path as `caravel apply`.
import { MemoryStore, readManifests } from '../../src/config/index.ts';
import type { Manifest } from '../../src/config/index.ts';
import { serviceName } from '../control-plane-config.ts';

export const SERVICES = 50;
export const NAMESPACE = 'bench';
/** The service under test when a sidecar fronts the app (chain) and when the app has none (one hop). */
export const MESHED = 'echo';
export const PLAIN = 'echo-plain';
export const SERVICE_PORT = 80;

function otherServicesYaml(): string {
  const docs: string[] = [];
  const namespaces = new Set<string>();
  for (let i = 0; i < SERVICES; i++) namespaces.add(serviceName(i).namespace);
  for (const ns of namespaces) docs.push(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`);
  for (let i = 0; i < SERVICES; i++) {
    const { name, namespace } = serviceName(i);
    docs.push(`apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {app: ${name}}
  ports:
  - {name: http, port: 8080}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  host: ${name}
  trafficPolicy:
    connectionPool:
      http: {http1MaxPendingRequests: 1024, maxRequestsPerConnection: 0}
    outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  hosts: [${name}]
  http:
  - match:
    - headers: {end-user: {exact: jason}}
    route:
    - destination: {host: ${name}, subset: v2}
  - match:
    - uri: {regex: "^/api/v[0-9]+/items/[a-z0-9-]+$"}
      headers: {user-agent: {regex: ".*(Mobile|Android).*"}}
    route:
    - destination: {host: ${name}, subset: v2}
  - route:
    - destination: {host: ${name}, subset: v1}
      weight: 90
    - destination: {host: ${name}, subset: v2}
      weight: 10
    timeout: 2s
    retries: {attempts: 2, perTryTimeout: 1s}
`);
  }
  return docs.join('---\n');
}

/** The services under test: the app listens on `appPort`, which the Service targets. */
function echoYaml(appPort: number): string {
  const docs = [`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NAMESPACE}\n`];
  for (const name of [MESHED, PLAIN]) {
    docs.push(`apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${NAMESPACE}}
spec:
  selector: {app: ${name}}
  ports:
  - {name: http, port: ${SERVICE_PORT}, targetPort: ${appPort}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: ${NAMESPACE}}
spec:
  hosts: [${name}]
  http:
  - match:
    - headers: {x-canary: {exact: "true"}}
    - headers: {end-user: {regex: "^(jason|tester-[0-9]+)$"}}
    route:
    - destination: {host: ${name}}
      headers:
        request: {set: {x-canary-route: "1"}}
  - match:
    - uri: {regex: "^/admin(/.*)?$"}
    fault:
      abort: {percentage: {value: 100}, httpStatus: 403}
    route:
    - destination: {host: ${name}}
  - route:
    - destination: {host: ${name}}
    timeout: 5s
`);
  }
  return docs.join('---\n');
}

function manifests(text: string): readonly Manifest[] {
  const { manifests: out, issues } = readManifests([{ file: 'bench-proxy-mesh.yaml', text }]);
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length) throw new Error(`bench mesh config invalid: ${errors.map((e) => e.message).join('; ')}`);
  return out;
}

/** A config store holding the whole benchmark mesh. */
export async function benchStore(appPort: number): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.apply(manifests(`${otherServicesYaml()}---\n${echoYaml(appPort)}`));
  return store;
}
