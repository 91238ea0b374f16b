import { Router } from 'express';
import { z } from 'zod';
import { findOperation, JOB_PRESETS, OPERATIONS, presetParams } from '@mediaflow/operations';
import type { RegisteredOperation } from '@mediaflow/operations';

/** One operation as GET /operations describes it: enough to build a submission form. */
export interface OperationInfo {
  name: string;
  /** Other names POST /process accepts for it. */
  aliases: string[];
  summary: string;
  /** Takes `sources` (several inputs, in order) in POST /process instead of one `source`. */
  multiple_sources: boolean;
  /** Every `output_format` it accepts, the default first. */
  output_formats: string[];
  /** What `output_format` is when a submission leaves it out; null when it must be given. */
  default_output_format: string | null;
  /** JSON Schema (2020-12) of `params`, as a submission's input: defaults, bounds and enums included. */
  params_schema: z.core.JSONSchema.BaseSchema;
}

type JsonSchema = z.core.JSONSchema.BaseSchema;

/** One step of a preset's chain, as POST /process runs it. */
export interface PresetStepInfo {
  method_name: string;
  output_format: string | null;
}

/** A step of JOB_PRESETS. */
interface PresetStepInfoInput {
  method_name: string;
  output_format?: string | undefined;
}

/** One preset (`preset` in POST /process) as GET /operations describes it: enough to offer it in a form. */
export interface PresetInfo {
  name: string;
  summary: string;
  /** Takes `sources` (several inputs, in order): its first step does. */
  multiple_sources: boolean;
  /** The operations it runs, in order; the last one writes the job's result. */
  steps: PresetStepInfo[];
  /** JSON Schema (2020-12) of the `params` it accepts (language and model). */
  params_schema: z.core.JSONSchema.BaseSchema;
}

/** GET /operations' body. */
export interface OperationList {
  operations: OperationInfo[];
  presets: PresetInfo[];
}

/** One sentence per preset of JOB_PRESETS, for people choosing one. */
export const PRESET_SUMMARIES: Readonly<Record<string, string>> = {
  meeting_recording:
    'Joins a meeting’s recordings (or MediaRecorder chunks) in order into one MP4, transcribes the speech ' +
    'and adds it as a subtitle track, with SRT, WebVTT and JSON transcripts beside it.',
};

function inputSchema(schema: z.ZodType): JsonSchema {
  // `unrepresentable: 'any'`: a refinement JSON Schema cannot say is still checked by POST /process.
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  delete json.$schema;
  return json;
}

/** The values a `output_format` schema allows: a const, an enum, or a union of those. */
function formatsOf(schema: JsonSchema): string[] {
  if (typeof schema.const === 'string') return [schema.const];
  if (Array.isArray(schema.enum)) return schema.enum.filter((value): value is string => typeof value === 'string');
  const branches = schema.anyOf ?? schema.oneOf ?? [];
  return branches.flatMap((branch) => (typeof branch === 'object' ? formatsOf(branch) : []));
}

/** Describes one registered operation; its schema's `output_format` and `params` fields as JSON Schema. */
export function describeOperation(operation: RegisteredOperation): OperationInfo {
  const format = inputSchema(operation.schema.shape.output_format);
  const fallback = typeof format.default === 'string' ? format.default : null;
  const formats = formatsOf(format);
  return {
    name: operation.name,
    aliases: [...operation.aliases],
    summary: operation.summary,
    multiple_sources: operation.multipleSources,
    output_formats: fallback === null ? formats : [fallback, ...formats.filter((value) => value !== fallback)],
    default_output_format: fallback,
    params_schema: inputSchema(operation.schema.shape.params),
  };
}

/** Describes one preset of JOB_PRESETS: its chain, whether it takes several sources, its params' JSON Schema. */
export function describePreset(name: string, steps: readonly PresetStepInfoInput[]): PresetInfo {
  const first = steps[0] === undefined ? undefined : findOperation(steps[0].method_name);
  return {
    name,
    summary:
      PRESET_SUMMARIES[name] ?? `Runs ${steps.map((step) => step.method_name.replaceAll('_', ' ')).join(', then ')}.`,
    multiple_sources: first?.multipleSources ?? false,
    steps: steps.map((step) => ({ method_name: step.method_name, output_format: step.output_format ?? null })),
    params_schema: inputSchema(presetParams),
  };
}

/**
 * GET /operations: the operation registry and the presets (named chains of
 * operations), so a client (the dashboard's submission form) can offer every
 * operation and preset and their parameters without knowing them in advance.
 * Computed once: the registry and the presets are fixed at build time.
 */
export function operationRoutes(
  operations: readonly RegisteredOperation[] = OPERATIONS,
  presets: Readonly<Record<string, readonly PresetStepInfoInput[]>> = JOB_PRESETS,
): Router {
  const list: OperationList = {
    operations: operations.map(describeOperation),
    presets: Object.entries(presets).map(([name, steps]) => describePreset(name, steps)),
  };
  const body = JSON.stringify(list);
  const router = Router();
  router.get('/operations', (_req, res) => {
    res.set('Cache-Control', 'private, no-cache').type('application/json').send(body);
  });
  return router;
}
