// Telemetry: both versions, the seed's mesh-default, and Istio's rules for tracing, metric
// overrides and access logging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Telemetry } from '../../index.ts';
import { invalid, loadFixture, valid, yaml } from '../core/testing.ts';

function fixture(name: string): readonly Telemetry[] {
  const { resources, issues } = loadFixture(new URL(`./fixtures/${name}`, import.meta.url));
  assert.deepEqual(issues, []);
  return resources as Telemetry[];
}

/** A Telemetry whose spec (indented by two) starts at line 6. */
const tel = (spec: string) =>
  yaml`
    apiVersion: telemetry.istio.io/v1
    kind: Telemetry
    metadata:
      name: t
    spec:
    ` + spec;

test('Telemetry loads at v1 and v1alpha1, normalised to v1', () => {
  for (const version of ['v1', 'v1alpha1']) {
    const [t] = valid(
      `apiVersion: telemetry.istio.io/${version}\nkind: Telemetry\nmetadata:\n  name: a\nspec: {}\n`,
    );
    assert.equal(t?.apiVersion, 'telemetry.istio.io/v1');
  }
  const [empty] = valid(
    'apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata:\n  name: a\n',
  ) as Telemetry[];
  assert.deepEqual(empty?.spec, {});
});

test("the seed's mesh-default: one metrics entry with providers, another with only overrides", () => {
  // Telemetry.metrics is a list of Metrics objects, each of whose fields is optional, so an entry
  // holding only overrides is valid: it applies to the default providers.
  const [t] = fixture('mesh-default.yaml');
  assert.equal(t?.metadata.name, 'mesh-default');
  assert.deepEqual(t?.spec.metrics, [
    { providers: [{ name: 'prometheus' }] },
    {
      overrides: [
        {
          match: { metric: 'ALL_METRICS' },
          tagOverrides: { destination_service: { value: 'destination_service_name' } },
        },
      ],
    },
  ]);
});

test('tracing, metrics and access logging load with durations in milliseconds', () => {
  const [mesh, reviews] = fixture('telemetry-full.yaml');
  const tracing = mesh?.spec.tracing?.[0];
  assert.equal(tracing?.randomSamplingPercentage, 10.5);
  assert.deepEqual(tracing?.customTags?.['user-agent'], {
    header: { name: 'user-agent', defaultValue: 'unknown' },
  });
  assert.equal(mesh?.spec.metrics?.[0]?.reportingInterval, 15000);
  assert.equal(mesh?.spec.metrics?.[0]?.overrides?.[1]?.match?.customMetric, 'my_metric');
  assert.equal(mesh?.spec.accessLogging?.[0]?.filter?.expression, 'response.code >= 400');
  assert.equal(reviews?.spec.tracing?.[0]?.disableSpanReporting, true);
});

test("metric names come from Istio's list; metric and customMetric are exclusive", () => {
  invalid(tel('  metrics:\n  - overrides:\n    - match:\n        metric: REQUEST_COUNTS\n'), {
    line: 9,
    path: 'spec.metrics[0].overrides[0].match.metric',
    code: 'invalid-value',
    hint: /did you mean "REQUEST_COUNT"/,
  });
  invalid(
    tel('  metrics:\n  - overrides:\n    - match:\n        metric: REQUEST_COUNT\n        customMetric: x\n'),
    {
      line: 10,
      path: 'spec.metrics[0].overrides[0].match.customMetric',
      code: 'conflicting-fields',
    },
  );
  invalid(tel('  metrics:\n  - overrides:\n    - match:\n        mode: BOTH\n'), {
    line: 9,
    path: 'spec.metrics[0].overrides[0].match.mode',
    code: 'invalid-value',
  });
});

test('tag overrides: UPSERT needs a value, REMOVE takes none', () => {
  invalid(
    tel(
      '  metrics:\n  - overrides:\n    - tagOverrides:\n        request_host:\n          operation: UPSERT\n',
    ),
    {
      line: 10,
      path: 'spec.metrics[0].overrides[0].tagOverrides.request_host.value',
      code: 'missing-field',
    },
  );
  invalid(
    tel(
      '  metrics:\n  - overrides:\n    - tagOverrides:\n        request_host:\n          operation: REMOVE\n          value: x\n',
    ),
    {
      line: 11,
      path: 'spec.metrics[0].overrides[0].tagOverrides.request_host.value',
      code: 'conflicting-fields',
    },
  );
});

test('tracing: sampling is a percentage; a custom tag has exactly one source', () => {
  invalid(tel('  tracing:\n  - randomSamplingPercentage: 150\n'), {
    line: 7,
    path: 'spec.tracing[0].randomSamplingPercentage',
    code: 'invalid-value',
    message: /between 0 and 100/,
  });
  invalid(
    tel(
      '  tracing:\n  - customTags:\n      team:\n        literal:\n          value: a\n        header:\n          name: x\n',
    ),
    {
      line: 12,
      path: 'spec.tracing[0].customTags.team.header',
      code: 'conflicting-fields',
    },
  );
  invalid(tel('  tracing:\n  - customTags:\n      team:\n        literal:\n          value: ""\n'), {
    line: 10,
    path: 'spec.tracing[0].customTags.team.literal.value',
    code: 'invalid-value',
  });
});

test('providers have names; the reporting interval is a duration', () => {
  invalid(tel('  accessLogging:\n  - providers:\n    - name: ""\n'), {
    line: 8,
    path: 'spec.accessLogging[0].providers[0].name',
    code: 'invalid-value',
  });
  invalid(tel('  metrics:\n  - reportingInterval: 15\n'), {
    line: 7,
    path: 'spec.metrics[0].reportingInterval',
    code: 'invalid-type',
  });
  invalid(tel('  metrics:\n  - reportingInterval: fast\n'), {
    line: 7,
    path: 'spec.metrics[0].reportingInterval',
    code: 'invalid-duration',
  });
});

test('selector and targetRefs are exclusive; unknown fields are refused with a suggestion', () => {
  invalid(
    tel('  selector:\n    matchLabels:\n      app: a\n  targetRefs:\n  - kind: Service\n    name: a\n'),
    {
      line: 10,
      path: 'spec.targetRefs',
      code: 'conflicting-fields',
    },
  );
  invalid(tel('  metric:\n  - providers:\n    - name: prometheus\n'), {
    line: 6,
    path: 'spec.metric',
    code: 'unknown-field',
    hint: /did you mean "metrics"/,
  });
});
