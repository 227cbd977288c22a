// telemetry.istio.io Telemetry: which providers receive traces, metrics and access logs from the
// selected workloads, and how (sampling, custom tags, metric overrides, log filters).
import { duration, exactlyOne, fail, z } from '../../schema/primitives.ts';
import type { Resource } from '../meta.ts';
import { checkPolicyScope, policyScope } from '../security/policy.ts';

export const providerRef = z.strictObject({ name: z.string().min(1, 'provider name must not be empty') });

const workloadMode = z.enum(['CLIENT_AND_SERVER', 'CLIENT', 'SERVER']);
const modeSelector = z.strictObject({ mode: workloadMode.optional() });

export const customTag = z
  .strictObject({
    literal: z.strictObject({ value: z.string().min(1, 'literal tag value must not be empty') }).optional(),
    environment: z
      .strictObject({
        name: z.string().min(1, 'environment tag name must not be empty'),
        defaultValue: z.string().optional(),
      })
      .optional(),
    header: z
      .strictObject({
        name: z.string().min(1, 'header tag name must not be empty'),
        defaultValue: z.string().optional(),
      })
      .optional(),
  })
  .superRefine((t, ctx) => exactlyOne(t, ['literal', 'environment', 'header'], ctx, 'a custom tag'));

export const tracing = z.strictObject({
  match: modeSelector.optional(),
  providers: z.array(providerRef).optional(),
  randomSamplingPercentage: z
    .number()
    .min(0, 'randomSamplingPercentage must be between 0 and 100')
    .max(100, 'randomSamplingPercentage must be between 0 and 100')
    .optional(),
  disableSpanReporting: z.boolean().optional(),
  customTags: z.record(z.string().min(1, 'tag name must not be empty'), customTag).optional(),
  useRequestIdForTraceSampling: z.boolean().optional(),
  enableIstioTags: z.boolean().optional(),
});

export const METRICS = [
  'ALL_METRICS',
  'REQUEST_COUNT',
  'REQUEST_DURATION',
  'REQUEST_SIZE',
  'RESPONSE_SIZE',
  'TCP_OPENED_CONNECTIONS',
  'TCP_CLOSED_CONNECTIONS',
  'TCP_SENT_BYTES',
  'TCP_RECEIVED_BYTES',
  'GRPC_REQUEST_MESSAGES',
  'GRPC_RESPONSE_MESSAGES',
] as const;

export const metricSelector = z
  .strictObject({
    metric: z.enum(METRICS).optional(),
    customMetric: z.string().min(1, 'customMetric must not be empty').optional(),
    mode: workloadMode.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.metric !== undefined && m.customMetric !== undefined)
      fail(
        ctx,
        ['customMetric'],
        'a metric match takes only one of "metric" and "customMetric"',
        'conflicting-fields',
      );
  });

export const tagOverride = z
  .strictObject({
    operation: z.enum(['UPSERT', 'REMOVE']).optional(),
    value: z.string().optional(),
  })
  .superRefine((t, ctx) => {
    const op = t.operation ?? 'UPSERT';
    if (op === 'UPSERT' && !t.value)
      fail(ctx, ['value'], 'a tag override with operation UPSERT needs a value', 'missing-field');
    if (op === 'REMOVE' && t.value !== undefined && t.value !== '')
      fail(ctx, ['value'], 'value may only be set when operation is UPSERT', 'conflicting-fields');
  });

export const metricsOverrides = z.strictObject({
  match: metricSelector.optional(),
  disabled: z.boolean().optional(),
  tagOverrides: z.record(z.string().min(1, 'tag name must not be empty'), tagOverride).optional(),
});

export const metrics = z.strictObject({
  providers: z.array(providerRef).optional(),
  overrides: z.array(metricsOverrides).optional(),
  reportingInterval: duration().optional(),
});

export const accessLogging = z.strictObject({
  match: modeSelector.optional(),
  providers: z.array(providerRef).optional(),
  disabled: z.boolean().optional(),
  filter: z.strictObject({ expression: z.string().min(1, 'filter expression must not be empty') }).optional(),
});

export const telemetrySpec = z
  .strictObject({
    ...policyScope,
    tracing: z.array(tracing).optional(),
    metrics: z.array(metrics).optional(),
    accessLogging: z.array(accessLogging).optional(),
  })
  .superRefine((spec, ctx) => checkPolicyScope(spec, ctx));

export type ProviderRef = z.output<typeof providerRef>;
export type Tracing = z.output<typeof tracing>;
export type MetricSelector = z.output<typeof metricSelector>;
export type MetricsOverrides = z.output<typeof metricsOverrides>;
export type Metrics = z.output<typeof metrics>;
export type AccessLogging = z.output<typeof accessLogging>;
export type TelemetrySpec = z.output<typeof telemetrySpec>;
export type Telemetry = Resource<'Telemetry', { spec: TelemetrySpec }>;
