import { AppError } from '@mediaflow/domain';
import type { OperationSpec, OutputKind } from '@mediaflow/domain';
import type { OperationName } from './registry';

/**
 * What each operation reads and what its primary output is, as the kinds of
 * the output manifest ("video", "audio", "srt", …). A multi-step job feeds
 * each step's primary output to the next step, so a chain is valid when
 * every step accepts the kind its predecessor's primary output has. Data, not
 * code in the planners: the planners stay unaware of chaining.
 */
export interface StepIo {
  /** Kinds of input the operation can read; for these (normalised) fields when it depends on them. */
  accepts: readonly OutputKind[] | ((operation: OperationSpec) => readonly OutputKind[]);
  /** The kind of the primary output for these (normalised) fields. */
  primaryKind: (operation: OperationSpec) => OutputKind;
  /**
   * Expected cost per second of media, relative to the others (a stream copy
   * is about 1): a multi-step job's progress and ETA weight its steps by it.
   */
  cost: number;
}

const MEDIA = ['video', 'audio'] as const;
const VIDEO = ['video'] as const;
const always =
  (kind: OutputKind): StepIo['primaryKind'] =>
  () =>
    kind;

/** Every registered operation's I/O; keyed by OperationName so a new operation must add its line. */
export const STEP_IO: Record<OperationName, StepIo> = {
  compress: { accepts: VIDEO, primaryKind: always('video'), cost: 3 },
  extract_audio: { accepts: MEDIA, primaryKind: always('audio'), cost: 0.5 },
  resize: { accepts: VIDEO, primaryKind: always('video'), cost: 2 },
  convert_format: { accepts: MEDIA, primaryKind: always('video'), cost: 2 },
  grayscale: { accepts: VIDEO, primaryKind: always('video'), cost: 2 },
  transcribe: {
    // Its subtitled video (output_format mp4) needs a video to put the subtitles in.
    accepts: (operation) => (operation.output_format === 'mp4' ? VIDEO : MEDIA),
    primaryKind: (operation) => (operation.output_format === 'mp4' ? 'video' : 'srt'),
    cost: 4,
  },
  adaptive_stream: { accepts: VIDEO, primaryKind: always('hls'), cost: 6 },
  thumbnails: { accepts: VIDEO, primaryKind: always('thumbnail'), cost: 0.5 },
  storyboard: { accepts: VIDEO, primaryKind: always('storyboard'), cost: 1 },
  probe: { accepts: MEDIA, primaryKind: always('json'), cost: 0.1 },
  concat: { accepts: MEDIA, primaryKind: always('video'), cost: 1.5 },
};

function ioOf(name: string): StepIo | undefined {
  return (STEP_IO as Record<string, StepIo | undefined>)[name];
}

/** A step's weight in a multi-step job's progress (see StepIo.cost); 1 for an operation not listed. */
export function stepCost(name: string): number {
  return ioOf(name)?.cost ?? 1;
}

/**
 * Checks that each step can read its predecessor's primary output.
 * @param steps normalised operations (canonical names), in chain order.
 * @throws AppError VALIDATION_FAILED naming both steps (index and operation),
 *   with details { step, previous_step, produces, accepts }.
 */
export function validateStepChain(steps: readonly OperationSpec[]): void {
  for (let index = 1; index < steps.length; index += 1) {
    const previous = steps[index - 1];
    const current = steps[index];
    const previousIo = ioOf(previous.method_name);
    const currentIo = ioOf(current.method_name);
    if (!previousIo || !currentIo) continue;
    const produces = previousIo.primaryKind(previous);
    const accepts = typeof currentIo.accepts === 'function' ? currentIo.accepts(current) : currentIo.accepts;
    if (!accepts.includes(produces)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `steps[${index}] (${current.method_name}) cannot read the output of steps[${index - 1}] (${previous.method_name}): ` +
          `that step's primary output is ${produces}, ${current.method_name} reads ${accepts.join(' or ')}`,
        {
          details: {
            step: index,
            method_name: current.method_name,
            previous_step: index - 1,
            previous_method_name: previous.method_name,
            produces,
            accepts: [...accepts],
          },
        },
      );
    }
  }
}
