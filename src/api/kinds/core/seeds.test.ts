// The Kubernetes manifests of the Istio exercises (Bookinfo, httpbin, fortio, canary, nginx and
// tomcat) load clean and keep their fields as written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, Resource, Service, ServiceAccount } from '../../index.ts';
import { loadFixture } from './testing.ts';
import { loadTexts } from '../../index.ts';

function fixture(name: string): readonly Resource[] {
  const { resources, issues } = loadFixture(new URL(`./fixtures/${name}`, import.meta.url));
  assert.deepEqual(issues, []);
  return resources;
}

const byName = <T extends Resource>(rs: readonly Resource[], kind: T['kind'], name: string): T => {
  const r = rs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(r, `${kind} ${name} not loaded`);
  return r as T;
};

test('Bookinfo platform manifest: 4 Services on 9080, 4 service accounts, 6 Deployments', () => {
  const rs = fixture('bookinfo.yaml');
  assert.equal(rs.length, 14);
  for (const app of ['details', 'ratings', 'reviews', 'productpage']) {
    const svc = byName<Service>(rs, 'Service', app);
    assert.deepEqual(svc.spec.ports, [{ port: 9080, name: 'http' }]);
    assert.deepEqual(svc.spec.selector, { app });
    assert.deepEqual(svc.metadata.labels, { app, service: app });
    assert.equal(svc.metadata.namespace, 'default');
    assert.equal(svc.apiVersion, 'v1');
    const sa = byName<ServiceAccount>(rs, 'ServiceAccount', `bookinfo-${app}`);
    assert.deepEqual(sa.metadata.labels, { account: app });
  }
  const names = rs.filter((r) => r.kind === 'Deployment').map((r) => r.metadata.name);
  assert.deepEqual(names, [
    'details-v1',
    'ratings-v1',
    'reviews-v1',
    'reviews-v2',
    'reviews-v3',
    'productpage-v1',
  ]);
  const reviews = byName<Deployment>(rs, 'Deployment', 'reviews-v2');
  assert.equal(reviews.source?.line, 201);
  assert.equal(reviews.spec.replicas, 1);
  assert.deepEqual(reviews.spec.selector.matchLabels, { app: 'reviews', version: 'v2' });
  const pod = reviews.spec.template.spec;
  assert.equal(pod.serviceAccountName, 'bookinfo-reviews');
  const c = pod.containers[0]!;
  assert.equal(c.image, 'istio/examples-bookinfo-reviews-v2:1.15.0');
  assert.equal(c.imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(c.env, [{ name: 'LOG_DIR', value: '/tmp/logs' }]);
  assert.deepEqual(c.ports, [{ containerPort: 9080 }]);
  assert.deepEqual(
    c.volumeMounts?.map((m) => m.mountPath),
    ['/tmp', '/opt/ibm/wlp/output'],
  );
  assert.equal(c.securityContext?.runAsUser, 1000);
  assert.deepEqual(pod.volumes, [
    { name: 'wlp-output', emptyDir: {} },
    { name: 'tmp', emptyDir: {} },
  ]);
  assert.ok(Object.isFrozen(pod.containers[0]));
});

test('httpbin: service account, Service 8000 → 80 and its Deployment', () => {
  const rs = fixture('httpbin.yaml');
  assert.deepEqual(
    rs.map((r) => r.kind),
    ['ServiceAccount', 'Service', 'Deployment'],
  );
  const svc = byName<Service>(rs, 'Service', 'httpbin');
  assert.deepEqual(svc.spec.ports, [{ name: 'http', port: 8000, targetPort: 80 }]);
  const d = byName<Deployment>(rs, 'Deployment', 'httpbin');
  assert.equal(d.spec.template.spec.containers[0]?.image, 'docker.io/kennethreitz/httpbin');
  assert.equal(d.spec.template.spec.serviceAccountName, 'httpbin');
});

test('fortio-deploy: the proxy config annotation and the two named container ports', () => {
  const rs = fixture('fortio-deploy.yaml');
  const d = byName<Deployment>(rs, 'Deployment', 'fortio-deploy');
  const annotation = d.spec.template.metadata?.annotations?.['proxy.istio.io/config'];
  assert.match(annotation ?? '', /^proxyStatsMatcher:\n {2}inclusionPrefixes:\n/);
  assert.deepEqual(d.spec.template.spec.containers[0]?.ports, [
    { containerPort: 8080, name: 'http-fortio' },
    { containerPort: 8079, name: 'grpc-ping' },
  ]);
  assert.deepEqual(byName<Service>(rs, 'Service', 'fortio').spec.ports, [{ port: 8080, name: 'http' }]);
});

test('canary: appv1 selects app and apply labels; the canary Service spans both versions', () => {
  const rs = fixture('canary.yaml');
  const d = byName<Deployment>(rs, 'Deployment', 'appv1');
  assert.deepEqual(d.spec.selector.matchLabels, { app: 'v1', apply: 'canary' });
  const svc = byName<Service>(rs, 'Service', 'canary');
  assert.deepEqual(svc.spec.ports, [{ protocol: 'TCP', port: 80, targetPort: 80 }]);
  assert.deepEqual(svc.spec.selector, { apply: 'canary' });
  // The second "appv1" (labels v2) is a valid Deployment on its own; only an update of the first
  // one is refused, which is the config store's business.
  const v2 = byName<Deployment>(fixture('canary-v2.yaml'), 'Deployment', 'appv1');
  assert.deepEqual(v2.spec.selector.matchLabels, { app: 'v2', apply: 'canary' });
});

test('nginx and tomcat: Deployments with named pod templates and their Services', () => {
  const rs = fixture('nginx-tomcat.yaml');
  assert.deepEqual(
    rs.map((r) => `${r.kind}/${r.metadata.name}`),
    ['Deployment/nginx', 'Service/nginx-svc', 'Deployment/tomcat', 'Service/tomcat-svc'],
  );
  const nginx = byName<Deployment>(rs, 'Deployment', 'nginx');
  assert.equal(nginx.spec.template.metadata?.name, 'nginx');
  assert.deepEqual(byName<Service>(rs, 'Service', 'tomcat-svc').spec.ports, [
    { name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' },
  ]);
});

test('object names are checked as Kubernetes checks them per kind', () => {
  const doc = (kind: string, apiVersion: string, name: string, spec = '') =>
    `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: ${name}\n${spec}`;
  const svcSpec = 'spec:\n  ports:\n  - port: 80\n';
  const cases: [string, boolean][] = [
    [doc('Service', 'v1', 'reviews', svcSpec), true],
    [doc('Service', 'v1', '9reviews', svcSpec), false],
    [doc('Namespace', 'v1', 'my.ns'), false],
    [doc('Namespace', 'v1', 'bookinfo'), true],
    [doc('ServiceAccount', 'v1', 'bookinfo.details'), true],
    [doc('ServiceAccount', 'v1', 'Bookinfo'), false],
  ];
  for (const [text, valid] of cases) {
    const { issues } = loadTexts([{ file: 'n.yaml', text }]);
    const nameIssues = issues.filter((i) => i.path === 'metadata.name');
    assert.equal(nameIssues.length === 0, valid, `${text}\n${JSON.stringify(issues)}`);
    if (!valid) assert.equal(nameIssues[0]?.line, 4);
  }
});
