/** The API's shapes the dashboard reads (see /openapi.json: JobView, JobPage, PlaybackUrls, …). */

export type JobStatus =
  'queued' | 'processing' | 'completed' | 'failed' | 'cancelled' | 'retrying' | (string & Record<never, never>);

export interface JobOutput {
  kind: string;
  /** Relative to the job's folder; a directory ends with "/". */
  path: string;
  content_type: string;
  size_bytes?: number;
  file_count?: number;
  primary?: boolean;
  /** Multi-step jobs: the index in `steps` of the step that wrote it. */
  step?: number;
  /** `/jobs/{id}/files/{path}`, fetched with the Authorization header. */
  url: string;
}

export interface JobHistoryEntry {
  status: JobStatus;
  at: string;
  worker_id?: string;
  attempt?: number;
  note?: string;
}

/** One step of a multi-step job's chain. */
export interface JobStep {
  method_name: string;
  output_format: string;
  params: Record<string, unknown>;
}

export interface JobView {
  job_id: string;
  status: JobStatus;
  method_name: string;
  output_format: string;
  params: Record<string, unknown>;
  source: string;
  sources?: string[];
  /** A multi-step job's chain, in order; `method_name`, `output_format` and `params` repeat the first step. */
  steps?: JobStep[];
  /** A multi-step job: indexes of the steps finished so far. */
  completed_steps?: number[];
  /** The preset that chose the steps (`meeting_recording`). */
  preset?: string;
  /** Percent, 0–100. */
  progress: number;
  /** Times real time, while processing. */
  speed?: number;
  eta_seconds?: number;
  attempts: number;
  retry_at?: string;
  cancel_requested?: true;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
  error: { code: string; message: string } | null;
  warnings?: { code: string; message: string }[];
  outputs: JobOutput[];
  history: JobHistoryEntry[];
  expired_at?: string;
}

export interface JobPage {
  jobs: JobView[];
  count: number;
  limit: number;
  next_cursor: string | null;
}

/** A JSON Schema as GET /operations gives it (the subset the form reads). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  description?: string;
  title?: string;
}

export interface OperationInfo {
  name: string;
  aliases: string[];
  summary: string;
  /** Takes `sources` (several inputs, in order) instead of one `source`. */
  multiple_sources: boolean;
  output_formats: string[];
  default_output_format: string | null;
  params_schema: JsonSchema;
}

/** A preset (`preset` in POST /process): a named chain of operations. */
export interface PresetInfo {
  name: string;
  summary: string;
  /** Takes `sources` (several inputs, in order). */
  multiple_sources: boolean;
  /** The operations it runs, in order; the last one writes the result. */
  steps: { method_name: string; output_format: string | null }[];
  params_schema: JsonSchema;
}

/** GET /operations. */
export interface OperationList {
  operations: OperationInfo[];
  presets: PresetInfo[];
}

export interface PlaybackUrls {
  expires_at: string;
  hls?: string;
  dash?: string;
  video?: string;
  audio?: string;
  vtt?: string;
  poster?: string;
  storyboard?: string;
  storyboard_image?: string;
}

export interface User {
  id: string;
  email: string;
  admin: boolean;
}

export interface Session {
  user: User;
  access_token: string;
  /** Seconds. */
  expires_in: number;
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  created_at: string;
}
