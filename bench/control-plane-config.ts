// Synthetic mesh for the control-plane benchmark: services × pods, VirtualServices and
// DestinationRules as Istio YAML, so the benchmark goes through the same loading path as users.
import type { Manifest } from '../src/config/index.ts';
import { readManifests } from '../src/config/index.ts';
import type { ServiceRegistry } from '../src/registry/index.ts';
import { workloadFromTemplate } from '../src/registry/index.ts';

export const NAMESPACES = 10;

export function serviceName(i: number): { name: string; namespace: string } {
  return { name: `svc-${i}`, namespace: `ns-${i % NAMESPACES}` };
}

export function podAddress(i: number, replica: number): string {
  const n = i * 2 + replica + 2;
  return `127.1.${Math.floor(n / 250)}.${(n % 250) + 2}`;
}

export function meshYaml(services: number, rules: number, generation = 0): string {
  const docs: string[] = [];
  for (let n = 0; n < NAMESPACES; n++)
    docs.push(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-${n}\n`);
  for (let i = 0; i < services; i++) {
    const { name, namespace } = serviceName(i);
    docs.push(`apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  selector:
    app: ${name}
  ports:
  - name: http
    port: 8080
`);
  }
  for (let i = 0; i < rules; i++) {
    const { name, namespace } = serviceName(i);
    docs.push(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  host: ${name}
  trafficPolicy:
    connectionPool:
      http:
        http1MaxPendingRequests: ${100 + generation}
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  hosts:
  - ${name}
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    route:
    - destination:
        host: ${name}
        subset: v2
  - route:
    - destination:
        host: ${name}
        subset: v1
      weight: ${90 - (generation % 10)}
    - destination:
        host: ${name}
        subset: v2
      weight: ${10 + (generation % 10)}
    timeout: 2s
`);
  }
  return docs.join('---\n');
}

/** The mesh as manifests for the config store. */
export function meshManifests(services: number, rules: number, generation = 0): readonly Manifest[] {
  const { manifests, issues } = readManifests([
    { file: 'bench-mesh.yaml', text: meshYaml(services, rules, generation) },
  ]);
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length) throw new Error(`bench config invalid: ${errors[0]!.message}`);
  return manifests;
}

export function addPods(registry: ServiceRegistry, services: number): void {
  for (let i = 0; i < services; i++) {
    const { name, namespace } = serviceName(i);
    for (const replica of [0, 1])
      registry.upsertPod(
        workloadFromTemplate(
          { metadata: { labels: { app: name, version: `v${replica + 1}` } } },
          { name: `${name}-${replica}`, namespace, address: podAddress(i, replica) },
        ),
      );
  }
}
