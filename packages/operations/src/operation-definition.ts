import type { z } from 'zod';
import type { OperationSpec } from '@mediaflow/domain';
import type { MediaProbe } from '@mediaflow/media';
import type { ExecutionPlan } from './execution-plan';

/** One downloaded input of a job with several sources, as the worker prepared it. */
export interface PlanInput {
  /** Absolute path inside the work directory. */
  path: string;
  probe: MediaProbe;
}

/** What a planner may know besides the operation and the probe: where things are, and worker defaults. */
export interface PlanContext {
  /** Absolute path of the downloaded source, inside the work directory (the first input's, for several). */
  inputPath: string;
  /**
   * Every input in order, for an operation that takes several sources
   * (`multipleSources`); the first is `inputPath` with the planner's `probe`.
   * MediaRecorder continuation chunks arrive here already joined into one
   * input (see the worker's source assembly). Absent for a one-source job.
   */
  inputs?: PlanInput[];
  /** Absolute path of the job's work directory; plan paths are relative to it. */
  workDir: string;
  /** The source object's file name (last key segment), for naming downloads after it. */
  sourceName: string;
  /** Worker settings an operation falls back to when its params leave them out. */
  defaults: PlanDefaults;
}

export interface PlanDefaults {
  /** WHISPER_MODEL: a model name or the operator's model directory. */
  whisperModel: string;
}

/**
 * An operation's wire schema: a strict object of `method_name` (a literal),
 * `output_format` and `params`, with defaults, so the parsed value is the
 * normalised request.
 */
export type OperationSchema<Name extends string = string> = z.ZodObject<
  { method_name: z.ZodLiteral<Name>; output_format: z.ZodType; params: z.ZodType },
  z.core.$strict
>;

/** What an operation's folder declares. */
export interface OperationDefinition<Name extends string, Schema extends OperationSchema<Name>> {
  name: Name;
  /** Other names accepted on the wire (e.g. black_and_white for grayscale). */
  aliases: readonly string[];
  /** One sentence for the API documentation. */
  summary: string;
  schema: Schema;
  /**
   * Bump when the planner's output for the same request changes (other
   * flags, other files), so results of the old recipe are no longer reused
   * (result reuse keys include it). Default 1.
   */
  recipeVersion?: number;
  /**
   * Whether a job may give this operation several sources (`sources` with
   * more than one entry); the planner then reads PlanContext.inputs.
   * Default false: a 400 MULTIPLE_SOURCES_NOT_SUPPORTED names the operation.
   */
  multipleSources?: boolean;
  /**
   * Decides every step, and which files become outputs, for one probed
   * source. Pure: spawns nothing, touches no file.
   * @throws AppError with a media code (NO_VIDEO_STREAM, NO_AUDIO_STREAM, AUDIO_TRACK_NOT_FOUND, …) when the source cannot give this operation.
   */
  plan(operation: z.output<Schema>, probe: MediaProbe, context: PlanContext): ExecutionPlan;
}

/**
 * An operation as the registry and its users see it: the schema for
 * documentation, and parse/plan entry points that take the stored, untyped
 * operation fields, so callers need not know which operation they hold.
 */
export interface RegisteredOperation<Name extends string = string> {
  readonly name: Name;
  readonly aliases: readonly string[];
  readonly summary: string;
  readonly schema: OperationSchema<Name>;
  /** See OperationDefinition.recipeVersion; part of every result-reuse key. */
  readonly recipeVersion: number;
  /** See OperationDefinition.multipleSources. */
  readonly multipleSources: boolean;
  /**
   * Validates and normalises (defaults applied) an operation's fields.
   * @throws ZodError when they do not fit this operation's schema.
   */
  parse(input: unknown): OperationSpec & { method_name: Name };
  /**
   * Parses the stored fields again (a record from an older version must still
   * fit) and plans them.
   * @throws ZodError when the stored fields no longer fit the schema.
   * @throws AppError from the planner (see OperationDefinition.plan).
   */
  plan(operation: OperationSpec, probe: MediaProbe, context: PlanContext): ExecutionPlan;
}

/**
 * Declares an operation. The generic parameters tie the planner to the
 * schema's output type, so a planner never sees another operation's params;
 * what comes out is type-erased for the registry.
 */
export function defineOperation<Name extends string, Schema extends OperationSchema<Name>>(
  definition: OperationDefinition<Name, Schema>,
): RegisteredOperation<Name> {
  const parse = (input: unknown): z.output<Schema> => definition.schema.parse(input);
  return {
    name: definition.name,
    aliases: definition.aliases,
    summary: definition.summary,
    schema: definition.schema,
    recipeVersion: definition.recipeVersion ?? 1,
    multipleSources: definition.multipleSources ?? false,
    parse: (input) => parse(input) as OperationSpec & { method_name: Name },
    plan: (operation, probe, context) => definition.plan(parse(operation), probe, context),
  };
}
