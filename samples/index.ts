// The sample apps as programs: where each one's entry file is and what it needs, for the local
// runtime's image catalogue and for running one by hand (`node ENTRY` with HOST/PORT set).
import { fileURLToPath } from 'node:url';

export interface SampleApp {
  /** Entry file, run with `node ENTRY [args…]`. */
  readonly entry: string;
  /** Arguments the image's default command amounts to. */
  readonly args: readonly string[];
  /** Port used when PORT is not set. */
  readonly defaultPort: number;
  /** Variables the app reads beyond HOST, PORT, POD_NAME, POD_NAMESPACE and HTTP_PROXY. */
  readonly env: readonly string[];
  readonly description: string;
}

const entry = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export const SAMPLE_APPS: Readonly<Record<string, SampleApp>> = Object.freeze({
  'bookinfo-productpage': {
    entry: entry('./bookinfo/src/productpage/productpage.ts'),
    args: [],
    defaultPort: 9080,
    env: ['SESSION_SECRET', 'SERVICES_DOMAIN', 'DETAILS_HOSTNAME', 'REVIEWS_HOSTNAME', 'RATINGS_HOSTNAME'],
    description: "Bookinfo's product page: HTML, sign-in, /api/v1/products",
  },
  'bookinfo-details': {
    entry: entry('./bookinfo/src/details.ts'),
    args: [],
    defaultPort: 9080,
    env: [],
    description: "Bookinfo's details service",
  },
  'bookinfo-reviews': {
    entry: entry('./bookinfo/src/reviews.ts'),
    args: [],
    defaultPort: 9080,
    env: [
      'SERVICE_VERSION',
      'ENABLE_RATINGS',
      'STAR_COLOR',
      'SERVICES_DOMAIN',
      'RATINGS_HOSTNAME',
      'CLUSTER_NAME',
    ],
    description: "Bookinfo's reviews service; SERVICE_VERSION v1 (no stars), v2 (black), v3 (red)",
  },
  'bookinfo-ratings': {
    entry: entry('./bookinfo/src/ratings.ts'),
    args: [],
    defaultPort: 9080,
    env: ['SERVICE_VERSION'],
    description: "Bookinfo's ratings service; SERVICE_VERSION v-faulty / v-delayed for the demo faults",
  },
  httpbin: {
    entry: entry('./httpbin/src/httpbin.ts'),
    args: [],
    defaultPort: 80,
    env: [],
    description: 'httpbin: /get /headers /ip /status/{codes} /delay/{n} /anything …',
  },
  fortio: {
    entry: entry('./fortio/src/fortio.ts'),
    args: ['server'],
    defaultPort: 8080,
    env: [],
    description: 'fortio: `server` echoes on 8080; `load` and `curl` are the load client',
  },
  canary: {
    entry: entry('./canary/src/canary.ts'),
    args: [],
    defaultPort: 80,
    env: ['SERVICE_VERSION'],
    description: 'The canary exercise: answers "canary <version> from <pod>"',
  },
  'timeout-web-proxy': {
    entry: entry('./timeout-demo/src/web-proxy.ts'),
    args: [],
    defaultPort: 80,
    env: ['UPSTREAM_URL', 'UPSTREAM_TIMEOUT_MS'],
    description: 'The timeout/retry exercise front end: proxies to http://tomcat-svc:8080',
  },
  'timeout-backend': {
    entry: entry('./timeout-demo/src/backend.ts'),
    args: [],
    defaultPort: 8080,
    env: [],
    description: 'The timeout/retry exercise back end: answers a page',
  },
});
