import { AppError } from '@mediaflow/domain';
import type { Operation } from '@mediaflow/domain';
import { planCompress } from './plan/compress';
import { planConvertFormat } from './plan/convert-format';
import { planExtractAudio } from './plan/extract-audio';
import { planGrayscale } from './plan/grayscale';
import type { FfmpegPlan, PlanIo } from './plan/plan-types';
import { planResize } from './plan/resize';
import type { MediaProbe } from './probe-types';

/**
 * Decides the exact FFmpeg invocation for one operation on one probed input.
 * Pure: no processes, no files; every branch is unit-tested on its argv.
 */
export function planOperation(operation: Operation, probe: MediaProbe, io: PlanIo): FfmpegPlan {
  switch (operation.method_name) {
    case 'compress':
      return planCompress(operation, probe, io);
    case 'extract_audio':
      return planExtractAudio(operation, probe, io);
    case 'resize':
      return planResize(operation, probe, io);
    case 'convert_format':
      return planConvertFormat(operation, probe, io);
    case 'grayscale':
      return planGrayscale(operation, probe, io);
    case 'transcribe':
      throw new AppError('OPERATION_NOT_AVAILABLE', 'transcribe is not available yet');
  }
}
